// The one Pulumi mock harness (harness/harness.ts) that the tests, `npm run policy`,
// `npm run bench` and the local cloud run programs with: what a user of any of them relies on.
// `npm run policy` itself, in a process of its own, is tests/plugins/policy-cli.test.ts.
import * as aws from "@pulumi/aws";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadProjectSettings } from "../harness/config";
import { DeploymentError, deployProgram } from "../harness/harness";
import { PlainProvisioner } from "../harness/plain";
import { deploy, setupMocks } from "./support/mocks";

const FIXTURE = path.join(__dirname, "fixtures", "harness-program");

const deploymentError = (...parts: (string | RegExp)[]) => (error: Error) => {
    assert.ok(error instanceof DeploymentError, `a DeploymentError, not ${error}`);
    for (const part of parts) assert.match(error.message, typeof part === "string" ? new RegExp(part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")) : part);
    return true;
};

describe("the Pulumi mock harness", function () {
    this.timeout(60_000);

    describe("with plain provisioning (the tests, `npm run policy`, `npm run bench`)", () => {
        before(() => setupMocks());

        it("fails a deployment that registers a resource type nobody mocked, naming the type and the resource", async () => {
            await assert.rejects(
                deploy(() => new aws.sns.Topic("alerts")),
                deploymentError('aws:sns/topic:Topic "alerts"', "plain provisioning does not know the type aws:sns/topic:Topic", "harness/plain.ts"),
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
});
