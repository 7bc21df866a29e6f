// .ci/run's choice of Node.js (.ci/node.sh): the suite runs on Node 22 or later, from the npm
// registry when the machine has only an older one. Driven with stand-ins for the machine's node and
// npm, so that every branch runs in milliseconds; CI itself then runs on what it chose.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const SCRIPT = path.resolve(__dirname, "..", ".ci", "node.sh");
const CPU: Record<string, string> = { x64: "x64", arm64: "arm64" };

/** A stand-in node that reports one version: `node --version` and `node -p <major>` as the real one answers them. */
function fakeNode(file: string, version: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const major = version.split(".")[0];
    fs.writeFileSync(file, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo v${version}; else echo ${major}; fi\n`, { mode: 0o755 });
}

describe(".ci/run's Node.js: 22 or later, from the npm registry on a machine that has an older one", () => {
    let root: string;
    let machine: string;
    let installs: string;
    const cpu = CPU[process.arch];
    const packageName = `node-linux-${cpu}`;

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "saga-ci-node-"));
        machine = path.join(root, "machine");
        installs = path.join(root, "npm-calls");
        // A stand-in npm: records its arguments and installs a Node of the version NPM_GIVES where --prefix says.
        fs.mkdirSync(machine);
        fs.writeFileSync(
            path.join(machine, "npm"),
            `#!/bin/bash\necho "$*" >> ${installs}\nprefix=""; while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix=$2; shift; done\n` +
                `mkdir -p "$prefix/node_modules/${packageName}/bin"\n` +
                `printf '#!/bin/sh\\nif [ "$1" = "--version" ]; then echo v%s; else echo %s; fi\\n' "$NPM_GIVES" "\${NPM_GIVES%%.*}" > "$prefix/node_modules/${packageName}/bin/node"\n` +
                `chmod +x "$prefix/node_modules/${packageName}/bin/node"\n`,
            { mode: 0o755 },
        );
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    /** Sources the script on a machine whose node is `version`; the node then first on PATH, its version, and npm's calls. */
    function choose(version: string, npmGives = "22.23.5") {
        fakeNode(path.join(machine, "node"), version);
        const dir = path.join(root, "node-22");
        const out = execFileSync("bash", ["-c", `set -euo pipefail; source "${SCRIPT}"; saga_use_node_22 >&2; command -v node; node --version`], {
            env: { PATH: `${machine}:/usr/bin:/bin`, SAGA_CI_NODE_DIR: dir, NPM_GIVES: npmGives },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        const [node, reported] = out.trim().split("\n");
        const calls = fs.existsSync(installs) ? fs.readFileSync(installs, "utf8").trim().split("\n") : [];
        return { node, reported, calls, dir };
    }

    it("installs the registry's Node 22 on a machine with Node 20 and puts it first on PATH", function () {
        if (!cpu || process.platform !== "linux") this.skip();
        const { node, reported, calls, dir } = choose("20.20.0");
        assert.equal(node, path.join(dir, "node_modules", packageName, "bin", "node"));
        assert.equal(reported, "v22.23.5");
        assert.deepEqual(calls, [`install --no-audit --no-fund --no-save --loglevel=error --prefix ${dir} ${packageName}@22`]);
    });

    it("reuses the Node 22 it installed before: npm is not asked again", function () {
        if (!cpu || process.platform !== "linux") this.skip();
        choose("20.20.0");
        const again = choose("20.20.0");
        assert.equal(again.reported, "v22.23.5");
        assert.equal(again.calls.length, 1, "one install over two runs");
    });

    it("keeps the machine's own node when it is 22 or later, installing nothing", () => {
        for (const version of ["22.12.0", "24.22.3"]) {
            const { node, reported, calls } = choose(version);
            assert.equal(node, path.join(machine, "node"));
            assert.equal(reported, `v${version}`);
            assert.deepEqual(calls, []);
        }
    });

    it("fails CI, naming the package, when what the registry gave is no Node 22", function () {
        if (!cpu || process.platform !== "linux") this.skip();
        assert.throws(
            () => choose("20.20.0", "20.1.0"),
            (error: Error & { stderr: string }) => error.stderr.includes(`.ci/node.sh: ${packageName}@22 installed no Node.js 22 or later`),
        );
    });
});
