// `npm run policy`, as CI runs it: a process of its own that deploys a program under the mock
// harness and starts the real policy pack (an analyzer plugin) to check the stack.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { atLowestPriority } from "../../harness/plugin-process";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURE = path.join(ROOT, "tests", "fixtures", "harness-program");

interface PolicyRun {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** `npm run policy -- <args>`, as CI runs it, at the lowest CPU priority. */
const policyRun = (...args: string[]) =>
    new Promise<PolicyRun>((resolve) => {
        const child = execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "policy-pack/ci/run.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 300_000 }, (error, stdout, stderr) =>
            resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
        );
        atLowestPriority(child);
    });

// Two processes that take seconds to load: a root-level hook starts them at the run's beginning, at
// the lowest CPU priority, so they run on what the test files before this one leave idle.
let policyRuns: Promise<[PolicyRun, PolicyRun]> | undefined;
const startedPolicyRuns = () => (policyRuns ??= Promise.all([policyRun("--program", path.relative(ROOT, FIXTURE)), policyRun("--program", "examples/nowhere")]));
before(() => void startedPolicyRuns());

describe("`npm run policy -- --program <dir>`", function () {
    // The runs started at the lowest priority may wait for a core until the tests before end.
    this.timeout(300_000);
    let checked: PolicyRun;
    let missing: PolicyRun;
    before(async () => {
        [checked, missing] = await startedPolicyRuns();
    });

    it("checks another program's stack with the real pack", () => {
        assert.equal(checked.status, 0, checked.stderr);
        assert.match(checked.stdout, /project harness-fixture, stack dev/);
        assert.match(checked.stdout, /over 2 resources/);
        assert.match(checked.stdout, /\[advisory\] log-group-retention\n {2}resource: aws:cloudwatch\/logGroup:LogGroup "jobs-logs"/);
    });

    it("fails clearly, before starting anything, on a directory that does not exist", () => {
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /^--program examples\/nowhere: the directory .*examples\/nowhere does not exist\.\nUsage: npm run policy/);
    });
});
