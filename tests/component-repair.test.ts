// SagaComponent's repair, registered under the Pulumi mocks: the repair machine and its role, the
// two functions of the package's own, the needs-attention queue with the alarm that pages, the
// EventBridge rules with their targets, and exactly what each may do; `repair` and its refusals.
import * as assert from "node:assert/strict";
import { SagaComponent, SagaStep } from "../components";
import { SagaErrors, Tags } from "../components/model/conventions";
import { buildRepairDefinition, repairAttempts, statusChangePattern } from "../components/model/repair";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { matchesPattern } from "../components/model/event-pattern";
import { statusChange } from "../policy-pack/policies/repair";
import { refuses } from "./support/refusals";
import { ACCOUNT, archiveText, AUTONAME_SUFFIX, byType, deploy, find, policyOf, REGION, setupMocks } from "./support/mocks";
import { assertValidAsl } from "./support/asl";
import { ResourceTypes } from "../components/model/resource-types";
// eslint-disable-next-line @typescript-eslint/no-require-imports

const physical = (name: string) => `${name}${AUTONAME_SUFFIX}`;
const lambdaArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical(name)}`;
const machineArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physical(name)}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${physical(name)}`;
const ruleArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${physical(name)}`;
const logGroupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical(name)}`;
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical("booking-table")}`;
const NEEDS_ATTENTION = queueArn("booking-needs-attention");
const NEEDS_ATTENTION_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical("booking-needs-attention")}`;
const ALARM_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:saga-alarms`;
const CANCELS = { "Cancel Hotel": "booking-hotel-cancel", "Cancel Flight": "booking-flight-cancel", "Refund Payment": "booking-payment-cancel" };
const EXISTING_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:flight-desk-cancel`;

const ownStatements = (fn: string) => [
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn(`${fn}-logs`)}:*` },
    { Sid: "XRayTracing", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
];

describe("SagaComponent's repair", () => {
    before(async () => {
        setupMocks();
        await deploy(
            () =>
                new SagaComponent("booking", {
                    steps: travelSteps,
                    start: travelStart,
                    status: { path: "/trips/{tripId}", handler: travelStatus },
                    alarmActions: [ALARM_TOPIC],
                    tags: { team: "bookings" },
                }),
        );
    });

    it("defines the repair machine with buildRepairDefinition, the cancels' ARNs and a 24-hour horizon: valid ASL", () => {
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "booking-repair-machine").inputs.definition);
        const expected = buildRepairDefinition({
            steps: travelSteps,
            functionArns: Object.fromEntries(Object.entries(CANCELS).map(([state, fn]) => [state, lambdaArn(fn)])),
            outcomeFunctionArn: lambdaArn("booking-repair-outcome"),
            needsAttentionQueueUrl: NEEDS_ATTENTION_URL,
        });
        assert.deepEqual(definition, expected);
        assert.equal((definition.States["Cancel Hotel"].Retry as { MaxAttempts: number }[])[0].MaxAttempts, repairAttempts(86_400));
        assertValidAsl(definition);
    });

    it("runs the repair machine as STANDARD, logging errors to its own log group, tracing, tagged as the saga's repair", () => {
        const machine = find(ResourceTypes.stateMachine, "booking-repair-machine").inputs;
        assert.equal(machine.type, "STANDARD");
        assert.equal(machine.roleArn, `arn:aws:iam::${ACCOUNT}:role/${physical("booking-repair-machine-role")}`);
        const logGroup = find(ResourceTypes.logGroup, "booking-repair-machine-logs");
        assert.equal(logGroup.inputs.namePrefix, "/aws/vendedlogs/states/booking-repair-machine-");
        assert.deepEqual(machine.loggingConfiguration, {
            level: "ERROR",
            includeExecutionData: true,
            logDestination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroup.state.name}:*`,
        });
        assert.deepEqual(machine.tracingConfiguration, { enabled: true });
        assert.deepEqual(machine.tags, { team: "bookings", [Tags.saga]: "booking", [Tags.role]: "repair" });
        assert.equal(JSON.parse(find(ResourceTypes.role, "booking-repair-machine-role").inputs.assumeRolePolicy).Statement[0].Principal.Service, "states.amazonaws.com");
    });

    it("lets the repair machine invoke exactly the three cancels and the outcome function, and send to the needs-attention queue", () => {
        assert.deepEqual(policyOf("booking-repair-machine-policy").Statement.slice(0, 2), [
            {
                Sid: "InvokeCompensations",
                Effect: "Allow",
                Action: ["lambda:InvokeFunction"],
                Resource: [...Object.values(CANCELS), "booking-repair-outcome"].map(lambdaArn).sort(),
            },
            { Sid: "TellAPerson", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: NEEDS_ATTENTION },
        ]);
        assert.deepEqual(
            policyOf("booking-repair-machine-policy").Statement.slice(2).map((s: { Sid: string; Resource: string }) => [s.Sid, s.Resource]),
            [["DeliverLogs", "*"], ["XRayTracing", "*"]],
        );
    });

    it("lets the start function only start the repair machine and report the events it fails on to the needs-attention queue", async () => {
        const fn = find(ResourceTypes.function, "booking-repair-start").inputs;
        assert.deepEqual(fn.environment.variables, { STATE_MACHINE_ARN: machineArn("booking-repair-machine") });
        assert.deepEqual(fn.tags, { team: "bookings", [Tags.saga]: "booking", [Tags.role]: "repair-start" });
        assert.deepEqual([fn.runtime, fn.handler, fn.timeout], ["nodejs22.x", "index.handler", 10]);
        assert.deepEqual(policyOf("booking-repair-start-policy").Statement, [
            { Sid: "StartRepair", Effect: "Allow", Action: ["states:StartExecution"], Resource: machineArn("booking-repair-machine") },
            { Sid: "ReportFailedStarts", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: NEEDS_ATTENTION },
            ...ownStatements("booking-repair-start"),
        ]);
        // The package's own handler, bundled: it logs "Repair started", and the SDK stays out.
        const code = (await archiveText(fn.code))["index.js"];
        assert.match(code, /Repair started/);
        assert.ok(code.length < 30_000, `${code.length} bytes`);
    });

    it("lets the outcome function only put items in the saga's table", async () => {
        const fn = find(ResourceTypes.function, "booking-repair-outcome").inputs;
        assert.deepEqual(fn.environment.variables, { TABLE_NAME: physical("booking-table") });
        assert.deepEqual(fn.tags, { team: "bookings", [Tags.saga]: "booking", [Tags.role]: "repair-outcome" });
        assert.deepEqual(policyOf("booking-repair-outcome-policy").Statement, [
            { Sid: "TableAccess", Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: TABLE_ARN },
            ...ownStatements("booking-repair-outcome"),
        ]);
        assert.match((await archiveText(fn.code))["index.js"], /SAGA#OUTCOME/);
    });

    it("sends the saga machine's ABORTED, TIMED_OUT and FAILED status changes, except a clean rollback, to the start function", () => {
        const rule = find(ResourceTypes.eventRule, "booking-status-changes").inputs;
        const saga = machineArn("booking-machine");
        const pattern = JSON.parse(rule.eventPattern);
        assert.deepEqual(pattern, {
            source: ["aws.states"],
            "detail-type": ["Step Functions Execution Status Change"],
            detail: {
                stateMachineArn: [saga],
                $or: [{ status: ["ABORTED", "TIMED_OUT"] }, { status: ["FAILED"], error: [{ "anything-but": ["Saga.RolledBack"] }] }],
            },
        });
        assert.deepEqual(pattern, statusChangePattern(saga, SagaErrors.RolledBack));
        const matches = (arn: string, status: string, error: string | null) => matchesPattern(pattern, statusChange(arn, { status, error }));
        assert.ok(matches(saga, "FAILED", SagaErrors.CompensationFailed));
        assert.ok(matches(saga, "FAILED", "States.Runtime"));
        assert.ok(matches(saga, "ABORTED", null));
        assert.ok(matches(saga, "TIMED_OUT", "States.Timeout"));
        assert.ok(!matches(saga, "FAILED", SagaErrors.RolledBack), "a clean rollback has nothing to repair");
        assert.ok(!matches(saga, "SUCCEEDED", null));
        assert.ok(!matches(saga, "RUNNING", null));
        assert.ok(!matches(machineArn("booking-repair-machine"), "FAILED", SagaErrors.CompensationFailed), "only this saga's machine");

        assert.deepEqual(find(ResourceTypes.eventTarget, "booking-status-changes-target").inputs, {
            rule: physical("booking-status-changes"),
            arn: lambdaArn("booking-repair-start"),
            // What EventBridge cannot deliver in 24 hours goes to a person.
            deadLetterConfig: { arn: NEEDS_ATTENTION },
            retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
        });
        const permission = find(ResourceTypes.permission, "booking-status-changes-invoke");
        assert.deepEqual(permission.inputs, {
            action: "lambda:InvokeFunction",
            function: physical("booking-repair-start"),
            principal: "events.amazonaws.com",
            sourceArn: ruleArn("booking-status-changes"),
        });
        // An event the function fails on in all Lambda's attempts goes to a person too.
        assert.deepEqual(find(ResourceTypes.invokeConfig, "booking-repair-start-async").inputs, {
            functionName: physical("booking-repair-start"),
            maximumRetryAttempts: 2,
            maximumEventAgeInSeconds: 21_600,
            destinationConfig: { onFailure: { destination: NEEDS_ATTENTION } },
        });
    });

    it("sends a repair that ends unexpectedly (not with Saga.NeedsAttention) to the needs-attention queue, which EventBridge may send to from the two rules only", () => {
        const repair = machineArn("booking-repair-machine");
        const pattern = JSON.parse(find(ResourceTypes.eventRule, "booking-repair-failures").inputs.eventPattern);
        assert.deepEqual(pattern, statusChangePattern(repair, SagaErrors.NeedsAttention));
        assert.ok(matchesPattern(pattern, statusChange(repair, { status: "ABORTED", error: null })));
        assert.ok(matchesPattern(pattern, statusChange(repair, { status: "FAILED", error: "Lambda.ServiceException" })));
        assert.ok(!matchesPattern(pattern, statusChange(repair, { status: "FAILED", error: SagaErrors.NeedsAttention })), "already on the queue, step by step");
        assert.deepEqual(find(ResourceTypes.eventTarget, "booking-repair-failures-target").inputs, { rule: physical("booking-repair-failures"), arn: NEEDS_ATTENTION });
        const access = find(ResourceTypes.queuePolicy, "booking-needs-attention-access").inputs;
        assert.equal(access.queueUrl, NEEDS_ATTENTION_URL);
        assert.deepEqual(JSON.parse(access.policy), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "EventBridgeDelivers",
                    Effect: "Allow",
                    Principal: { Service: "events.amazonaws.com" },
                    Action: "sqs:SendMessage",
                    Resource: NEEDS_ATTENTION,
                    Condition: { ArnEquals: { "aws:SourceArn": [ruleArn("booking-repair-failures"), ruleArn("booking-status-changes")] } },
                },
            ],
        });
    });

    it("pages through the needs-attention queue's alarm only", () => {
        const alarms = byType(ResourceTypes.metricAlarm);
        assert.deepEqual(alarms.map((a) => [a.name, a.inputs.dimensions.QueueName, a.inputs.alarmActions]), [
            ["booking-needs-attention-alarm", physical("booking-needs-attention"), [ALARM_TOPIC]],
        ]);
    });
});

describe("SagaComponent's `repair` option", () => {
    before(() => setupMocks());

    it("sets the horizon each cancel is retried for, and invokes an existing cancel function by its ARN", async () => {
        const steps: SagaStep[] = travelSteps.map((step) => (step.name === "Flight" ? { ...step, cancel: { functionArn: EXISTING_ARN, stateName: "Cancel Flight" } } : step));
        await deploy(() => new SagaComponent("hourly", { steps, start: travelStart, repair: { horizonSeconds: 3600 } }));
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "hourly-repair-machine").inputs.definition);
        // 1 + 2 + ... + 2048 = 4095 seconds >= 3600: 12 retries.
        assert.equal(definition.States["Refund Payment"].Retry[0].MaxAttempts, 12);
        assert.equal(definition.States["Cancel Flight"].Parameters.FunctionName, EXISTING_ARN);
        const invoke = policyOf("hourly-repair-machine-policy").Statement[0];
        assert.deepEqual(invoke.Resource, [EXISTING_ARN, ...["hourly-hotel-cancel", "hourly-payment-cancel", "hourly-repair-outcome"].map(lambdaArn)].sort());
    });

    it("refuses a horizon that is not a whole number of seconds from 60 to a year, or not an object", () => {
        for (const horizonSeconds of [59, 1.5, 31_536_001, "86400"]) {
            refuses("badrepair", { repair: { horizonSeconds: horizonSeconds as number } }, "`repair.horizonSeconds` must be a whole number from 60 to 31536000.");
        }
        refuses("badrepair", { repair: "daily" as never }, "`repair` must be an object: { horizonSeconds }.");
    });

    it("refuses a horizon too long for every step's compensation to be retried to it in one execution, stating the longest", () =>
        // 3 steps: the repairing record (3 short retries, 4 attempts of 30 s: 127 s) and 4 tasks
        // retried to the horizon (3 cancels and the final record), each 4095 s plus k hours of
        // waits and 13 + k attempts of 30 s: 508 + 4 × (4485 + 3630 k) <= 31536000 gives k = 2170,
        // so the horizon is at most 4095 + 2170 × 3600 = 7816095 seconds (90 days).
        refuses(
            "longrepair",
            { repair: { horizonSeconds: 31_536_000 } },
            "`repair.horizonSeconds` (31536000) is too long for 3 steps: a repair retries each step's compensation up to the horizon, one after the other, " +
                "and a Step Functions execution lasts at most a year (31536000 seconds). With these steps the horizon can be at most 7816095 seconds.",
        ));

    it("accepts that longest horizon", async () => {
        await deploy(() => new SagaComponent("longest", { steps: travelSteps, start: travelStart, repair: { horizonSeconds: 7_816_095 } }));
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "longest-repair-machine").inputs.definition);
        assert.equal(definition.States["Cancel Hotel"].Retry[0].MaxAttempts, 12 + 2170);
    });

    it("counts the repair's children in the longest component name", () => {
        const name = "b".repeat(37);
        const steps: SagaStep[] = [{ ...travelSteps[0], name: "A" }];
        refuses(
            name,
            { steps },
            `The component name "${name}" is too long: the IAM role of the repair machine would be named "${name}-repair-machine-role" plus Pulumi's ` +
                "8-character random suffix, 65 characters, over the AWS limit of 64. With these steps the component name can have at most 36 characters.",
        );
    });
});
