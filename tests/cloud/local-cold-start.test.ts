// A function's execution environment on the local cloud starts as on Lambda: at its first
// invocation (a cold start), once, then serves the next invocations warm; code that fails to load
// fails every invocation with its error. `loadFunctions()` starts them all at once instead (npm
// start calls it after its banner) and names each function whose code fails to load.
import "../support/aws-env";
import assert from "node:assert/strict";
import * as path from "node:path";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { SagaClient } from "../../local/client";

const FIXTURE = path.join(__dirname, "..", "fixtures", "cold-start");

describe("the local cloud's functions: started at their first invocation, as on Lambda", function () {
    let cloud: LocalCloud;
    let client: SagaClient;
    const functionLogs: string[] = [];

    /** Runs the machine to its end and answers how it ended. */
    const run = async (machine: string, name: string, input: object) => {
        const started = await client.stepFunctions("StartExecution", { stateMachineArn: cloud.outputs[machine], name, input: JSON.stringify(input) });
        assert.equal(started.status, 200, JSON.stringify(started.body));
        await cloud.idle();
        return (await client.stepFunctions("DescribeExecution", { executionArn: started.body.executionArn })).body;
    };

    before(async () => {
        cloud = await startLocalCloud({ port: 0, programDir: FIXTURE, retryIntervalMs: 0, log: () => undefined, onFunctionLog: (name, line) => functionLogs.push(`${name}: ${line}`) });
        client = new SagaClient("", cloud.url, cloud.settings.config["aws:region"]);
    });
    after(() => cloud?.stop());

    it("loads no function's code at start-up, and a function's code once, at its first invocation", async () => {
        const loaded = () => functionLogs.filter((line) => line.includes("greeter: code loaded"));
        assert.deepEqual(loaded(), [], "nothing was invoked yet");
        assert.deepEqual(cloud.resources.warnings, [], "code that fails to load is not known before it is loaded");
        for (const name of ["Ada", "Grace"]) {
            const execution = await run("greetMachineArn", `greet-${name}`, { name });
            assert.equal(execution.status, "SUCCEEDED", JSON.stringify(execution));
            assert.deepEqual(JSON.parse(execution.output), { greeting: `hello ${name}` });
        }
        assert.equal(loaded().length, 1, functionLogs.join("\n"));
        assert.ok(loaded()[0].startsWith(String(cloud.outputs.greeterFunction)));
    });

    it("fails every invocation of a function whose code fails to load with that error, as Lambda reports it", async () => {
        for (const attempt of [1, 2]) {
            const execution = await run("brokenMachineArn", `broken-${attempt}`, {});
            assert.equal(execution.status, "FAILED");
            assert.equal(execution.error, "TypeError");
            const cause = JSON.parse(execution.cause);
            assert.deepEqual([cause.errorType, cause.errorMessage], ["TypeError", "the configuration is missing"]);
        }
    });

    it("loadFunctions() starts every function now, and names each whose code fails to load", async () => {
        const broken = String(cloud.outputs.brokenFunction);
        const expected = `The function ${broken} fails to load (TypeError: the configuration is missing); every invocation will report it.`;
        assert.deepEqual(await cloud.loadFunctions(), [expected]);
        // Again: the same answer, and nothing new started (the greeter's code was loaded once).
        assert.deepEqual(await cloud.loadFunctions(), [expected]);
        // Kept once with the start-up warnings, which the console's overview shows.
        assert.deepEqual(cloud.resources.warnings, [expected]);
        assert.equal(functionLogs.filter((line) => line.includes("greeter: code loaded")).length, 1);
    });
});
