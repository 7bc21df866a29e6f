// The EXPRESS workflow type: its definition, from the pure builder (the outcome recorded with
// Step Functions' own DynamoDB integration before each ending, a worst case within 5 minutes),
// and SagaComponent with `workflowType: "EXPRESS"` under the Pulumi mocks (the machine, its
// logging and role, the open-saga index, the sweep on its schedule, the start's and status's
// grants), with the STANDARD saga left exactly as it was.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SagaComponent, SagaStep, WorkflowType } from "../components";
import { ExpressOutcomes, OpenSagaIndex, OUTCOME_RECORD_SK, Tags } from "../components/model/conventions";
import { buildSagaDefinition, CONDITIONAL_CHECK_FAILED } from "../components/model/definition";
import { DEFAULT_TASK_TIMEOUT_SECONDS, EXPRESS_MAX_SECONDS, stateWorstCaseSeconds, worstCaseDuration } from "../components/model/duration";
import { actionsOf, ExpressStates, FixedStates, stateNameOf } from "../components/model/steps";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { walk } from "../components/model/asl";
import { assertValidAsl } from "./support/asl";
import { ACCOUNT, AUTONAME_SUFFIX, byType, deploy, find, policyOf, REGION, setupMocks } from "./support/mocks";
import { ResourceTypes as Types } from "../components/model/resource-types";
import { refuses } from "./support/refusals";

const TABLE = "booking-table-x";
const arnsFor = (steps: SagaStep[]) =>
    Object.fromEntries(steps.flatMap((s) => actionsOf(s).map(({ role }) => [stateNameOf(s, role), `arn:aws:lambda:us-east-1:123456789012:function:${s.name}-${role}`])));
const build = (steps: SagaStep[], workflowType?: WorkflowType, options = {}) =>
    buildSagaDefinition({ steps, functionArns: arnsFor(steps), failureQueueUrl: "https://sqs/failures", options, workflowType, tableName: TABLE });

describe("the EXPRESS definition", () => {
    const definition = build(travelSteps, "EXPRESS");
    const forward = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"];

    it("passes asl-validator and matches the reviewed golden definition", () => {
        assertValidAsl(definition);
        const golden = path.join(__dirname, "golden", "travel-express.asl.json");
        if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, JSON.stringify(definition, null, 2) + "\n");
        assert.deepEqual(definition, JSON.parse(fs.readFileSync(golden, "utf8")));
    });

    it("records the outcome before each ending: succeeded, rolled back, compensation failed", () => {
        assert.deepEqual(walk(definition), [...forward, ExpressStates.recordSucceeded, FixedStates.succeeded]);
        assert.deepEqual(walk(definition, new Set(["Take Payment"])), [
            "Reserve Hotel", "Reserve Flight", "Take Payment", "Refund Payment", "Cancel Flight", "Cancel Hotel", ExpressStates.recordRolledBack, FixedStates.rolledBack,
        ]);
        assert.deepEqual(walk(definition, new Set(["Take Payment", "Cancel Flight"])).slice(-3), [
            FixedStates.summarizeFailures, ExpressStates.recordCompensationFailed, FixedStates.compensationFailed,
        ]);
    });

    it("rolls the saga back when its success cannot be recorded: the table, not the execution, says it succeeded", () => {
        assert.deepEqual(walk(definition, new Set([ExpressStates.recordSucceeded])), [
            ...forward, ExpressStates.recordSucceeded, "Refund Payment", "Cancel Flight", "Cancel Hotel", ExpressStates.recordRolledBack, FixedStates.rolledBack,
        ]);
        const catchers = definition.States[ExpressStates.recordSucceeded].Catch as { ErrorEquals: string[]; Next: string }[];
        // Already recorded (a duplicate execution ended first): succeeded all the same.
        assert.deepEqual(catchers[0], { ErrorEquals: [CONDITIONAL_CHECK_FAILED], ResultPath: null, Next: FixedStates.succeeded });
    });

    it("updates the saga's record with Step Functions' DynamoDB integration, only while it is running, and never retries a refused condition", () => {
        for (const [state, outcome] of [
            [ExpressStates.recordSucceeded, ExpressOutcomes.succeeded],
            [ExpressStates.recordRolledBack, ExpressOutcomes.rolledBack],
            [ExpressStates.recordCompensationFailed, ExpressOutcomes.compensationFailed],
        ]) {
            const task = definition.States[state] as Record<string, any>;
            assert.equal(task.Resource, "arn:aws:states:::dynamodb:updateItem", state);
            assert.equal(task.Parameters.TableName, TABLE);
            assert.deepEqual(task.Parameters.Key, { pk: { "S.$": "$$.Execution.Name" }, sk: { S: OUTCOME_RECORD_SK } });
            assert.equal(task.Parameters.ConditionExpression, "outcome = :running");
            assert.deepEqual(task.Parameters.ExpressionAttributeValues[":outcome"], { S: outcome });
            assert.deepEqual(task.Retry[0], { ErrorEquals: [CONDITIONAL_CHECK_FAILED], MaxAttempts: 0 });
            const leavesIndex = task.Parameters.UpdateExpression.includes(`REMOVE ${OpenSagaIndex.shard}, ${OpenSagaIndex.due}`);
            // A failed compensation stays open, due at once (the execution's start), for the sweep.
            assert.equal(leavesIndex, outcome !== ExpressOutcomes.compensationFailed, state);
        }
        const failed = definition.States[ExpressStates.recordCompensationFailed] as Record<string, any>;
        assert.deepEqual(failed.Parameters.ExpressionAttributeValues[":due"], { "S.$": "$$.Execution.StartTime" });
    });

    it("fits its worst case in 5 minutes with the EXPRESS defaults (4-second tasks), under a 300-second time limit", () => {
        assert.equal(definition.TimeoutSeconds, EXPRESS_MAX_SECONDS);
        const worst = worstCaseDuration(definition);
        // 6 forward tasks (3 attempts of 4 s, waits 1 + 2), 3 cancels and 3 failure records (4 attempts, 1 + 2 + 4), the final record.
        assert.equal(worst.seconds, 6 * 15 + 6 * 23 + 23);
        assert.equal(worst.path.at(-1), ExpressStates.recordCompensationFailed);
    });

    it("refuses a time limit over 5 minutes, and a saga whose worst case does not fit, saying what to lower", () => {
        assert.throws(() => build(travelSteps, "EXPRESS", { timeoutSeconds: 301 }), /`timeoutSeconds` \(301\) is over 300: an EXPRESS execution lasts at most 5 minutes/);
        assert.throws(
            () => build(travelSteps, "EXPRESS", { taskTimeoutSeconds: 10 }),
            /its worst case is 527 seconds, over the 300 an EXPRESS execution may last.*Lower `taskTimeoutSeconds` \(with `lambda.timeoutSeconds`\) or the retries, or use the STANDARD workflow type\./,
        );
    });

    it("leaves STANDARD as it was: no record state, 6 states on success", () => {
        const standard = build(travelSteps);
        assert.deepEqual(standard, build(travelSteps, "STANDARD"));
        assert.equal(walk(standard).length, 6);
        assert.ok(!Object.values(ExpressStates).some((state) => state in standard.States));
        assert.equal(standard.TimeoutSeconds, 900);
    });
});

describe("the worst-case duration of a definition", () => {
    it("counts every attempt of each retrier at the task's timeout, and the waits, capped by MaxDelaySeconds", () => {
        const task = {
            Type: "Task",
            TimeoutSeconds: 10,
            Retry: [
                { ErrorEquals: ["A"], MaxAttempts: 2, IntervalSeconds: 1, BackoffRate: 2 },
                { ErrorEquals: ["States.ALL"], MaxAttempts: 3, IntervalSeconds: 5, BackoffRate: 3, MaxDelaySeconds: 20 },
            ],
        };
        // 6 attempts of 10 s; waits 1 + 2 and 5 + 15 + 20.
        assert.equal(stateWorstCaseSeconds(task), 60 + 3 + 40);
        assert.equal(stateWorstCaseSeconds({ Type: "Task" }), DEFAULT_TASK_TIMEOUT_SECONDS);
        assert.equal(stateWorstCaseSeconds({ Type: "Wait", Seconds: 7 }), 7);
        assert.equal(stateWorstCaseSeconds({ Type: "Wait", SecondsPath: "$.x" }), Infinity);
    });

    it("follows Next, Choice branches and catchers to the longest path; a loop is unbounded", () => {
        const asl = {
            StartAt: "A",
            States: {
                A: { Type: "Task", TimeoutSeconds: 1, Next: "B", Catch: [{ ErrorEquals: ["States.ALL"], Next: "Slow" }] },
                B: { Type: "Choice", Choices: [{ Variable: "$.x", BooleanEquals: true, Next: "Done" }], Default: "Wait" },
                Wait: { Type: "Wait", Seconds: 5, Next: "Done" },
                Slow: { Type: "Task", TimeoutSeconds: 9, End: true },
                Done: { Type: "Succeed" },
            },
        };
        assert.deepEqual(worstCaseDuration(asl), { seconds: 10, path: ["A", "Slow"] });
        const loop = { StartAt: "A", States: { A: { Type: "Pass", Next: "B" }, B: { Type: "Wait", Seconds: 1, Next: "A" } } };
        assert.equal(worstCaseDuration(loop).seconds, Infinity);
    });
});

const physical = (name: string) => `${name}${AUTONAME_SUFFIX}`;
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical("booking-table")}`;

describe("SagaComponent with workflowType EXPRESS", () => {
    let component: SagaComponent;
    before(async () => {
        setupMocks();
        component = await deploy(
            () => new SagaComponent("booking", { steps: travelSteps, start: travelStart, status: { path: "/trips/{tripId}", handler: travelStatus }, workflowType: "EXPRESS" }),
        );
    });

    it("makes the saga's machine EXPRESS, logging ALL with execution data to its own log group; the repair machine stays STANDARD", () => {
        const machine = find(Types.stateMachine, "booking-machine").inputs;
        assert.equal(machine.type, "EXPRESS");
        assert.deepEqual(machine.loggingConfiguration, { level: "ALL", includeExecutionData: true, logDestination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/booking-machine-generated:*` });
        assert.equal(JSON.parse(machine.definition).States[ExpressStates.recordSucceeded].Parameters.TableName, physical("booking-table"));
        assert.equal(find(Types.stateMachine, "booking-repair-machine").inputs.type, "STANDARD");
    });

    it("lets the machine's role update the saga's table and nothing else of it, beside invoking its steps and delivering its logs", () => {
        const statements = policyOf("booking-machine-policy").Statement as { Sid: string; Action: string[]; Resource: unknown }[];
        const table = statements.filter((s) => s.Action.some((a) => a.startsWith("dynamodb:")));
        assert.deepEqual(table, [{ Sid: "RecordOutcome", Effect: "Allow", Action: ["dynamodb:UpdateItem"], Resource: TABLE_ARN }]);
        assert.ok(statements.some((s) => s.Sid === "DeliverLogs" && s.Action.includes("logs:CreateLogDelivery")));
    });

    it("gives the table the sparse index of open sagas the sweep reads", () => {
        const table = find(Types.table, "booking-table").inputs;
        assert.deepEqual(table.globalSecondaryIndexes, [{ name: OpenSagaIndex.name, hashKey: OpenSagaIndex.shard, rangeKey: OpenSagaIndex.due, projectionType: "KEYS_ONLY" }]);
        assert.deepEqual(table.attributes.map((a: { name: string }) => a.name), ["pk", "sk", OpenSagaIndex.shard, OpenSagaIndex.due]);
    });

    it("runs the sweep every minute: a schedule rule, its target, the permission to invoke, and exactly the sweep's grants", () => {
        const rule = find(Types.eventRule, "booking-sweep-schedule").inputs;
        assert.equal(rule.scheduleExpression, "rate(1 minute)");
        const sweep = find(Types.function, "booking-sweep").inputs;
        assert.equal(sweep.tags[Tags.role], "sweep");
        assert.equal(sweep.timeout, 50);
        const target = find(Types.eventTarget, "booking-sweep-schedule-target").inputs;
        assert.equal(target.arn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical("booking-sweep")}`);
        const permission = find(Types.permission, "booking-sweep-schedule-invoke").inputs;
        assert.deepEqual([permission.principal, permission.sourceArn], ["events.amazonaws.com", `arn:aws:events:${REGION}:${ACCOUNT}:rule/${physical("booking-sweep-schedule")}`]);
        const statements = policyOf("booking-sweep-policy").Statement.slice(0, 3);
        assert.deepEqual(statements, [
            { Sid: "FindOpenSagas", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${TABLE_ARN}/index/${OpenSagaIndex.name}` },
            { Sid: "ReadAndCloseSagas", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: TABLE_ARN },
            { Sid: "StartRepair", Effect: "Allow", Action: ["states:StartExecution"], Resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physical("booking-repair-machine")}` },
        ]);
        assert.ok(component.sweepFunction && component.sweepRule);
    });

    it("lets the start write and read the saga's record, with its deadline's time limit; the status only Query the table", () => {
        const start = find(Types.function, "booking-start").inputs.environment.variables;
        assert.deepEqual([start.SAGA_WORKFLOW_TYPE, start.SAGA_EXECUTION_TIMEOUT_SECONDS, start.TABLE_NAME], ["EXPRESS", "300", physical("booking-table")]);
        const startTable = policyOf("booking-start-policy").Statement.find((s: { Sid: string }) => s.Sid === "TableAccess");
        assert.deepEqual(startTable, { Sid: "TableAccess", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: TABLE_ARN });
        const status = policyOf("booking-status-policy").Statement as { Action: string[] }[];
        assert.ok(!status.some((s) => s.Action.some((a) => a.startsWith("states:"))), "no DescribeExecution: EXPRESS executions cannot be described");
        assert.equal(find(Types.function, "booking-status").inputs.environment.variables.SAGA_WORKFLOW_TYPE, "EXPRESS");
    });

    it("defaults its functions to 3-second timeouts, under the 4-second tasks", () => {
        assert.equal(find(Types.function, "booking-hotel-reserve").inputs.timeout, 3);
        assert.equal(JSON.parse(find(Types.stateMachine, "booking-machine").inputs.definition).States["Reserve Hotel"].TimeoutSeconds, 4);
    });
});

describe("SagaComponent with the default workflow type", () => {
    before(async () => {
        setupMocks();
        await deploy(() => new SagaComponent("booking", { steps: travelSteps, start: travelStart }));
    });

    it("is STANDARD as before: no sweep, no index, no table access for the start", () => {
        assert.equal(find(Types.stateMachine, "booking-machine").inputs.type, "STANDARD");
        assert.equal(find(Types.stateMachine, "booking-machine").inputs.loggingConfiguration.level, "ERROR");
        assert.equal(find(Types.table, "booking-table").inputs.globalSecondaryIndexes, undefined);
        assert.ok(!byType(Types.function).some((f) => f.name === "booking-sweep"));
        assert.ok(!byType(Types.eventRule).some((r) => r.inputs.scheduleExpression !== undefined));
        assert.equal(find(Types.function, "booking-start").inputs.environment.variables.SAGA_WORKFLOW_TYPE, undefined);
        assert.ok(!policyOf("booking-machine-policy").Statement.some((s: { Sid: string }) => s.Sid === "RecordOutcome"));
    });
});

describe("SagaComponent refuses an EXPRESS saga that cannot work", () => {
    before(() => setupMocks());

    it("an unknown workflow type", () =>
        refuses("bad-type", { workflowType: "FAST" as WorkflowType }, '`workflowType` must be "STANDARD" or "EXPRESS"; got "FAST".'));

    it("a time limit over 5 minutes, naming the argument", () =>
        refuses(
            "too-long",
            { workflowType: "EXPRESS", definition: { timeoutSeconds: 900 } },
            "`definition` is invalid for the EXPRESS workflow type: `timeoutSeconds` (900) is over 300: an EXPRESS execution lasts at most 5 minutes. Lower it, or use the STANDARD workflow type.",
        ));

    it("task timeouts and retries whose worst case exceeds 5 minutes", () => {
        assert.throws(
            () => new SagaComponent("slow", { steps: travelSteps, start: travelStart, workflowType: "EXPRESS", definition: { taskTimeoutSeconds: 30 }, lambda: { timeoutSeconds: 10 } }),
            /`definition` is invalid for the EXPRESS workflow type: its worst case is \d+ seconds, over the 300/,
        );
    });
});
