// The layer rules (.dependency-cruiser.cjs), which `npm test` runs on the repository through
// `npm run layers`: on a repository in miniature (tests/fixtures/layers/) whose files make every
// allowed import once and every forbidden one once, each rule reports exactly its own arrows. A rule
// that matched nothing (a wrong path, a module left out of the graph) would pass the real check
// silently; here it fails.
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";

const REPO = path.join(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "layers");

interface Violation {
    rule: { name: string };
    from: string;
    to: string;
}

function cruise(): Promise<{ violations: Violation[] }> {
    const bin = path.join(REPO, "node_modules", ".bin", "depcruise");
    const args = ["--config", path.join(REPO, ".dependency-cruiser.cjs"), "--output-type", "json", "components", "handlers", "harness", "policy-pack", "local", "chaos", "tests"];
    return new Promise((resolve, reject) => {
        execFile(bin, args, { cwd: FIXTURE, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
            if (error && typeof error.code !== "number") return reject(error);
            try {
                resolve({ violations: JSON.parse(stdout).summary.violations });
            } catch (parse) {
                reject(new Error(`depcruise printed no report: ${(parse as Error).message}\n${stdout}`));
            }
        });
    });
}

describe("the layer rules (npm run layers)", function () {
    this.timeout(30_000);

    it("report every upward arrow, every import of tests/ and the cycle, and nothing allowed", async () => {
        const { violations } = await cruise();
        const found = violations.map(({ rule, from, to }) => `${rule.name}: ${from} -> ${to.replace(/^(\.\.\/)+node_modules\//, "")}`).sort();
        const expected = [
            "component-and-handlers-import-down: components/component.ts -> policy-pack/policies.ts",
            "component-and-handlers-import-down: handlers/start.ts -> local/sqs.ts",
            "handlers-not-the-shell: handlers/start.ts -> components/table.ts",
            "harness-is-shared: harness/harness.ts -> local/sqs.ts",
            "model-is-pure: components/model/steps.ts -> @pulumi/pulumi/index.js",
            "model-is-pure: components/model/steps.ts -> components/table.ts",
            "model-is-pure: components/model/steps.ts -> fs",
            "no-cycles: local/cloud.ts -> local/queue.ts",
            "nothing-imports-tests: chaos/run.ts -> tests/support.ts",
            "nothing-imports-tests: local/cloud.ts -> tests/support.ts",
            "policy-ci-uses-the-harness-only: policy-pack/ci/run.ts -> local/sqs.ts",
            "policy-pack-imports-down: policy-pack/pack.ts -> harness/plain.ts",
        ].sort();
        assert.deepEqual(found, expected);
        // Every rule of the configuration is exercised.
        const rules: { name: string }[] = require(path.join(REPO, ".dependency-cruiser.cjs")).forbidden;
        assert.deepEqual([...new Set(violations.map((v) => v.rule.name))].sort(), rules.map((rule) => rule.name).sort());
    });
});
