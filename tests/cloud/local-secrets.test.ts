// Secrets stay secret on the local cloud, as Pulumi keeps them: a function whose environment holds a
// `pulumi.secret` gets the real value, while the banner, GET /_local (which the console reads) and
// the cloud's log show a secret stack output as [secret] and never the value.
import "../support/aws-env";
import assert from "node:assert/strict";
import * as path from "node:path";
import { banner } from "../../local/banner";
import { SagaClient } from "../../local/client";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { SecretOutput } from "../../harness/harness";

const FIXTURE = path.join(__dirname, "..", "fixtures", "secrets");
/** The fixture's secret (tests/fixtures/secrets/index.ts). */
const SECRET = "sk_fixture_5f1e9c";

describe("secrets on the local cloud", function () {
    let cloud: LocalCloud;
    let client: SagaClient;
    const lines: string[] = [];

    before(async () => {
        cloud = await startLocalCloud({ port: 0, programDir: FIXTURE, retryIntervalMs: 0, log: (line) => lines.push(line), onFunctionLog: (name, line) => lines.push(`${name}: ${line}`) });
        client = new SagaClient("", cloud.url, cloud.settings.config["aws:region"]);
    });
    after(() => cloud?.stop());

    it("gives the function the secret's real value in its environment", async () => {
        const started = await client.stepFunctions("StartExecution", { stateMachineArn: String(cloud.outputs.machineArn), name: "uses-its-key", input: "{}" });
        assert.equal(started.status, 200, JSON.stringify(started.body));
        await cloud.idle();
        const execution = (await client.stepFunctions("DescribeExecution", { executionArn: started.body.executionArn })).body;
        assert.equal(execution.status, "SUCCEEDED", JSON.stringify(execution));
        assert.deepEqual(JSON.parse(execution.output), { sameKey: true, greeting: "hello" });
    });

    it("keeps secret stack outputs secret: a secret itself, and a value computed from one (the function's environment)", () => {
        assert.ok(cloud.outputs.apiKey instanceof SecretOutput);
        assert.equal(cloud.outputs.apiKey.reveal(), SECRET, "code that needs the value can have it");
        assert.ok(cloud.outputs.keeperEnvironment instanceof SecretOutput);
        assert.ok(cloud.outputs.described instanceof SecretOutput, "plain data that holds a secret is a secret as a whole");
        assert.equal(typeof cloud.outputs.functionName, "string", "a plain output stays plain");
        assert.deepEqual(cloud.outputs.plainData, { name: cloud.outputs.functionName, arns: [`arn:aws:lambda:us-east-1:000000000000:function:${cloud.outputs.functionName}`] }, "the Outputs inside plain data are resolved");
        assert.equal(`${cloud.outputs.apiKey}`, "[secret]");
        assert.equal(JSON.stringify(cloud.outputs.keeperEnvironment), '"[secret]"');
    });

    it("shows them as [secret] in the banner, by default and with --verbose", () => {
        const verbose = banner(cloud, { retryIntervalMs: 0, verbose: true });
        for (const text of [banner(cloud, { retryIntervalMs: 0 }), verbose]) assert.ok(!text.includes(SECRET), text);
        assert.match(verbose, /^ {2}apiKey: \[secret\]$/m);
        assert.match(verbose, /^ {2}keeperEnvironment: \[secret\]$/m);
    });

    it("serves them as [secret] at GET /_local, which the console reads", async () => {
        const response = await fetch(`${cloud.url}/_local`);
        const text = await response.text();
        assert.equal(response.status, 200);
        assert.ok(!text.includes(SECRET), text);
        const { outputs } = JSON.parse(text);
        assert.deepEqual([outputs.apiKey, outputs.keeperEnvironment, outputs.described, outputs.functionName], ["[secret]", "[secret]", "[secret]", cloud.outputs.functionName]);
    });

    it("writes the value nowhere in its log", () => {
        assert.ok(lines.length > 0);
        assert.deepEqual(lines.filter((line) => line.includes(SECRET)), []);
    });
});
