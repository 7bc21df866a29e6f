// The local cloud and functions it cannot run (a Python or Java runtime, code it cannot read): it
// starts anyway, says at start-up which functions and why, and fails every invocation of them
// with that reason, as a state machine sees it over the Step Functions API.
import "../support/aws-env";
import assert from "node:assert/strict";
import * as path from "node:path";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { SagaClient } from "../../local/client";

const FIXTURE = path.join(__dirname, "..", "fixtures", "unrunnable-functions");

describe("the local cloud with functions this machine cannot run", function () {
    let cloud: LocalCloud;
    let client: SagaClient;

    before(async () => {
        cloud = await startLocalCloud({ port: 0, programDir: FIXTURE, retryIntervalMs: 0, log: () => undefined });
        client = new SagaClient("", cloud.url, cloud.settings.config["aws:region"]);
    });
    after(() => cloud?.stop());

    it("starts, and reports each one at start-up: the function, its runtime or code, and why", () => {
        const { warnings, provisioned } = cloud.resources;
        const report = String(cloud.outputs.reportFunction);
        assert.equal(warnings.length, 3, warnings.join("\n"));
        assert.match(
            warnings.find((w) => w.includes(report)) ?? "",
            new RegExp(`^The function ${report} \\(runtime python3\\.13\\) cannot run here: its runtime python3\\.13 is not Node\\.js, and the local cloud runs Node\\.js functions \\(nodejs\\*\\.x\\) only.*every invocation of it fails with LocalCloud\\.UnsupportedRuntime\\.$`),
        );
        assert.match(warnings.find((w) => w.includes("(runtime java21)")) ?? "", /^The function ledger-[0-9a-f]{7} \(runtime java21\) cannot run here/);
        assert.match(warnings.find((w) => w.includes("packed")) ?? "", /^The function packed-[0-9a-f]{7} cannot run here: its code archive \.\/build\/packed\.zip does not exist on this machine\..*LocalCloud\.UnsupportedCode\.$/);
        const functions = provisioned.filter((entry) => entry.type === "aws:lambda/function:Function").map((entry) => entry.local);
        assert.equal(functions.length, 3, "all three are deployed");
        assert.ok(functions.some((local) => local?.includes(`${report} (python3.13: cannot run here, every invocation fails with LocalCloud.UnsupportedRuntime)`)));
    });

    it("fails every invocation of such a function with that reason, never skipping it", async () => {
        for (const attempt of [1, 2]) {
            const started = await client.stepFunctions("StartExecution", { stateMachineArn: cloud.outputs.stateMachineArn, name: `report-${attempt}` });
            assert.equal(started.status, 200, JSON.stringify(started.body));
            await cloud.idle();
            const { body } = await client.stepFunctions("DescribeExecution", { executionArn: started.body.executionArn });
            assert.equal(body.status, "FAILED");
            assert.equal(body.error, "LocalCloud.UnsupportedRuntime");
            const cause = JSON.parse(body.cause);
            assert.equal(cause.errorType, "LocalCloud.UnsupportedRuntime");
            assert.match(cause.errorMessage, new RegExp(`^The function ${cloud.outputs.reportFunction} cannot run on the local cloud: its runtime python3\\.13 is not Node\\.js`));
        }
    });
});
