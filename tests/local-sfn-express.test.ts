// An EXPRESS state machine on the local Step Functions, driven over HTTP by the AWS SDK, answering
// as AWS does (its answers recorded against AWS, in NOTES.md): executions of resource type
// `express` with an id of their own, a taken name starting another execution, DescribeExecution,
// GetExecutionHistory and StopExecution refused as InvalidArn, ListExecutions as
// StateMachineTypeNotSupported; `.sync`, `.waitForTaskToken` and activities refused at creation;
// an execution cut off at its time limit (the definition's own, or the 5 minutes of EXPRESS).
import "./support/aws-env";
import {
    DescribeExecutionCommand,
    GetExecutionHistoryCommand,
    InvalidArn,
    ListExecutionsCommand,
    SFNClient,
    StartExecutionCommand,
    StateMachineTypeNotSupported,
    StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import { SfnError, StepFunctionsService } from "../local/sfn/service";
import { allowEveryCall } from "./support/iam";
import { serveStepFunctions, ServedStepFunctions } from "./support/sfn-server";

const PREFIX = "arn:aws:states:us-east-1:000000000000";
const ROLE = "arn:aws:iam::000000000000:role/probe";
const task = (extra: object = {}) => ({ StartAt: "Work", States: { Work: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: "work", "Payload.$": "$" }, End: true, ...extra } } });
const INVALID_ARN = "Invalid Arn: 'Resource type not valid in this context: express'";

describe("an EXPRESS state machine on the local Step Functions, answering as AWS does", () => {
    let served: ServedStepFunctions;
    let sfn: SFNClient;
    let service: StepFunctionsService;
    /** Tasks whose input says `{ "hold": "<key>" }` wait until the test releases that key. */
    const held = new Map<string, () => void>();
    const calls: unknown[] = [];

    const machine = (name: string, definition: object, type = "EXPRESS") => {
        const arn = `${PREFIX}:stateMachine:${name}`;
        service.createStateMachine({ name, arn, definition: JSON.stringify(definition), roleArn: ROLE, type });
        return arn;
    };

    before(async () => {
        service = new StepFunctionsService({
            region: "us-east-1",
            retryIntervalMs: 0,
            // AWS's 5 minutes, shortened so the test sees the limit act.
            expressMaxSeconds: 2,
            targets: {
                authorize: allowEveryCall,
                hasFunction: (name) => name === "work",
                async invokeFunction(_name, payload) {
                    calls.push(payload);
                    const hold = (payload as { hold?: string }).hold;
                    if (hold) await new Promise<void>((resolve) => held.set(hold, resolve));
                    return { worked: true };
                },
                sendMessage: () => ({ MessageId: "unused" }),
            },
        });
        machine("fast", task());
        service.validateDefinitions();
        served = await serveStepFunctions(service);
        sfn = served.sfn;
    });
    after(async () => {
        for (const release of held.values()) release();
        await served?.close();
    });

    it("starts a new execution for every StartExecution, a taken name included, each with an express ARN of its own", async () => {
        const stateMachineArn = `${PREFIX}:stateMachine:fast`;
        const start = () => sfn.send(new StartExecutionCommand({ stateMachineArn, name: "trip-1", input: JSON.stringify({ trip: 1 }) }));
        const [first, second] = [await start(), await start()];
        for (const started of [first, second]) assert.match(started.executionArn!, /^arn:aws:states:us-east-1:000000000000:express:fast:trip-1:[0-9a-f-]{36}$/);
        assert.notEqual(first.executionArn, second.executionArn);
        await service.idle();
        // Both ran: the service keeps them, though the API describes neither.
        assert.deepEqual([first, second].map((started) => service.execution(started.executionArn!)?.status), ["SUCCEEDED", "SUCCEEDED"]);
        assert.deepEqual(calls.slice(-2), [{ trip: 1 }, { trip: 1 }]);
        // Without a name, a fresh one (a UUID), as on AWS.
        const unnamed = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
        assert.match(unnamed.executionArn!, /:express:fast:[0-9a-f-]{36}:[0-9a-f-]{36}$/);
    });

    it("refuses DescribeExecution, GetExecutionHistory and StopExecution of an EXPRESS execution (InvalidArn), and ListExecutions of the machine (StateMachineTypeNotSupported)", async () => {
        const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: `${PREFIX}:stateMachine:fast`, name: "held", input: JSON.stringify({ hold: "held" }) }));
        const refusals = [new DescribeExecutionCommand({ executionArn }), new GetExecutionHistoryCommand({ executionArn }), new StopExecutionCommand({ executionArn })];
        for (const command of refusals) {
            await assert.rejects(sfn.send(command as DescribeExecutionCommand), (error: Error) => error instanceof InvalidArn && error.message === INVALID_ARN);
        }
        // Refused by the ARN's type, not by what exists: an unknown EXPRESS execution is answered the same.
        await assert.rejects(sfn.send(new DescribeExecutionCommand({ executionArn: `${PREFIX}:express:fast:nobody:0` })), InvalidArn);
        await assert.rejects(
            sfn.send(new ListExecutionsCommand({ stateMachineArn: `${PREFIX}:stateMachine:fast` })),
            (error: Error) => error instanceof StateMachineTypeNotSupported && error.message === "This operation is not supported by this type of state machine",
        );
        // StopExecution did not stop it: it still runs until its task ends.
        assert.equal(service.execution(executionArn!)?.status, "RUNNING");
        held.get("held")!();
        await service.idle();
        assert.equal(service.execution(executionArn!)?.status, "SUCCEEDED");
    });

    it("refuses at creation what EXPRESS cannot run: .waitForTaskToken, .sync (nested ones too), activities; any type but STANDARD and EXPRESS", () => {
        const refused = (definition: object, message: string, type = "EXPRESS") =>
            assert.throws(() => machine(`refused-${Math.random().toString(36).slice(2)}`, definition, type), (error: Error) => error instanceof SfnError && error.message === message);
        const resource = (Resource: string) => ({ StartAt: "Publish", States: { Publish: { Type: "Task", Resource, End: true } } });
        refused(
            resource("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/Publish/Resource'",
        );
        const nested = { StartAt: "Both", States: { Both: { Type: "Parallel", End: true, Branches: [resource("arn:aws:states:::states:startExecution.sync:2")] } } };
        refused(nested, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/Both/Branches[0]/States/Publish/Resource'");
        refused(resource(`${PREFIX}:activity:approve`), "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at /States/Publish/Resource'");
        refused(task(), "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", "FAST");
        // The same definitions are a STANDARD machine's to run.
        assert.doesNotThrow(() => machine("standard-sync", nested, "STANDARD"));
    });

    it("cuts an execution off at its definition's TimeoutSeconds, and at the EXPRESS limit when the definition allows longer", async () => {
        const own = machine("own-limit", { ...task(), TimeoutSeconds: 1 });
        const capped = machine("capped", { ...task(), TimeoutSeconds: 3600 });
        const started = Date.now();
        const [a, b] = [service.startExecution(own, "a", JSON.stringify({ hold: "own" })), service.startExecution(capped, "b", JSON.stringify({ hold: "capped" }))];
        await service.idle();
        for (const execution of [a, b]) assert.deepEqual([execution.status, execution.error], ["TIMED_OUT", "States.Timeout"]);
        assert.ok(a.stopDate!.getTime() - a.startDate.getTime() < 1900, "the definition's own 1 s");
        assert.ok(b.stopDate!.getTime() - b.startDate.getTime() >= 1900, "the 2 s EXPRESS limit of this service");
        assert.ok(Date.now() - started < 4000);
        assert.equal(b.history.at(-1)?.type, "ExecutionTimedOut");
    });
});

describe("EXPRESS executions run twice now and then, as at-least-once allows (expressDuplicates)", () => {
    /** Each draw the next of these, in turn. */
    const sequence = (values: number[]) => {
        let i = 0;
        return () => values[i++ % values.length];
    };
    const calls: { input: unknown; at: number }[] = [];
    const held = new Map<string, () => void>();
    /** The runs that reported history, by execution ARN (what tells a duplicate's log stream apart). */
    const reported = new Map<string, Set<string>>();
    const service = (random: () => number, onDuplicate?: (late: boolean) => void) => {
        const sfn = new StepFunctionsService({
            region: "us-east-1",
            retryIntervalMs: 0,
            onHistory: (_machine, execution, _events, run) => reported.set(execution.executionArn, (reported.get(execution.executionArn) ?? new Set()).add(run)),
            expressDuplicates: { probability: 0.5, random, lateWithinMs: 100 },
            onDuplicate: (_execution, late) => onDuplicate?.(late),
            targets: {
                authorize: allowEveryCall,
                hasFunction: (name) => name === "work",
                async invokeFunction(_name, payload) {
                    calls.push({ input: payload, at: Date.now() });
                    const hold = (payload as { hold?: string }).hold;
                    if (hold) await new Promise<void>((resolve) => held.set(hold, resolve));
                    return { worked: true };
                },
                sendMessage: () => ({ MessageId: "unused" }),
            },
        });
        sfn.createStateMachine({ name: "twice", arn: `${PREFIX}:stateMachine:twice`, definition: JSON.stringify(task()), roleArn: ROLE, type: "EXPRESS" });
        return sfn;
    };

    it("runs a duplicate with the same ARN, name and input, concurrently or after the first ended, as the draws say; none past the probability", async () => {
        const kinds: boolean[] = [];
        // Per start: [duplicate?, late?, delay]: a concurrent one at once; a late one half of 100 ms after; none (0.7 >= 0.5).
        const sfn = service(sequence([0.1, 0.9, 0, 0.2, 0.1, 0.5, 0.7]), (late) => kinds.push(late));
        const arn = `${PREFIX}:stateMachine:twice`;
        const [a, b, c] = ["a", "b", "c"].map((name) => sfn.startExecution(arn, name, JSON.stringify({ order: name })));
        await sfn.idle();
        const runs = sfn.executionsOf(arn);
        const of = (record: { executionArn: string }) => runs.filter((run) => run.executionArn === record.executionArn);
        assert.deepEqual([of(a).length, of(b).length, of(c).length], [2, 2, 1]);
        for (const run of runs) assert.equal(run.status, "SUCCEEDED");
        assert.deepEqual(of(a).map((run) => [run.name, run.input]), [["a", '{"order":"a"}'], ["a", '{"order":"a"}']]);
        // The late one started after the first had ended.
        const [lateRun, firstB] = [...of(b)].sort((x, y) => y.startDate.getTime() - x.startDate.getTime());
        assert.ok(lateRun.startDate.getTime() >= firstB.stopDate!.getTime());
        assert.deepEqual(kinds, [false, true]);
        assert.deepEqual(sfn.duplicateCounts(), { concurrent: 1, late: 1 });
        // Each run reports its history as a run of its own (its log stream), the first as the ARN.
        assert.deepEqual([a, b, c].map((execution) => reported.get(execution.executionArn)?.size), [2, 2, 1]);
        assert.ok(reported.get(c.executionArn)!.has(c.executionArn));
        assert.equal(calls.filter((call) => (call.input as { order: string }).order === "a").length, 2);
        await sfn.stop();
    });

    it("starts no duplicate once the service stops, and idle() waits for a late one still to come", async () => {
        const sfn = service(sequence([0, 0.1, 0.99]));
        const arn = `${PREFIX}:stateMachine:twice`;
        const execution = sfn.startExecution(arn, "held", JSON.stringify({ hold: "dup-held" }));
        while (!held.has("dup-held")) await new Promise((resolve) => setTimeout(resolve, 5));
        await sfn.stop();
        held.get("dup-held")!();
        await new Promise((resolve) => setTimeout(resolve, 150));
        assert.deepEqual(sfn.executionsOf(arn).map((run) => run.status), ["ABORTED"]);
        assert.deepEqual(sfn.duplicateCounts(), { concurrent: 0, late: 0 });
        assert.equal(execution.status, "ABORTED");

        const waited = service(sequence([0, 0.1, 0.99]));
        waited.startExecution(arn, "waited", JSON.stringify({ order: "w" }));
        await waited.idle();
        assert.deepEqual(waited.executionsOf(arn).map((run) => run.status), ["SUCCEEDED", "SUCCEEDED"]);
        await waited.stop();
    });
});
