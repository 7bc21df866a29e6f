// Bundles a handler module into the single `index.js` a Lambda runs. Pure build step: no Pulumi.
import * as esbuild from "esbuild";
import { commonJsExports } from "./commonjs-exports";

export interface HandlerBundle {
    /** CommonJS code of the function's `index.js`. */
    code: string;
    /** The names the module exports, so a missing handler fails at `pulumi preview`, not at the first request. */
    exports: string[];
    /** Set for a CommonJS module whose module.exports is replaced by a value that cannot be read without running it: what value. */
    opaqueExports?: string;
}

export class BundleError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BundleError";
    }
}

const OPTIONS: esbuild.BuildOptions = {
    bundle: true,
    platform: "node",
    target: "node22",
    // nodejs22.x ships AWS SDK v3: bundling it would add ~1 MB per function and pin an old copy.
    external: ["@aws-sdk/*"],
    write: false,
    logLevel: "silent",
};

// One module often serves several actions (reserve, confirm and cancel of a step): bundle it once.
const cache = new Map<string, HandlerBundle>();

/**
 * Bundles the module at `file` (absolute). `root` becomes esbuild's working directory, so the
 * paths esbuild writes into comments are relative and the bundle, and with it the deployed code's
 * hash, is the same on every machine.
 */
export function bundleHandler(file: string, root: string): HandlerBundle {
    const key = `${root}\0${file}`;
    let bundle = cache.get(key);
    if (!bundle) {
        bundle = { code: build(file, root, "cjs").outputFiles![0].text, ...exportsOf(file, root) };
        cache.set(key, bundle);
    }
    return bundle;
}

function build(file: string, root: string, format: esbuild.Format, metafile = false) {
    try {
        return esbuild.buildSync({ ...OPTIONS, entryPoints: [file], absWorkingDir: root, outfile: "index.js", format, metafile });
    } catch (error) {
        const failure = error as esbuild.BuildFailure;
        const first = failure.errors?.[0];
        const where = first?.location ? `${first.location.file}:${first.location.line}: ` : "";
        throw new BundleError(first ? `${where}${first.text}` : String(error));
    }
}

// esbuild lists an entry's exports in its metafile only for ES module syntax; a second build in
// that format reads them (the CommonJS output's list is always empty). An entry esbuild finds to be
// CommonJS shows only `default` there, which the CommonJS bundle Lambda loads does not have: its
// exports are read from its source instead (commonjs-exports.ts).
function exportsOf(file: string, root: string): Pick<HandlerBundle, "exports" | "opaqueExports"> {
    const { inputs, outputs } = build(file, root, "esm", true).metafile!;
    const entry = Object.values(outputs).find((output) => output.entryPoint !== undefined);
    if (entry && inputs[entry.entryPoint!]?.format === "cjs") {
        const { names, opaque } = commonJsExports(file);
        return { exports: names, ...(opaque ? { opaqueExports: opaque } : {}) };
    }
    return { exports: entry ? [...entry.exports].sort() : [] };
}
