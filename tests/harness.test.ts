// The one Pulumi mock harness (local/pulumi/harness.ts) that the tests, `npm run policy`,
// `npm run bench` and the local cloud run programs with: what a user of any of them relies on.
import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { loadProjectSettings } from "../local/config";
import { DeploymentError, deployProgram } from "../local/pulumi/harness";
import { PlainProvisioner } from "../local/pulumi/plain";
import { atLowestPriority } from "../local/pulumi/plugin-process";
import { deploy, setupMocks } from "./support/mocks";

const ROOT = path.join(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "harness-program");

const deploymentError = (...parts: (string | RegExp)[]) => (error: Error) => {
    assert.ok(error instanceof DeploymentError, `a DeploymentError, not ${error}`);
    for (const part of parts) assert.match(error.message, typeof part === "string" ? new RegExp(part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")) : part);
    return true;
};

interface PolicyRun {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** `npm run policy -- <args>`, as CI runs it, at the lowest CPU priority. */
const policyRun = (...args: string[]) =>
    new Promise<PolicyRun>((resolve) => {
        const child = execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "policy-pack/ci/run.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) =>
            resolve({ status: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
        );
        atLowestPriority(child);
    });

// Two processes that take seconds to load: a root-level hook starts them at the run's beginning, at
// the lowest CPU priority, so they run on what the test files before this one leave idle.
let policyRuns: Promise<[PolicyRun, PolicyRun]> | undefined;
const startedPolicyRuns = () => (policyRuns ??= Promise.all([policyRun("--program", path.relative(ROOT, FIXTURE)), policyRun("--program", "examples/nowhere")]));
before(() => void startedPolicyRuns());

describe("the Pulumi mock harness", function () {
    this.timeout(60_000);

    describe("with plain provisioning (the tests, `npm run policy`, `npm run bench`)", () => {
        before(() => setupMocks());

        it("fails a deployment that registers a resource type nobody mocked, naming the type and the resource", async () => {
            await assert.rejects(
                deploy(() => new aws.sns.Topic("alerts")),
                deploymentError('aws:sns/topic:Topic "alerts"', "plain provisioning does not know the type aws:sns/topic:Topic", "local/pulumi/plain.ts"),
            );
        });

        it("fails a deployment that calls a provider function, naming it", async () => {
            await assert.rejects(
                deploy(() => void aws.getCallerIdentity().catch(() => undefined)),
                deploymentError("the provider function aws:index/getCallerIdentity:getCallerIdentity cannot be called"),
            );
        });
    });

    describe("deploying a program on disk (the local cloud, `npm run policy -- --program`)", () => {
        const settings = (overrides: Record<string, string> = {}) => loadProjectSettings(FIXTURE, "dev", overrides);

        it("runs it in its directory with its project, stack and config, afresh each time, and answers its exports resolved", async () => {
            const cwd = process.cwd();
            for (let time = 0; time < 2; time++) {
                const plain = new PlainProvisioner({ region: "eu-west-1", account: "123456789012" });
                const outputs = await deployProgram(settings(), plain.newResource);
                assert.deepEqual(outputs, {
                    queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-a1b2c3d",
                    greeting: "hello from dev",
                    where: { project: "harness-fixture", stack: "dev", cwd: FIXTURE },
                });
                assert.deepEqual(plain.recorded.map((r) => `${r.type} ${r.name}`).sort(), ["aws:cloudwatch/logGroup:LogGroup jobs-logs", "aws:sqs/queue:Queue jobs"]);
            }
            assert.equal(process.cwd(), cwd);
            assert.equal(require.cache[path.join(FIXTURE, "index.ts")], undefined, "the module cache is left as it was");
        });

        it("fails with the program file and its error when the program throws", async () => {
            await assert.rejects(
                deployProgram(settings({ fail: "true" }), new PlainProvisioner().newResource),
                deploymentError(`The program ${path.join(FIXTURE, "index.ts")} failed: asked to fail by config`),
            );
        });
    });

    describe("`npm run policy -- --program <dir>`", () => {
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
});
