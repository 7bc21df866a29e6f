// The travel stack, built through the package entry point and recorded by the Pulumi mocks: what
// exists, how it is named, tagged and wired, and exactly what each role may do.
import * as assert from "node:assert/strict";
import { builtinModules } from "node:module";
import * as saga from "../components";
import { SagaComponent } from "../components";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { ACCOUNT, archiveText, AUTONAME_SUFFIX, byType, deploy, find, policyOf, recorded, REGION, setupMocks, valueOf } from "./support/mocks";
import { assertValidAsl } from "./support/asl";
import { ResourceTypes } from "../components/model/resource-types";
// eslint-disable-next-line @typescript-eslint/no-require-imports

const physical = (name: string) => `${name}${AUTONAME_SUFFIX}`;
const lambdaArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical(name)}`;
const logGroupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical(name)}`;
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical("booking-table")}`;
const MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physical("booking-machine")}`;
const EXECUTIONS_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${physical("booking-machine")}:*`;
const QUEUE_NAME = physical("booking-compensation-failures");
const USER_TAGS = { team: "bookings", "cost-center": "42" };
const ALARM_TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:saga-alarms`;

/** Every action of the travel saga: its function, its state, its export and its table grants. */
const ACTIONS = [
    { fn: "booking-hotel-reserve", step: "Hotel", role: "reserve", state: "Reserve Hotel", exp: "reserve", table: ["dynamodb:GetItem", "dynamodb:PutItem"] },
    { fn: "booking-hotel-confirm", step: "Hotel", role: "confirm", state: "Confirm Hotel", exp: "confirm", table: ["dynamodb:UpdateItem"] },
    { fn: "booking-hotel-cancel", step: "Hotel", role: "cancel", state: "Cancel Hotel", exp: "cancel", table: ["dynamodb:PutItem"] },
    { fn: "booking-flight-reserve", step: "Flight", role: "reserve", state: "Reserve Flight", exp: "reserve", table: ["dynamodb:GetItem", "dynamodb:PutItem"] },
    { fn: "booking-flight-confirm", step: "Flight", role: "confirm", state: "Confirm Flight", exp: "confirm", table: ["dynamodb:UpdateItem"] },
    { fn: "booking-flight-cancel", step: "Flight", role: "cancel", state: "Cancel Flight", exp: "cancel", table: ["dynamodb:PutItem"] },
    { fn: "booking-payment-reserve", step: "Payment", role: "reserve", state: "Take Payment", exp: "take", table: ["dynamodb:GetItem", "dynamodb:PutItem"] },
    { fn: "booking-payment-cancel", step: "Payment", role: "cancel", state: "Refund Payment", exp: "refund", table: ["dynamodb:PutItem", "dynamodb:UpdateItem"] },
];

const ownStatements = (fn: string) => [
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn(`${fn}-logs`)}:*` },
    { Sid: "XRayTracing", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
];

describe("SagaComponent: the travel stack", () => {
    let booking: SagaComponent;

    before(async () => {
        setupMocks();
        booking = await deploy(
            () =>
                new saga.SagaComponent("booking", {
                    steps: travelSteps,
                    start: travelStart,
                    status: { path: "/trips/{tripId}", handler: travelStatus },
                    tags: USER_TAGS,
                    alarmActions: [ALARM_TOPIC],
                }),
        );
    });

    it("exports the component and its building blocks from the package's entry point", () => {
        // The package's `main`: the compiled JavaScript another program loads after installing it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const entry = require("..") as typeof saga;
        for (const name of ["SagaComponent", "buildSagaDefinition", "validateSteps", "SagaErrors", "Tags", "Env"] as const) {
            assert.ok(entry[name], `the entry point exports ${name}`);
        }
        assert.equal(entry.SagaComponent.name, "SagaComponent");
    });

    it("creates 8 step Lambdas, a start and a status Lambda, the machine, table, REST API and failure queue, and the repair's children", () => {
        const counts = Object.fromEntries([...new Set(recorded.map((r) => r.type))].map((type) => [type, byType(type).length]));
        assert.deepEqual(counts, {
            [ResourceTypes.component]: 1,
            [ResourceTypes.awsxApi]: 1,
            // The repair: its start and outcome functions, its machine, the needs-attention queue
            // with its alarm and access policy, two rules with a target each, the start
            // function's invoke permission and its async invocation settings.
            [ResourceTypes.function]: 12,
            [ResourceTypes.permission]: 6,
            [ResourceTypes.role]: 14,
            [ResourceTypes.rolePolicy]: 14,
            [ResourceTypes.logGroup]: 14,
            [ResourceTypes.metricAlarm]: 1,
            [ResourceTypes.queue]: 2,
            [ResourceTypes.stateMachine]: 2,
            [ResourceTypes.eventRule]: 2,
            [ResourceTypes.eventTarget]: 2,
            [ResourceTypes.invokeConfig]: 1,
            [ResourceTypes.queuePolicy]: 1,
            [ResourceTypes.table]: 1,
            [ResourceTypes.restApi]: 1,
            [ResourceTypes.deployment]: 1,
            [ResourceTypes.restApiStage]: 1,
            [ResourceTypes.methodSettings]: 1,
        });
        assert.equal(recorded.length, Object.values(counts).reduce((a, b) => a + b));
    });

    it("derives every child's name from the component name and the step names", () => {
        const repairFunctions = ["booking-repair-start", "booking-repair-outcome"];
        assert.deepEqual(byType(ResourceTypes.function).map((r) => r.name).sort(), [...ACTIONS.map((a) => a.fn), "booking-start", "booking-status", ...repairFunctions].sort());
        for (const fn of [...ACTIONS.map((a) => a.fn), "booking-start", "booking-status", "booking-machine", ...repairFunctions, "booking-repair-machine"]) {
            find(ResourceTypes.role, `${fn}-role`);
            find(ResourceTypes.rolePolicy, `${fn}-policy`);
            find(ResourceTypes.logGroup, `${fn}-logs`);
        }
        for (const [type, name] of [
            [ResourceTypes.stateMachine, "booking-machine"],
            [ResourceTypes.table, "booking-table"],
            [ResourceTypes.queue, "booking-compensation-failures"],
            [ResourceTypes.queue, "booking-needs-attention"],
            [ResourceTypes.metricAlarm, "booking-needs-attention-alarm"],
            [ResourceTypes.queuePolicy, "booking-needs-attention-access"],
            [ResourceTypes.eventRule, "booking-status-changes"],
            [ResourceTypes.eventTarget, "booking-status-changes-target"],
            [ResourceTypes.permission, "booking-status-changes-invoke"],
            [ResourceTypes.invokeConfig, "booking-repair-start-async"],
            [ResourceTypes.eventRule, "booking-repair-failures"],
            [ResourceTypes.eventTarget, "booking-repair-failures-target"],
            [ResourceTypes.restApi, "booking-api"],
            [ResourceTypes.methodSettings, "booking-api-throttle"],
        ]) {
            find(type, name);
        }
        for (const { type, name } of recorded.filter((r) => r.type !== ResourceTypes.component)) {
            assert.match(name, /^booking-/, `${type} ${name}`);
        }
    });

    it("tags each step Lambda with its saga, step and role, plus the caller's tags", () => {
        for (const { fn, step, role } of ACTIONS) {
            assert.deepEqual(find(ResourceTypes.function, fn).inputs.tags, {
                ...USER_TAGS,
                [saga.Tags.saga]: "booking",
                [saga.Tags.step]: step,
                [saga.Tags.role]: role,
            });
        }
    });

    it("runs each Lambda on nodejs22.x (arm64) with active tracing and JSON logs in its own log group", () => {
        for (const fn of [...ACTIONS.map((a) => a.fn), "booking-start", "booking-status"]) {
            const { inputs } = find(ResourceTypes.function, fn);
            assert.equal(inputs.runtime, "nodejs22.x");
            assert.deepEqual(inputs.architectures, ["arm64"]);
            assert.deepEqual(inputs.tracingConfig, { mode: "Active" });
            assert.deepEqual(inputs.loggingConfig, { logFormat: "JSON", logGroup: physical(`${fn}-logs`) });
            assert.equal(inputs.role, `arn:aws:iam::${ACCOUNT}:role/${physical(`${fn}-role`)}`);
            assert.equal(inputs.memorySize, 256);
            assert.equal(inputs.timeout, 10);
            assert.equal(find(ResourceTypes.logGroup, `${fn}-logs`).inputs.retentionInDays, 14);
        }
    });

    it("deploys each handler bundled: the named export, with the AWS SDK left to the runtime", async () => {
        for (const { fn, exp } of [...ACTIONS, { fn: "booking-start", exp: "handler" }, { fn: "booking-status", exp: "handler" }]) {
            const { inputs } = find(ResourceTypes.function, fn);
            assert.equal(inputs.handler, `index.${exp}`);
            const files = await archiveText(inputs.code);
            assert.deepEqual(Object.keys(files), ["index.js"]);
            const code = files["index.js"];
            const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
            assert.ok(required.some((id) => id.startsWith("@aws-sdk/")), `${fn} uses the SDK`);
            for (const id of required) {
                assert.ok(id.startsWith("@aws-sdk/") || builtinModules.includes(id.replace(/^node:/, "")), `${fn} requires ${id}`);
            }
            assert.ok(code.length < 100_000, `${fn}'s bundle is ${code.length} bytes: the SDK must not be in it`);
            const module = { exports: {} as Record<string, unknown> };
            new Function("module", "exports", "require", code)(module, module.exports, require);
            assert.equal(typeof module.exports[exp], "function", `${fn} exports ${exp}`);
        }
    });

    it("gives step Lambdas the table and the failure switch, and only cancels the compensation failure rate", () => {
        for (const { fn, role } of ACTIONS) {
            assert.deepEqual(find(ResourceTypes.function, fn).inputs.environment.variables, {
                TABLE_NAME: physical("booking-table"),
                SAGA_FAILURE_INJECTION: "false",
                ...(role === "cancel" ? { SAGA_COMPENSATION_FAILURE_RATE: "0" } : {}),
            });
        }
    });

    it("lets each step Lambda use exactly its declared table actions, on the table only", () => {
        for (const { fn, table } of ACTIONS) {
            assert.deepEqual(policyOf(`${fn}-policy`), {
                Version: "2012-10-17",
                Statement: [{ Sid: "TableAccess", Effect: "Allow", Action: table, Resource: TABLE_ARN }, ...ownStatements(fn)],
            });
            assert.equal(find(ResourceTypes.rolePolicy, `${fn}-policy`).inputs.role, physical(`${fn}-role`));
        }
    });

    it("lets the start Lambda only start executions of this saga's state machine", () => {
        const start = find(ResourceTypes.function, "booking-start").inputs;
        assert.deepEqual(start.environment.variables, { STATE_MACHINE_ARN: MACHINE_ARN, SAGA_FAILURE_INJECTION: "false", SAGA_STATUS_PATH: "/trips/{tripId}" });
        assert.deepEqual(start.tags, { ...USER_TAGS, [saga.Tags.saga]: "booking", [saga.Tags.role]: "start" });
        assert.deepEqual(policyOf("booking-start-policy").Statement, [
            { Sid: "StartSaga", Effect: "Allow", Action: ["states:StartExecution"], Resource: MACHINE_ARN },
            ...ownStatements("booking-start"),
        ]);
    });

    it("lets the status Lambda only query the table and describe executions of this saga's state machine", () => {
        const status = find(ResourceTypes.function, "booking-status").inputs;
        assert.deepEqual(status.environment.variables, { TABLE_NAME: physical("booking-table"), STATE_MACHINE_ARN: MACHINE_ARN });
        assert.deepEqual(status.tags, { ...USER_TAGS, [saga.Tags.saga]: "booking", [saga.Tags.role]: "status" });
        assert.deepEqual(policyOf("booking-status-policy").Statement, [
            { Sid: "DescribeSagas", Effect: "Allow", Action: ["states:DescribeExecution"], Resource: EXECUTIONS_ARN },
            { Sid: "TableAccess", Effect: "Allow", Action: ["dynamodb:Query"], Resource: TABLE_ARN },
            ...ownStatements("booking-status"),
        ]);
    });

    it("lets the state machine invoke exactly the 8 step Lambdas, record failures, and deliver logs and traces", () => {
        const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE_NAME}`;
        const statements = policyOf("booking-machine-policy").Statement;
        assert.deepEqual(statements[0], {
            Sid: "InvokeSteps",
            Effect: "Allow",
            Action: ["lambda:InvokeFunction"],
            Resource: ACTIONS.map((a) => lambdaArn(a.fn)).sort(),
        });
        assert.ok(!statements[0].Resource.includes(lambdaArn("booking-start")));
        assert.ok(!statements[0].Resource.includes(lambdaArn("booking-status")));
        assert.deepEqual(statements[1], { Sid: "RecordCompensationFailures", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: queueArn });
        assert.deepEqual(
            statements.slice(2).map((s: { Sid: string; Resource: string }) => [s.Sid, s.Resource]),
            [["DeliverLogs", "*"], ["XRayTracing", "*"]],
        );
    });

    it("grants '*' only where AWS accepts nothing narrower (X-Ray, log delivery), and never Scan", () => {
        const allowedOnAnyResource = /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
        for (const policy of byType(ResourceTypes.rolePolicy)) {
            for (const statement of JSON.parse(policy.inputs.policy).Statement) {
                assert.equal(statement.Effect, "Allow");
                for (const action of statement.Action) {
                    assert.ok(!action.includes("*"), `${policy.name}: ${action}`);
                    assert.notEqual(action, "dynamodb:Scan", policy.name);
                    if ([statement.Resource].flat().some((r: string) => r.includes("*") && !r.endsWith(":*"))) {
                        assert.match(action, allowedOnAnyResource, `${policy.name}: ${action} on ${statement.Resource}`);
                    }
                }
            }
        }
    });

    it("lets each role be assumed only by the service that runs it", () => {
        for (const role of byType(ResourceTypes.role)) {
            const service = /-machine-role$/.test(role.name) ? "states.amazonaws.com" : "lambda.amazonaws.com";
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
            });
        }
    });

    it("defines the state machine with buildSagaDefinition and the deployed ARNs: valid ASL", () => {
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "booking-machine").inputs.definition);
        const expected = saga.buildSagaDefinition({
            steps: travelSteps,
            functionArns: Object.fromEntries(ACTIONS.map((a) => [a.state, lambdaArn(a.fn)])),
            failureQueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${QUEUE_NAME}`,
        });
        assert.deepEqual(definition, expected);
        assertValidAsl(definition);
    });

    it("runs a STANDARD state machine that logs errors with their data to its own log group, and traces", () => {
        const machine = find(ResourceTypes.stateMachine, "booking-machine").inputs;
        assert.equal(machine.type, "STANDARD");
        assert.equal(machine.roleArn, `arn:aws:iam::${ACCOUNT}:role/${physical("booking-machine-role")}`);
        const logGroup = find(ResourceTypes.logGroup, "booking-machine-logs");
        assert.equal(logGroup.inputs.namePrefix, "/aws/vendedlogs/states/booking-machine-");
        assert.deepEqual(machine.loggingConfiguration, {
            level: "ERROR",
            includeExecutionData: true,
            logDestination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroup.state.name}:*`,
        });
        assert.deepEqual(machine.tracingConfiguration, { enabled: true });
    });

    it("records failed compensations in an encrypted queue kept 14 days, with no alarm: the repair retries them", () => {
        const queue = find(ResourceTypes.queue, "booking-compensation-failures").inputs;
        assert.equal(queue.sqsManagedSseEnabled, true);
        assert.equal(queue.messageRetentionSeconds, 14 * 24 * 3600);
        assert.ok(!byType(ResourceTypes.metricAlarm).some((alarm) => alarm.inputs.dimensions.QueueName === QUEUE_NAME));
    });

    it("tells a person through the alarm on the needs-attention queue (encrypted, kept 14 days), notifying the alarm actions", () => {
        const queue = find(ResourceTypes.queue, "booking-needs-attention").inputs;
        assert.equal(queue.sqsManagedSseEnabled, true);
        assert.equal(queue.messageRetentionSeconds, 14 * 24 * 3600);
        const alarm = find(ResourceTypes.metricAlarm, "booking-needs-attention-alarm").inputs;
        assert.deepEqual(
            { ...alarm, alarmDescription: undefined, tags: undefined },
            {
                alarmDescription: undefined,
                tags: undefined,
                namespace: "AWS/SQS",
                metricName: "ApproximateNumberOfMessagesVisible",
                dimensions: { QueueName: physical("booking-needs-attention") },
                statistic: "Maximum",
                period: 60,
                evaluationPeriods: 1,
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                treatMissingData: "notBreaching",
                alarmActions: [ALARM_TOPIC],
            },
        );
    });

    it("creates the single table: pk and sk strings, on demand, point-in-time recovery, encryption", () => {
        const { tags, ...table } = find(ResourceTypes.table, "booking-table").inputs;
        assert.deepEqual(table, {
            attributes: [
                { name: "pk", type: "S" },
                { name: "sk", type: "S" },
            ],
            hashKey: "pk",
            rangeKey: "sk",
            billingMode: "PAY_PER_REQUEST",
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true },
        });
        assert.equal(tags.team, "bookings");
    });

    it("routes GET and POST on / and /{proxy+} to the start Lambda and GET /trips/{tripId} to the status Lambda, which API Gateway may invoke", () => {
        const api = find(ResourceTypes.restApi, "booking-api").inputs;
        assert.equal(api.description, 'Starts and reports executions of saga "booking"');
        const swagger = JSON.parse(api.body);
        const integration = (fn: string) => ({
            uri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${lambdaArn(fn)}/invocations`,
            type: "aws_proxy",
        });
        const routes = Object.entries(swagger.paths as Record<string, Record<string, any>>).flatMap(([path, operations]) =>
            Object.entries(operations).map(([method, operation]) => {
                const { uri, type } = operation["x-amazon-apigateway-integration"];
                // Secure by default: every route needs a SigV4-signed request.
                assert.deepEqual(operation["x-amazon-apigateway-auth"], { type: "AWS_IAM" }, `${method} ${path}`);
                return { path, method, integration: type === "mock" ? { type } : { uri, type } };
            }),
        );
        // API Gateway resolves a request on resource and method together: GET and POST start a saga,
        // GET /trips/42 reports; every other request is answered by a mock (405 or 404: tests/api-routes.test.ts).
        const ANY = "x-amazon-apigateway-any-method";
        const mock = { type: "mock" };
        assert.deepEqual(routes, [
            { path: "/", method: "get", integration: integration("booking-start") },
            { path: "/", method: "post", integration: integration("booking-start") },
            { path: "/", method: ANY, integration: mock },
            { path: "/{proxy+}", method: "get", integration: integration("booking-start") },
            { path: "/{proxy+}", method: "post", integration: integration("booking-start") },
            { path: "/{proxy+}", method: ANY, integration: mock },
            { path: "/trips", method: ANY, integration: mock },
            { path: "/trips/{tripId}", method: "get", integration: integration("booking-status") },
            { path: "/trips/{tripId}", method: ANY, integration: mock },
            { path: "/trips/{tripId}/{proxy+}", method: ANY, integration: mock },
        ]);
        const executionArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:bookingapiid`;
        const permission = (fn: string, suffix: string) => ({
            action: "lambda:invokeFunction",
            function: physical(fn),
            principal: "apigateway.amazonaws.com",
            sourceArn: `${executionArn}${suffix}`,
        });
        const bySource = (a: { sourceArn: string }, b: { sourceArn: string }) => (a.sourceArn < b.sourceArn ? -1 : 1);
        assert.deepEqual(
            byType(ResourceTypes.permission)
                .filter((p) => p.inputs.principal === "apigateway.amazonaws.com")
                .map((p) => ({ ...p.inputs, function: p.references?.functionId }) as ReturnType<typeof permission>)
                .sort(bySource),
            [
                permission("booking-start", "/*/GET/"),
                permission("booking-start", "/*/POST/"),
                permission("booking-start", "/*/GET/{proxy+}"),
                permission("booking-start", "/*/POST/{proxy+}"),
                permission("booking-status", "/*/GET/trips/{tripId}"),
            ].sort(bySource),
        );
    });

    it("throttles every method of the stage, with metrics", () => {
        assert.deepEqual(find(ResourceTypes.methodSettings, "booking-api-throttle").inputs, {
            restApi: "bookingapiid",
            stageName: "v1",
            methodPath: "*/*",
            settings: { throttlingRateLimit: 50, throttlingBurstLimit: 100, metricsEnabled: true },
        });
        const stage = find(ResourceTypes.restApiStage, "booking-api").inputs;
        assert.equal(stage.stageName, "v1");
        assert.equal(stage.xrayTracingEnabled, true);
    });

    it("resolves its outputs", async () => {
        assert.deepEqual(
            {
                apiUrl: await valueOf(booking.apiUrl),
                stateMachineArn: await valueOf(booking.stateMachineArn),
                tableName: await valueOf(booking.tableName),
                tableArn: await valueOf(booking.tableArn),
                failureQueueUrl: await valueOf(booking.failureQueueUrl),
                failureQueueArn: await valueOf(booking.failureQueueArn),
                compensationAlarmArn: await valueOf(booking.compensationAlarmArn),
                needsAttentionQueueUrl: await valueOf(booking.needsAttentionQueueUrl),
                needsAttentionQueueArn: await valueOf(booking.needsAttentionQueueArn),
                repairMachineArn: await valueOf(booking.repairMachineArn),
            },
            {
                apiUrl: `https://bookingapiid.execute-api.${REGION}.amazonaws.com/v1/`,
                stateMachineArn: MACHINE_ARN,
                tableName: physical("booking-table"),
                tableArn: TABLE_ARN,
                failureQueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${QUEUE_NAME}`,
                failureQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE_NAME}`,
                // The alarm that tells a person: on the needs-attention queue since the repair.
                compensationAlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${physical("booking-needs-attention-alarm")}`,
                needsAttentionQueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical("booking-needs-attention")}`,
                needsAttentionQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${physical("booking-needs-attention")}`,
                repairMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physical("booking-repair-machine")}`,
            },
        );
    });

    it("puts the caller's tags and the saga's name on every taggable child", () => {
        const tagged = recorded.filter((r) => r.inputs.tags !== undefined);
        assert.deepEqual(
            [...new Set(tagged.map((r) => r.type))].sort(),
            [ResourceTypes.metricAlarm, ResourceTypes.eventRule, ResourceTypes.function, ResourceTypes.logGroup, ResourceTypes.queue, ResourceTypes.restApi, ResourceTypes.role, ResourceTypes.restApiStage, ResourceTypes.stateMachine, ResourceTypes.table].sort(),
        );
        for (const { type, name, inputs } of tagged) {
            assert.deepEqual({ ...inputs.tags, [saga.Tags.step]: undefined, [saga.Tags.role]: undefined }, {
                ...USER_TAGS,
                [saga.Tags.saga]: "booking",
                [saga.Tags.step]: undefined,
                [saga.Tags.role]: undefined,
            }, `${type} ${name}`);
        }
    });
});
