// Lambda bundles: the size of each deployed handler bundle (as the component builds it) and how
// long a fresh Node process takes to load it, the part of a cold start the code controls.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { bundleHandler } from "../components/bundle";
import { actionsOf } from "../components/model/steps";
import type { SagaAction } from "../components/model/args";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { median } from "./stats";

const ROOT = path.resolve(__dirname, "..");

export interface BundleFigure {
    module: string;
    bytes: number;
    gzipBytes: number;
    /** Median over `runs` fresh processes of the time `require` of the bundle takes. */
    coldImportMs: number;
}

/** Every handler module the travel stack deploys, once each (several actions share a module). */
function travelModules(): string[] {
    const actions: SagaAction[] = [
        ...travelSteps.flatMap((step) => actionsOf(step).map(({ action }) => action)),
        travelStart,
        travelStatus,
    ];
    return [...new Set(actions.map((action) => action.module!))];
}

export function measureBundles(runs = 5): BundleFigure[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "saga-bundles-"));
    try {
        return travelModules().map((module) => {
            const { code } = bundleHandler(path.join(ROOT, module), ROOT);
            const file = path.join(dir, `${path.basename(module, ".ts")}.js`);
            fs.writeFileSync(file, code);
            const samples = Array.from({ length: runs }, () => coldImportMs(file));
            return { module, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code).length, coldImportMs: median(samples) };
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

// The AWS SDK is not in the bundle (the nodejs22.x runtime provides it), so the fresh process
// finds it where Lambda would have it: on the module path, here this repository's node_modules.
function coldImportMs(file: string): number {
    const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); ` +
        "process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));";
    // --no-warnings: the SDK warns about Node 20 on load, which Lambda's Node 22 would not print.
    const out = execFileSync(process.execPath, ["--no-warnings", "-e", script], {
        env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules"), TABLE_NAME: "bench", AWS_REGION: "us-east-1" },
    });
    return Number(out.toString());
}
