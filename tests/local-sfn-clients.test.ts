// What the Step Functions API answers the SDK beyond running executions (issue 22, item 6): the
// machine's logging and tracing configuration, redrive status and reason for each status,
// PENDING_REDRIVE as a filter, the ExecutionAborted event's error and cause after StopExecution,
// ListStateMachines paged, ListTagsForResource with the declared tags.
import "./support/aws-env";
import {
    DescribeExecutionCommand,
    DescribeStateMachineCommand,
    GetExecutionHistoryCommand,
    ListExecutionsCommand,
    ListStateMachinesCommand,
    ListTagsForResourceCommand,
    ResourceNotFound,
    SFNClient,
    StartExecutionCommand,
    StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import { StepFunctionsService } from "../local/sfn/service";
import { lambdaTaskError } from "../local/sfn/tasks";
import { allowEveryCall } from "./support/iam";
import { serveStepFunctions, ServedStepFunctions } from "./support/sfn-server";

const ARN = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;
const DEFINITION = JSON.stringify({
    StartAt: "Work",
    States: { Work: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: "work", "Payload.$": "$" }, End: true } },
});

describe("the local Step Functions API: configuration, redrive, stops, listing and tags as the SDK reads them", () => {
    let served: ServedStepFunctions;
    let sfn: SFNClient;
    let service: StepFunctionsService;
    const held = new Map<string, () => void>();
    const execution = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:traced:${name}`;

    before(async () => {
        service = new StepFunctionsService({
            region: "us-east-1",
            retryIntervalMs: 0,
            targets: {
                authorize: allowEveryCall,
                hasFunction: (name) => name === "work",
                async invokeFunction(_name, payload) {
                    const input = payload as { hold?: string; fail?: string };
                    if (input.hold) await new Promise<void>((resolve) => held.set(input.hold!, resolve));
                    if (input.fail) throw lambdaTaskError(input.fail, "It broke.");
                    return {};
                },
                sendMessage: () => ({ MessageId: "unused" }),
            },
        });
        const role = "arn:aws:iam::000000000000:role/probe";
        service.createStateMachine({ name: "traced", arn: ARN("traced"), definition: DEFINITION, roleArn: role, type: "STANDARD", tracing: true, tags: { team: "trips" } });
        for (const name of ["second", "third"]) service.createStateMachine({ name, arn: ARN(name), definition: DEFINITION, roleArn: role, type: "STANDARD" });
        service.validateDefinitions();
        served = await serveStepFunctions(service);
        ({ sfn } = served);
    });
    after(async () => served?.close());

    it("describes the machine's logging and tracing as declared", async () => {
        const traced = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ARN("traced") }));
        assert.deepEqual([traced.loggingConfiguration, traced.tracingConfiguration], [{ level: "OFF", includeExecutionData: false }, { enabled: true }]);
        assert.deepEqual((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ARN("second") }))).tracingConfiguration, { enabled: false });
    });

    it("gives each status its redrive status and reason, accepts PENDING_REDRIVE, and records a stop's error and cause in ExecutionAborted", async () => {
        const start = (name: string, input: object) => sfn.send(new StartExecutionCommand({ stateMachineArn: ARN("traced"), name, input: JSON.stringify(input) }));
        const redrive = async (name: string) => {
            const described = await sfn.send(new DescribeExecutionCommand({ executionArn: execution(name) }));
            return [described.status, described.redriveStatus, described.redriveStatusReason];
        };
        await start("running", { hold: "running" });
        await start("succeeds", {});
        await start("fails", { fail: "Broken" });
        await start("stopped", { hold: "stopped" });
        await sfn.send(new StopExecutionCommand({ executionArn: execution("stopped"), error: "Operator", cause: "Changed my mind" }));
        held.get("stopped")?.();
        assert.deepEqual(await redrive("running"), ["RUNNING", "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven."]);
        held.get("running")?.();
        await service.idle();
        assert.deepEqual(await redrive("succeeds"), ["SUCCEEDED", "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven."]);
        assert.deepEqual(await redrive("fails"), ["FAILED", "REDRIVABLE", undefined]);
        assert.deepEqual(await redrive("stopped"), ["ABORTED", "REDRIVABLE", undefined]);

        const pending = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN("traced"), statusFilter: "PENDING_REDRIVE" }));
        assert.deepEqual(pending.executions, []);

        const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution("stopped") }));
        const aborted = events.find((event) => event.type === "ExecutionAborted");
        assert.deepEqual(aborted?.executionAbortedEventDetails, { error: "Operator", cause: "Changed my mind" });
    });

    it("pages ListStateMachines with maxResults and nextToken, and lists a machine's declared tags", async () => {
        const first = await sfn.send(new ListStateMachinesCommand({ maxResults: 2 }));
        assert.equal(first.stateMachines?.length, 2);
        const rest = await sfn.send(new ListStateMachinesCommand({ maxResults: 2, nextToken: first.nextToken }));
        assert.deepEqual([rest.stateMachines?.length, rest.nextToken], [1, undefined]);
        assert.deepEqual(new Set([...first.stateMachines!, ...rest.stateMachines!].map((m) => m.name)), new Set(["traced", "second", "third"]));
        assert.deepEqual((await sfn.send(new ListTagsForResourceCommand({ resourceArn: ARN("traced") }))).tags, [{ key: "team", value: "trips" }]);
        await assert.rejects(sfn.send(new ListTagsForResourceCommand({ resourceArn: ARN("gone") })), ResourceNotFound);
    });
});
