// SagaComponent's options and its refusals: what each option changes, and the exact message a
// mistake gets, before any child exists.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { SagaComponent, SagaComponentArgs, SagaStep, STATUS_ROLE, Tags } from "../components";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { RUN_TYPES } from "../handlers/travel/trip";
import { refuses } from "./support/refusals";
import { ACCOUNT, AUTONAME_SUFFIX, byType, deploy, find, policyOf, REGION, setupMocks, valueOf } from "./support/mocks";
import { ResourceTypes } from "../components/model/resource-types";

const SHARED_TABLE = { name: "shared-bookings", arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/shared-bookings` };

// A handler module outside the repository, to show that paths resolve against `handlerRoot`.
const fixtureRoot = fs.mkdtempSync(path.join(os.tmpdir(), "saga-handlers-"));
fs.writeFileSync(
    path.join(fixtureRoot, "orders.ts"),
    "export async function place() { return 1; }\nexport const undo = async () => 0;\nexport const handler = async () => ({ statusCode: 202 });\n",
);
const orderSteps: SagaStep[] = [
    { name: "Order", reserve: { module: "orders.ts", export: "place", tableAccess: ["PutItem"] }, cancel: { module: "orders.ts", export: "undo" } },
];
const orderStart = { module: "orders.ts" };
const TRAVEL_STATUS = { path: "/trips/{tripId}", handler: travelStatus };

/** Each route of a deployed API that invokes a function: its path, its method's swagger key and the function (the mocks: tests/api-routes.test.ts). */
function routesOf(apiName: string): { path: string; method: string; fn: string }[] {
    const swagger = JSON.parse(find(ResourceTypes.restApi, apiName).inputs.body);
    return Object.entries(swagger.paths as Record<string, Record<string, any>>).flatMap(([path, operations]) =>
        Object.entries(operations)
            .filter(([, operation]) => operation["x-amazon-apigateway-integration"].type === "aws_proxy")
            .map(([method, operation]) => ({
                path,
                method,
                fn: /function:([^/]+)\/invocations$/.exec(operation["x-amazon-apigateway-integration"].uri)![1].replace(AUTONAME_SUFFIX, ""),
            })),
    );
}

// A root hook: the fixture serves the rejection tests below too.
after(() => fs.rmSync(fixtureRoot, { recursive: true, force: true }));

describe("SagaComponent options", () => {
    before(() => setupMocks());

    it("shares a table it is given: creates none, and grants and names that one", async () => {
        const shared = await deploy(() => new SagaComponent("shared", { steps: travelSteps, start: travelStart, table: SHARED_TABLE }));
        assert.equal(byType(ResourceTypes.table).length, 0);
        assert.equal(find(ResourceTypes.function, "shared-hotel-reserve").inputs.environment.variables.TABLE_NAME, SHARED_TABLE.name);
        assert.deepEqual(policyOf("shared-hotel-reserve-policy").Statement[0].Resource, SHARED_TABLE.arn);
        assert.equal(await valueOf(shared.tableName), SHARED_TABLE.name);
        assert.equal(await valueOf(shared.tableArn), SHARED_TABLE.arn);
    });

    it("turns on failure injection for step and start Lambdas, and the failure rate for cancels, from Inputs", async () => {
        await deploy(
            () =>
                new SagaComponent("chaos", {
                    steps: travelSteps,
                    start: travelStart,
                    testing: { failureInjection: pulumi.output(true), compensationFailureRate: Promise.resolve(0.4) },
                }),
        );
        // The repair's own functions inject nothing: they belong to no step and start no saga.
        const repair = ["chaos-repair-start", "chaos-repair-outcome"];
        for (const name of repair) assert.equal(find(ResourceTypes.function, name).inputs.environment.variables.SAGA_FAILURE_INJECTION, undefined, name);
        for (const fn of byType(ResourceTypes.function).filter((f) => !repair.includes(f.name))) {
            const env = fn.inputs.environment.variables;
            assert.equal(env.SAGA_FAILURE_INJECTION, "true", fn.name);
            assert.equal(env.SAGA_COMPENSATION_FAILURE_RATE, fn.name.endsWith("-cancel") ? "0.4" : undefined, fn.name);
        }
    });

    it("applies Lambda, API and definition options", async () => {
        await deploy(
            () =>
                new SagaComponent("tuned", {
                    steps: travelSteps,
                    start: travelStart,
                    lambda: { memorySize: 512, timeoutSeconds: 20, logRetentionDays: 30, architecture: "x86_64" },
                    definition: { taskTimeoutSeconds: 25, timeoutSeconds: 600 },
                    api: { stageName: "prod", throttle: { rateLimit: 5, burstLimit: 10 }, iamAuth: false },
                    status: TRAVEL_STATUS,
                }),
        );
        const fn = find(ResourceTypes.function, "tuned-flight-confirm").inputs;
        assert.deepEqual([fn.memorySize, fn.timeout, fn.architectures], [512, 20, ["x86_64"]]);
        assert.equal(find(ResourceTypes.logGroup, "tuned-flight-confirm-logs").inputs.retentionInDays, 30);
        assert.equal(find(ResourceTypes.logGroup, "tuned-machine-logs").inputs.retentionInDays, 30);
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "tuned-machine").inputs.definition);
        assert.equal(definition.TimeoutSeconds, 600);
        assert.equal(definition.States["Confirm Flight"].TimeoutSeconds, 25);
        const throttle = find(ResourceTypes.methodSettings, "tuned-api-throttle").inputs;
        assert.deepEqual([throttle.stageName, throttle.settings.throttlingRateLimit, throttle.settings.throttlingBurstLimit], ["prod", 5, 10]);
        const swagger = JSON.parse(find(ResourceTypes.restApi, "tuned-api").inputs.body);
        const operations = Object.values(swagger.paths as Record<string, Record<string, any>>).flatMap((route) => Object.values(route));
        assert.equal(operations.length, 10);
        for (const operation of operations) assert.equal(operation["x-amazon-apigateway-auth"], undefined, "a public API");
        const status = find(ResourceTypes.function, "tuned-status").inputs;
        assert.deepEqual([status.memorySize, status.timeout, status.architectures], [512, 20, ["x86_64"]]);
        // The repair's functions, machine and tasks follow the same options.
        for (const name of ["tuned-repair-start", "tuned-repair-outcome"]) {
            const { inputs } = find(ResourceTypes.function, name);
            assert.deepEqual([inputs.memorySize, inputs.timeout, inputs.architectures], [512, 20, ["x86_64"]], name);
        }
        assert.equal(find(ResourceTypes.logGroup, "tuned-repair-machine-logs").inputs.retentionInDays, 30);
        const repair = JSON.parse(find(ResourceTypes.stateMachine, "tuned-repair-machine").inputs.definition);
        assert.equal(repair.States["Cancel Flight"].TimeoutSeconds, 25);
    });

    it("resolves relative handler modules against `handlerRoot`", async () => {
        await deploy(() => new SagaComponent("orders", { steps: orderSteps, start: orderStart, handlerRoot: fixtureRoot }));
        assert.deepEqual(byType(ResourceTypes.function).map((r) => [r.name, r.inputs.handler]).sort(), [
            ["orders-order-cancel", "index.undo"],
            ["orders-order-reserve", "index.place"],
            // The repair's functions come from this package, whatever the handler root.
            ["orders-repair-outcome", "index.handler"],
            ["orders-repair-start", "index.handler"],
            ["orders-start", "index.handler"],
        ]);
        // A cancel that declares no table access gets no table statement at all.
        assert.deepEqual(policyOf("orders-order-cancel-policy").Statement.map((s: { Sid: string }) => s.Sid), ["WriteOwnLogs", "XRayTracing"]);
    });

    it("accepts the longest component name the travel steps allow (35 characters), with a status Lambda", async () => {
        const name = "b".repeat(35);
        await deploy(() => new SagaComponent(name, { steps: travelSteps, start: travelStart, status: TRAVEL_STATUS }));
        assert.equal(byType(ResourceTypes.function).length, 12);
    });

    it("creates no status Lambda and no status route without `status`", async () => {
        await deploy(() => new SagaComponent("plain", { steps: travelSteps, start: travelStart }));
        assert.deepEqual(byType(ResourceTypes.function).filter((r) => r.inputs.tags[Tags.role] === STATUS_ROLE), []);
        assert.deepEqual(routesOf("plain-api"), [
            { path: "/", method: "get", fn: "plain-start" },
            { path: "/", method: "post", fn: "plain-start" },
            { path: "/{proxy+}", method: "get", fn: "plain-start" },
            { path: "/{proxy+}", method: "post", fn: "plain-start" },
        ]);
        assert.equal(byType(ResourceTypes.permission).filter((p) => p.inputs.principal === "apigateway.amazonaws.com").length, 4);
        assert.equal(find(ResourceTypes.restApi, "plain-api").inputs.description, 'Starts executions of saga "plain"');
    });

    it("adds a status route on the caller's path, with the caller's handler and only the status grants", async () => {
        const status = { path: "/orders/{orderId}/status", handler: { module: "orders.ts", tableAccess: ["Query" as const] } };
        await deploy(() => new SagaComponent("orders", { steps: orderSteps, start: orderStart, handlerRoot: fixtureRoot, status }));
        assert.deepEqual(routesOf("orders-api"), [
            { path: "/", method: "get", fn: "orders-start" },
            { path: "/", method: "post", fn: "orders-start" },
            { path: "/{proxy+}", method: "get", fn: "orders-start" },
            { path: "/{proxy+}", method: "post", fn: "orders-start" },
            { path: "/orders/{orderId}/status", method: "get", fn: "orders-status" },
        ]);
        const fn = find(ResourceTypes.function, "orders-status").inputs;
        assert.equal(fn.handler, "index.handler");
        assert.equal(fn.tags[Tags.role], STATUS_ROLE);
        const statements = policyOf("orders-status-policy").Statement as { Sid: string; Action: string[]; Resource: string }[];
        assert.deepEqual(statements.map((s) => s.Sid), ["DescribeSagas", "TableAccess", "WriteOwnLogs", "XRayTracing"]);
        assert.deepEqual(
            statements.slice(0, 2).map((s) => [s.Action, s.Resource]),
            [
                [["states:DescribeExecution"], `arn:aws:states:${REGION}:${ACCOUNT}:execution:orders-machine${AUTONAME_SUFFIX}:*`],
                [["dynamodb:Query"], `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-table${AUTONAME_SUFFIX}`],
            ],
        );
    });
});

describe("the stack program (index.ts)", () => {
    it("reads the saga config: failure injection, compensation failure rate, chaos, time limit and repair horizon", async () => {
        setupMocks({
            "saga:failureInjection": "true",
            "saga:compensationFailureRate": "0.4",
            "saga:chaos": '{"seed":3,"failAfterWrite":0.2}',
            "saga:executionTimeoutSeconds": "5",
            "saga:repairHorizonSeconds": "60",
        });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const stack = await deploy(() => require("../index") as Record<string, pulumi.Output<string>>);
        assert.deepEqual(Object.keys(stack).sort(), ["apiUrl", "failureQueueUrl", "needsAttentionQueueUrl", "repairMachineArn", "startRequest", "stateMachineArn", "tableName"]);
        // What a start request takes, for the console's start form: the run types, injection being on.
        assert.deepEqual(await valueOf(stack.startRequest), { idParameter: "tripID", runTypes: RUN_TYPES });
        assert.equal(JSON.parse(find(ResourceTypes.stateMachine, "booking-machine").inputs.definition).TimeoutSeconds, 5);
        // A 60-second horizon: 6 retries (1 + 2 + .. + 32 seconds).
        assert.equal(JSON.parse(find(ResourceTypes.stateMachine, "booking-repair-machine").inputs.definition).States["Cancel Hotel"].Retry[0].MaxAttempts, 6);
        assert.ok(routesOf("booking-api").some((r) => r.path === "/trips/{tripId}" && r.method === "get" && r.fn === "booking-status"));
        for (const output of Object.values(stack)) assert.ok(await valueOf(output));
        const cancel = find(ResourceTypes.function, "booking-hotel-cancel").inputs;
        assert.equal(cancel.environment.variables.SAGA_COMPENSATION_FAILURE_RATE, "0.4");
        assert.equal(find(ResourceTypes.function, "booking-start").inputs.environment.variables.SAGA_FAILURE_INJECTION, "true");
        assert.deepEqual(JSON.parse(cancel.environment.variables.SAGA_CHAOS), { seed: 3, failBeforeWrite: 0, failAfterWrite: 0.2, duplicateDelivery: 0, maxDuplicateDelayMs: 200 });
        assert.deepEqual([cancel.tags.project, cancel.tags.stack], ["saga", "test"]);
    });
});

describe("SagaComponent rejects bad arguments before creating anything", () => {
    before(() => setupMocks());

    const hotel = travelSteps[0];

    it("an empty list of steps", () => refuses("empty", { steps: [] }, "`steps` must be a non-empty list of saga steps."));

    it("a step without a cancel (a JavaScript caller can omit it)", () =>
        refuses(
            "nocancel",
            { steps: [{ name: "Hotel", reserve: hotel.reserve } as unknown as SagaStep] },
            'Step "Hotel" has no `cancel` action: every step needs a compensating action that undoes `reserve`.',
        ));

    it("two steps with the same name (ignoring case)", () =>
        refuses(
            "twice",
            { steps: [hotel, { ...hotel, name: "HOTEL" }] },
            'Step "HOTEL" is defined twice: step names must be unique (ignoring case).',
        ));

    it("a step name that is not letters and digits", () =>
        refuses(
            "badname",
            { steps: [{ ...hotel, name: "Hotel-1" }] },
            'Step "Hotel-1" must have a `name` of letters and digits, starting with a letter, at most 24 characters.',
        ));

    it("a handler module that does not exist", () => {
        const root = process.cwd();
        refuses(
            "nofile",
            { steps: [{ ...hotel, reserve: { module: "handlers/travel/hostel.ts", export: "reserve" } }] },
            `Step "Hotel" \`reserve\` handler module "handlers/travel/hostel.ts" does not exist: looked for ${path.join(root, "handlers/travel/hostel.ts")} (a relative \`module\` resolves against \`handlerRoot\`, here ${root}).`,
        );
    });

    it("a handler module without the named export", () =>
        refuses(
            "noexport",
            { steps: [{ ...orderSteps[0], cancel: { module: "orders.ts", export: "cancel" } }], start: orderStart, handlerRoot: fixtureRoot },
            'Step "Order" `cancel` handler module "orders.ts" has no export "cancel" (it exports handler, place, undo): set `export` to the handler\'s name.',
        ));

    it("a start module without the named export", () =>
        refuses(
            "nostart",
            { start: { module: "handlers/travel/start.ts", export: "main" } },
            '`start` handler module "handlers/travel/start.ts" has no export "main" (it exports handler): set `export` to the handler\'s name.',
        ));

    it("a component name too long for the IAM role names, stating the maximum", () => {
        const name = "b".repeat(36);
        refuses(
            name,
            {},
            `The component name "${name}" is too long: the IAM role of the Lambda of step "Payment" \`reserve\` would be named ` +
                `"${name}-payment-reserve-role" plus Pulumi's 8-character random suffix, 65 characters, over the AWS limit of 64. ` +
                "With these steps the component name can have at most 35 characters.",
        );
    });

    it("a component name with characters AWS names do not allow", () =>
        refuses(
            "booking saga",
            {},
            "The component name \"booking saga\" must consist of letters, digits, '-' and '_', starting with a letter or digit: AWS resource names derive from it.",
        ));

    it("a compensation failure rate that is not a probability", () =>
        refuses("rate", { testing: { compensationFailureRate: 1.5 } }, "`testing.compensationFailureRate` must be a number from 0 to 1."));

    it("a Lambda timeout that is not below the task timeout", () =>
        refuses(
            "timeout",
            { lambda: { timeoutSeconds: 30 } },
            "`lambda.timeoutSeconds` (30) must be less than `definition.taskTimeoutSeconds` (30): a task that timed out while its Lambda still ran would start the compensation alongside it.",
        ));

    it("Lambda settings out of range", () => {
        refuses("memory", { lambda: { memorySize: 64 } }, "`lambda.memorySize` must be a whole number from 128 to 10240.");
        refuses("retention", { lambda: { logRetentionDays: 10 } }, `\`lambda.logRetentionDays\` must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.`);
    });

    it("an invalid definition option", () =>
        refuses(
            "retry",
            { definition: { compensationRetry: { maxAttempts: -1, intervalSeconds: 1, backoffRate: 2 } } },
            "`definition` is invalid: `compensationRetry.maxAttempts` must be a whole number from 0 to 99999999.",
        ));

    it("a throttle that is not a number of requests", () =>
        refuses("throttle", { api: { throttle: { rateLimit: 50, burstLimit: 2.5 } } }, "`api.throttle.burstLimit` must be a whole number of at least 0."));

    it("a `status` that is not an object", () =>
        refuses(
            "status",
            { status: "/trips/{tripId}" as unknown as SagaComponentArgs["status"] },
            "`status` must be an object with the `path` of the status route and its `handler`.",
        ));

    it("a status path that is not a path of fixed segments and parameters", () => {
        for (const path of ["trips/{tripId}", "/trips/{tripId}/", "/trips//{tripId}", "/trips/{proxy+}", "/trips/{trip id}", "/trips/x{tripId}", "/"]) {
            refuses(
                "statuspath",
                { status: { ...TRAVEL_STATUS, path } },
                "`status.path` must be an API path such as \"/trips/{tripId}\": fixed segments of letters, digits, '.', '_' or '-', " +
                    `and one \`{parameter}\` segment for the saga id; got ${JSON.stringify(path)}.`,
            );
        }
        refuses(
            "statuspath",
            { status: { handler: travelStatus } as SagaComponentArgs["status"] },
            "`status.path` must be an API path such as \"/trips/{tripId}\": fixed segments of letters, digits, '.', '_' or '-', " +
                "and one `{parameter}` segment for the saga id; got undefined.",
        );
    });

    it("a status path without exactly one parameter", () => {
        refuses(
            "statusparams",
            { status: { ...TRAVEL_STATUS, path: "/trips" } },
            '`status.path` "/trips" has no path parameter: it needs exactly one, the saga id, as in "/trips/{tripId}".',
        );
        refuses(
            "statusparams",
            { status: { ...TRAVEL_STATUS, path: "/trips/{tripId}/legs/{legId}" } },
            '`status.path` "/trips/{tripId}/legs/{legId}" has 2 path parameters: it needs exactly one, the saga id, as in "/trips/{tripId}".',
        );
    });

    it("a status path that starts with its parameter", () =>
        refuses(
            "statusfirst",
            { status: { ...TRAVEL_STATUS, path: "/{tripId}" } },
            '`status.path` "/{tripId}" must start with a fixed segment, as in "/trips/{tripId}": a parameter first would take GET requests on every path of that depth from the start handler.',
        ));

    it("a status handler that is missing, asks to write, or lacks its export", () => {
        refuses(
            "statushandler",
            { status: { path: "/trips/{tripId}" } as SagaComponentArgs["status"] },
            "`status.handler` must be an object with one source of code: `module` (a file the saga bundles), `code` with `handler` and `runtime` (an archive for any runtime), or `functionArn` (an existing function).",
        );
        refuses(
            "statushandler",
            { status: { ...TRAVEL_STATUS, handler: { ...travelStatus, tableAccess: ["Query", "PutItem"] } } },
            '`status.handler` asks for table access "PutItem"; a status handler only reads the saga\'s records, so the only allowed value is Query.',
        );
        refuses(
            "statushandler",
            { status: { ...TRAVEL_STATUS, handler: { ...travelStatus, export: "main" } } },
            '`status.handler` handler module "handlers/travel/status.ts" has no export "main" (it exports handler): set `export` to the handler\'s name.',
        );
    });

    it("a shared table without its ARN", () =>
        refuses("table", { table: { name: "bookings" } as SagaComponentArgs["table"] }, "`table` must have both `name` and `arn` of the table to share."));
});
