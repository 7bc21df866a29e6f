// The local cloud's Step Functions API, driven over HTTP by the AWS SDK as the handlers drive it:
// StartExecution's idempotency by name, the statuses and errors DescribeExecution reports, the
// history, listing and paging. A small machine whose task the test holds open or fails at will.
import "./support/aws-env";
import {
    DescribeExecutionCommand,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    GetExecutionHistoryCommand,
    InvalidArn,
    InvalidExecutionInput,
    InvalidName,
    ListExecutionsCommand,
    SFNClient,
    StartExecutionCommand,
    StateMachineDoesNotExist,
    StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import type { LocalServer } from "../local/server";
import { StepFunctionsService } from "../local/sfn/service";
import { lambdaTaskError } from "../local/sfn/tasks";
import { operatorFetch } from "../local/client";
import { allowEveryCall } from "./support/iam";
import { serveStepFunctions, ServedStepFunctions } from "./support/sfn-server";

const MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:probe";
const DEFINITION = {
    StartAt: "Work",
    States: {
        Work: {
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: "work", "Payload.$": "$" },
            ResultSelector: { "result.$": "$.Payload" },
            Retry: [{ ErrorEquals: ["Flaky"], MaxAttempts: 1 }],
            Catch: [{ ErrorEquals: ["States.ALL"], Next: "Failed", ResultPath: "$.failure" }],
            Next: "Done",
        },
        Done: { Type: "Succeed" },
        Failed: { Type: "Fail", Error: "Work.Failed", CausePath: "$.failure.Cause" },
    },
};

describe("the local Step Functions API (AWS JSON 1.0 over HTTP)", () => {
    let served: ServedStepFunctions;
    let server: LocalServer;
    let sfn: SFNClient;
    /** Tasks whose input says `{ "hold": "<key>" }` wait until the test releases that key. */
    const held = new Map<string, () => void>();
    const release = (key: string) => held.get(key)?.();
    const executionArn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:probe:${name}`;
    const start = (name: string, input: object) => sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: JSON.stringify(input) }));
    const describe_ = (name: string) => sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(name) }));

    let service: StepFunctionsService;
    before(async () => {
        service = new StepFunctionsService({
            region: "us-east-1",
            retryIntervalMs: 0,
            targets: {
                authorize: allowEveryCall,
                hasFunction: (name) => name === "work",
                async invokeFunction(_name, payload) {
                    const input = payload as { hold?: string; fail?: string; flakyOnce?: string };
                    if (input.hold) await new Promise<void>((resolve) => held.set(input.hold!, resolve));
                    if (input.flakyOnce && !held.has(`flaky:${input.flakyOnce}`)) {
                        held.set(`flaky:${input.flakyOnce}`, () => undefined);
                        throw lambdaTaskError("Flaky", "Try again.");
                    }
                    if (input.fail) throw lambdaTaskError(input.fail, "It broke.");
                    return { worked: true };
                },
                sendMessage: () => ({ MessageId: "unused" }),
            },
        });
        service.createStateMachine({ name: "probe", arn: MACHINE, definition: JSON.stringify(DEFINITION), roleArn: "arn:aws:iam::000000000000:role/probe", type: "STANDARD" });
        service.validateDefinitions();
        served = await serveStepFunctions(service);
        ({ server, sfn } = served);
    });
    after(async () => served?.close());

    it("starts an execution named by the caller, RUNNING while its task runs; the same name and input again is the same execution", async () => {
        const first = await start("same", { hold: "same" });
        assert.equal(first.executionArn, executionArn("same"));
        assert.ok(first.startDate instanceof Date);
        assert.equal((await describe_("same")).status, "RUNNING");
        const again = await start("same", { hold: "same" });
        assert.deepEqual([again.executionArn, again.startDate], [first.executionArn, first.startDate]);
        await assert.rejects(start("same", { hold: "other" }), ExecutionAlreadyExists);
        release("same");
        await service.idle();
        const done = await describe_("same");
        assert.deepEqual([done.status, JSON.parse(done.output!)], ["SUCCEEDED", { result: { worked: true } }]);
        assert.ok(done.stopDate! >= done.startDate!);
        // As on AWS: once an execution has closed, its name cannot start another, whatever the input.
        await assert.rejects(start("same", { hold: "same" }), ExecutionAlreadyExists);
    });

    it("reports a failed execution's error and cause, and each task attempt in its history", async () => {
        await start("fails", { flakyOnce: "fails", fail: "Broken" });
        await service.idle();
        const failed = await describe_("fails");
        assert.deepEqual([failed.status, failed.error], ["FAILED", "Work.Failed"]);
        assert.deepEqual(JSON.parse(failed.cause!), { errorType: "Broken", errorMessage: "It broke." });

        const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn("fails") }));
        assert.deepEqual(
            events.map((e) => e.type),
            ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskStateExited", "FailStateEntered", "ExecutionFailed"],
        );
        assert.deepEqual(events.map((e) => e.id), events.map((_e, i) => i + 1));
        assert.ok(events.every((e) => e.timestamp instanceof Date));
        assert.deepEqual(events[4].taskFailedEventDetails, { resourceType: "lambda", resource: "invoke", error: "Flaky", cause: '{"errorType":"Flaky","errorMessage":"Try again."}' });
        assert.equal(JSON.parse(events[2].taskScheduledEventDetails!.parameters!).FunctionName, "work");
        assert.equal(events[1].stateEnteredEventDetails?.name, "Work");
        assert.equal(events[10].executionFailedEventDetails?.error, "Work.Failed");
    });

    it("lists executions newest first, filters by status, and pages with nextToken", async () => {
        const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE }));
        assert.deepEqual(executions.map((e) => [e.name, e.status]), [["fails", "FAILED"], ["same", "SUCCEEDED"]]);
        const failedOnly = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: "FAILED" }));
        assert.deepEqual(failedOnly.executions?.map((e) => e.name), ["fails"]);
        const page1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1 }));
        const page2 = await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1, nextToken: page1.nextToken }));
        assert.deepEqual([page1.executions?.[0].name, page2.executions?.[0].name, page2.nextToken], ["fails", "same", undefined]);
        const newestEvent = await sfn.send(new GetExecutionHistoryCommand({ executionArn: executionArn("fails"), reverseOrder: true, maxResults: 1 }));
        assert.deepEqual([newestEvent.events?.map((e) => e.type), typeof newestEvent.nextToken], [["ExecutionFailed"], "string"]);
    });

    it("stops a running execution: ABORTED, with the given error and cause", async () => {
        await start("stopped", { hold: "stopped" });
        await sfn.send(new StopExecutionCommand({ executionArn: executionArn("stopped"), error: "Operator", cause: "Changed my mind" }));
        await service.idle();
        const stopped = await describe_("stopped");
        assert.deepEqual([stopped.status, stopped.error, stopped.cause], ["ABORTED", "Operator", "Changed my mind"]);
        release("stopped");
    });

    it("answers AWS's errors: unknown execution or machine, malformed ARN, name or input", async () => {
        await assert.rejects(describe_("never"), ExecutionDoesNotExist);
        await assert.rejects(sfn.send(new DescribeExecutionCommand({ executionArn: "not-an-arn" })), InvalidArn);
        await assert.rejects(sfn.send(new StartExecutionCommand({ stateMachineArn: `${MACHINE}-gone` })), StateMachineDoesNotExist);
        await assert.rejects(start("has space", {}), InvalidName);
        await assert.rejects(sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, input: "{not json" })), InvalidExecutionInput);
        const unknown = await fetch(server.url, { method: "POST", headers: { "x-amz-target": "AWSStepFunctions.CreateActivity" }, body: "{}" });
        assert.equal(unknown.status, 400);
        assert.match(((await unknown.json()) as { __type: string }).__type, /UnknownOperationException$/);
    });

    it("answers a malformed request with the service's own 4xx error, never a 500", async () => {
        const call = async (operation: string, body: string) => {
            const response = await operatorFetch(server.url, "states", "us-east-1", {
                method: "POST",
                headers: { "x-amz-target": `AWSStepFunctions.${operation}`, "content-type": "application/x-amz-json-1.0" },
                body,
            });
            const { __type, message } = (await response.json()) as { __type?: string; message?: string };
            return { status: response.status, type: __type?.split("#").pop(), message };
        };
        const invalid = (member: string) => ({ status: 400, type: "ValidationException", member });
        const seen = async (operation: string, body: string) => {
            const { status, type, message } = await call(operation, body);
            return { status, type, member: /at '(\w+)'/.exec(message ?? "")?.[1] };
        };
        assert.deepEqual(await call("DescribeExecution", "null"), { status: 400, type: "SerializationException", message: "The request body must be a JSON object, not null." });
        assert.deepEqual((await call("ListExecutions", "[1]")).type, "SerializationException");
        assert.deepEqual(await call("StartExecution", JSON.stringify({ stateMachineArn: MACHINE, input: { a: 1 } })), {
            status: 400,
            type: "SerializationException",
            message: `'input' must be a string, not {"a":1}.`,
        });
        const tooBig = JSON.stringify({ blob: "x".repeat(262_144) });
        assert.deepEqual(await seen("StartExecution", JSON.stringify({ stateMachineArn: MACHINE, input: tooBig })), invalid("input"));
        assert.deepEqual(await seen("StartExecution", JSON.stringify({ stateMachineArn: MACHINE, name: "n".repeat(81) })), invalid("name"));
        assert.deepEqual(await seen("ListExecutions", JSON.stringify({ stateMachineArn: MACHINE, statusFilter: "DONE" })), invalid("statusFilter"));
        assert.deepEqual(await seen("ListExecutions", JSON.stringify({ stateMachineArn: MACHINE, maxResults: 5000 })), invalid("maxResults"));
        assert.deepEqual(await seen("DescribeExecution", "{}"), invalid("executionArn"));
        // The largest input AWS takes is still taken.
        const fits = JSON.stringify({ blob: "x".repeat(262_144 - 11) });
        assert.equal(Buffer.byteLength(fits), 262_144);
        assert.equal((await call("StartExecution", JSON.stringify({ stateMachineArn: MACHINE, name: "largest", input: fits }))).status, 200);
    });
});
