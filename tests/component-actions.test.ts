// What a real step needs from SagaComponent: its own environment (secrets included), its own
// grants, its own settings, code in any runtime or an existing function, and the children a
// program builds on. Each field: accepted, its effect on the registered resources, and the exact
// message a mistake gets before anything is created.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parseTaskComment, SagaAction, SagaComponent, SagaComponentArgs, SagaStep, taskComment } from "../components";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { refuses } from "./support/refusals";
import { ACCOUNT, byType, deploy, find, policyOf, recorded, REGION, setupMocks, valueOf } from "./support/mocks";
import { ResourceTypes } from "../components/model/resource-types";

const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:stock-updates`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:payments-key-AbCdEf`;
const EXISTING_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:flight-desk-cancel`;
const [hotel, flight, payment] = travelSteps;

/** The travel steps with some actions replaced. */
function travelWith(changes: Record<string, Partial<Record<"reserve" | "confirm" | "cancel", SagaAction>>>): SagaStep[] {
    return travelSteps.map((step) => ({ ...step, ...changes[step.name] }));
}

describe("SagaComponent actions", () => {
    before(() => setupMocks());

    it("gives an action its own environment, beside the saga's, and keeps a secret value secret", async () => {
        const saga = await deploy(
            () =>
                new SagaComponent("env", {
                    steps: travelWith({ Payment: { reserve: { ...payment.reserve, environment: { PAYMENTS_API_KEY: pulumi.secret("sk-test-123"), PAYMENTS_URL: "https://pay.example" } } } }),
                    start: travelStart,
                }),
        );
        const take = saga.functions["Take Payment"];
        assert.equal(await pulumi.isSecret(take.environment), true, "the secret makes the environment secret in the state");
        const variables = (await valueOf(take.environment))!.variables!;
        assert.equal(variables.PAYMENTS_API_KEY, "sk-test-123");
        assert.equal(variables.PAYMENTS_URL, "https://pay.example");
        assert.equal(variables.TABLE_NAME, await valueOf(saga.tableName), "the saga's own variables are still there");
        const refund = saga.functions["Refund Payment"];
        assert.equal(await pulumi.isSecret(refund.environment), false);
        assert.equal((await valueOf(refund.environment))!.variables!.PAYMENTS_API_KEY, undefined, "only that action gets it");
    });

    it("adds an action's policy statements to its own role only, with the resources resolved", async () => {
        await deploy(
            () =>
                new SagaComponent("grants", {
                    steps: travelWith({
                        Payment: {
                            reserve: {
                                ...payment.reserve,
                                policyStatements: [
                                    { actions: ["secretsmanager:GetSecretValue"], resources: [SECRET_ARN] },
                                    { actions: ["sqs:SendMessage", "sqs:GetQueueUrl"], resources: [pulumi.output(QUEUE_ARN), Promise.resolve(`${QUEUE_ARN}-dlq`)] },
                                ],
                            },
                        },
                    }),
                    start: travelStart,
                }),
        );
        const statements = policyOf("grants-payment-reserve-policy").Statement;
        assert.deepEqual(
            statements.filter((s: { Sid: string }) => s.Sid.startsWith("ActionGrant")),
            [
                { Sid: "ActionGrant1", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: SECRET_ARN },
                { Sid: "ActionGrant2", Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueUrl"], Resource: [QUEUE_ARN, `${QUEUE_ARN}-dlq`] },
            ],
        );
        assert.deepEqual(
            statements.map((s: { Sid: string }) => s.Sid),
            ["TableAccess", "ActionGrant1", "ActionGrant2", "WriteOwnLogs", "XRayTracing"],
        );
        const others = byType(ResourceTypes.rolePolicy).filter((p) => p.name !== "grants-payment-reserve-policy");
        assert.ok(others.every((p) => !p.inputs.policy.includes("ActionGrant")), "no other role gets them");
    });

    it("sets memory, timeout and architecture per action, over the saga's defaults", async () => {
        await deploy(
            () =>
                new SagaComponent("sizes", {
                    steps: travelWith({ Flight: { reserve: { ...flight.reserve, memorySize: 1024, timeoutSeconds: 20, architecture: "x86_64" } } }),
                    start: { ...travelStart, memorySize: 512 },
                    lambda: { memorySize: 192, timeoutSeconds: 5 },
                }),
        );
        const settings = (name: string) => {
            const { memorySize, timeout, architectures } = find(ResourceTypes.function, name).inputs;
            return { memorySize, timeout, architectures };
        };
        assert.deepEqual(settings("sizes-flight-reserve"), { memorySize: 1024, timeout: 20, architectures: ["x86_64"] });
        assert.deepEqual(settings("sizes-flight-cancel"), { memorySize: 192, timeout: 5, architectures: ["arm64"] });
        assert.deepEqual(settings("sizes-start"), { memorySize: 512, timeout: 5, architectures: ["arm64"] });
    });

    it("deploys an action's own archive with its handler and runtime, e.g. Python, without bundling", async () => {
        const archive = new pulumi.asset.AssetArchive({ "app.py": new pulumi.asset.StringAsset("def handler(event, context):\n    return event\n") });
        await deploy(
            () =>
                new SagaComponent("polyglot", {
                    steps: travelWith({ Hotel: { confirm: { code: archive, handler: "app.handler", runtime: "python3.13", tableAccess: ["UpdateItem"] } } }),
                    start: travelStart,
                }),
        );
        const confirm = find(ResourceTypes.function, "polyglot-hotel-confirm").inputs;
        assert.deepEqual([confirm.runtime, confirm.handler], ["python3.13", "app.handler"]);
        assert.deepEqual(Object.keys(await confirm.code.assets), ["app.py"]);
        assert.deepEqual(policyOf("polyglot-hotel-confirm-policy").Statement[0].Action, ["dynamodb:UpdateItem"]);
        assert.equal(find(ResourceTypes.function, "polyglot-hotel-reserve").inputs.runtime, "nodejs22.x", "bundled modules run on Node.js 22");
    });

    it("uses an existing function for an action: creates nothing for it, and its machine may invoke exactly that ARN", async () => {
        const saga = await deploy(
            () =>
                new SagaComponent("existing", {
                    steps: travelWith({ Flight: { cancel: { functionArn: EXISTING_ARN, stateName: "Cancel Flight" } } }),
                    start: travelStart,
                }),
        );
        assert.equal(recorded.some((r) => r.name.startsWith("existing-flight-cancel")), false, "no function, role, policy or log group");
        assert.equal(saga.functions["Cancel Flight"], undefined);
        assert.ok(saga.functions["Reserve Flight"]);
        const invoke = policyOf("existing-machine-policy").Statement.find((s: { Sid: string }) => s.Sid === "InvokeSteps");
        assert.ok(invoke.Resource.includes(EXISTING_ARN));
        assert.equal(invoke.Resource.length, 8, "the 7 created step functions and the existing one, nothing else");
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "existing-machine").inputs.definition);
        assert.equal(definition.States["Cancel Flight"].Parameters.FunctionName, EXISTING_ARN);
        assert.equal(definition.States["Cancel Flight"].Comment, "saga:step=Flight saga:role=cancel");
    });

    it("accepts an existing function's ARN known only at deployment", async () => {
        await deploy(
            () =>
                new SagaComponent("later", {
                    steps: travelWith({ Hotel: { confirm: { functionArn: pulumi.output(EXISTING_ARN) } } }),
                    start: travelStart,
                }),
        );
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "later-machine").inputs.definition);
        assert.equal(definition.States["Confirm Hotel"].Parameters.FunctionName, EXISTING_ARN);
    });

    it("names each Task's step and role in its Comment, the convention the policy pack reads", async () => {
        await deploy(() => new SagaComponent("comments", { steps: travelSteps, start: travelStart }));
        const definition = JSON.parse(find(ResourceTypes.stateMachine, "comments-machine").inputs.definition);
        const lambdaTasks = Object.entries(definition.States as Record<string, { Resource?: string; Comment?: string }>).filter(
            ([, state]) => state.Resource === "arn:aws:states:::lambda:invoke",
        );
        const named = lambdaTasks.map(([state, { Comment }]) => [state, parseTaskComment(Comment)]);
        assert.deepEqual(Object.fromEntries(named.filter(([state]) => !String(state).includes("after a failed"))), {
            "Reserve Hotel": { step: "Hotel", role: "reserve" },
            "Reserve Flight": { step: "Flight", role: "reserve" },
            "Take Payment": { step: "Payment", role: "reserve" },
            "Confirm Hotel": { step: "Hotel", role: "confirm" },
            "Confirm Flight": { step: "Flight", role: "confirm" },
            "Cancel Hotel": { step: "Hotel", role: "cancel" },
            "Cancel Flight": { step: "Flight", role: "cancel" },
            "Refund Payment": { step: "Payment", role: "cancel" },
        });
        assert.equal(definition.States["Cancel Hotel (after a failed compensation)"].Comment, taskComment("Hotel", "cancel"));
        assert.equal(parseTaskComment("saga:step=Hotel saga:role=undo"), undefined);
        assert.equal(parseTaskComment(undefined), undefined);
    });
});

describe("SagaComponent exposes its children", () => {
    before(() => setupMocks());

    it("as resources a program can build on, keyed by state name", async () => {
        const saga = await deploy(
            () => new SagaComponent("kids", { steps: travelSteps, start: travelStart, status: { path: "/trips/{tripId}", handler: travelStatus } }),
        );
        assert.deepEqual(Object.keys(saga.functions).sort(), Object.keys(saga.functionRoles).sort());
        assert.deepEqual(Object.keys(saga.functions).sort(), [
            "Cancel Flight",
            "Cancel Hotel",
            "Confirm Flight",
            "Confirm Hotel",
            "Refund Payment",
            "Reserve Flight",
            "Reserve Hotel",
            "Take Payment",
        ]);
        const arnOf = async (resource: { arn: pulumi.Output<string> }) => valueOf(resource.arn);
        assert.equal(await arnOf(saga.functions["Reserve Hotel"]), find(ResourceTypes.function, "kids-hotel-reserve").state.arn);
        assert.equal(await arnOf(saga.functionRoles["Reserve Hotel"]), find(ResourceTypes.role, "kids-hotel-reserve-role").state.arn);
        assert.equal(await arnOf(saga.startFunction), find(ResourceTypes.function, "kids-start").state.arn);
        assert.equal(await arnOf(saga.startRole), find(ResourceTypes.role, "kids-start-role").state.arn);
        assert.equal(await arnOf(saga.statusFunction!), find(ResourceTypes.function, "kids-status").state.arn);
        assert.equal(await arnOf(saga.statusRole!), find(ResourceTypes.role, "kids-status-role").state.arn);
        assert.equal(await arnOf(saga.stateMachine), await valueOf(saga.stateMachineArn));
        assert.equal(await arnOf(saga.stateMachineRole), find(ResourceTypes.role, "kids-machine-role").state.arn);
        assert.equal(await arnOf(saga.table!), await valueOf(saga.tableArn));
        assert.equal(await valueOf(saga.restApi.id), find(ResourceTypes.restApi, "kids-api").id);
        assert.equal(await valueOf(saga.stage.invokeUrl), (await valueOf(saga.apiUrl)).replace(/\/$/, ""));
        assert.equal(await arnOf(saga.failureQueue), await valueOf(saga.failureQueueArn));
        assert.equal(await arnOf(saga.failureAlarm), await valueOf(saga.compensationAlarmArn));
        // The repair's children.
        assert.equal(await arnOf(saga.repairMachine), await valueOf(saga.repairMachineArn));
        assert.equal(await arnOf(saga.repairMachine), find(ResourceTypes.stateMachine, "kids-repair-machine").state.arn);
        assert.equal(await arnOf(saga.repairMachineRole), find(ResourceTypes.role, "kids-repair-machine-role").state.arn);
        assert.equal(await arnOf(saga.repairStarter), find(ResourceTypes.function, "kids-repair-start").state.arn);
        assert.equal(await arnOf(saga.repairStarterRole), find(ResourceTypes.role, "kids-repair-start-role").state.arn);
        assert.equal(await arnOf(saga.repairOutcomeFunction), find(ResourceTypes.function, "kids-repair-outcome").state.arn);
        assert.equal(await arnOf(saga.repairOutcomeRole), find(ResourceTypes.role, "kids-repair-outcome-role").state.arn);
        assert.equal(await arnOf(saga.needsAttentionQueue), await valueOf(saga.needsAttentionQueueArn));
        assert.equal(await valueOf(saga.needsAttentionQueue.url), await valueOf(saga.needsAttentionQueueUrl));
        assert.equal(await arnOf(saga.needsAttentionAlarm), await valueOf(saga.compensationAlarmArn));
        assert.equal(saga.failureAlarm, saga.needsAttentionAlarm, "the alarm that pages");
        assert.equal(await arnOf(saga.statusChangeRule), find(ResourceTypes.eventRule, "kids-status-changes").state.arn);
        assert.equal(await arnOf(saga.repairFailureRule), find(ResourceTypes.eventRule, "kids-repair-failures").state.arn);
    });

    it("has no table when it shares one, and no status function without a status route", async () => {
        const table = { name: "shared", arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/shared` };
        const saga = await deploy(() => new SagaComponent("bare", { steps: travelSteps, start: travelStart, table }));
        assert.equal(saga.table, undefined);
        assert.equal(saga.statusFunction, undefined);
        assert.equal(saga.statusRole, undefined);
    });
});

describe("SagaComponent rejects bad actions before creating anything", () => {
    before(() => setupMocks());

    const SOURCES =
        "`module` (a file the saga bundles), `code` with `handler` and `runtime` (an archive for any runtime), or `functionArn` (an existing function)";
    const archive = new pulumi.asset.AssetArchive({});
    const withHotelReserve = (reserve: unknown) => ({ steps: travelWith({ Hotel: { reserve: reserve as SagaAction } }) });

    it("an action with two sources of code, or none", () => {
        refuses("two", withHotelReserve({ ...hotel.reserve, functionArn: EXISTING_ARN }), `Step "Hotel" \`reserve\` needs exactly one source of code and has \`module\` and \`functionArn\`: ${SOURCES}.`);
        refuses("three", withHotelReserve({ module: "a.ts", code: archive, functionArn: EXISTING_ARN }), `Step "Hotel" \`reserve\` needs exactly one source of code and has \`module\` and \`code\` and \`functionArn\`: ${SOURCES}.`);
        refuses("none", withHotelReserve({ tableAccess: ["PutItem"] }), `Step "Hotel" \`reserve\` needs exactly one source of code and has none: ${SOURCES}.`);
        refuses("nothing", withHotelReserve("handlers/travel/hotel.ts"), `Step "Hotel" \`reserve\` must be an object with one source of code: ${SOURCES}.`);
    });

    it("an archive without its handler or a known runtime, or with a module's export", () => {
        refuses("nohandler", withHotelReserve({ code: archive, runtime: "python3.13" }), 'Step "Hotel" `reserve` has `code` but no `handler`: name the entry point as its runtime does, e.g. "app.handler".');
        refuses("noruntime", withHotelReserve({ code: archive, handler: "app.handler" }), 'Step "Hotel" `reserve` has `code` with no `runtime`: name a Lambda runtime, e.g. "python3.13", "nodejs22.x", "java21".');
        refuses("badruntime", withHotelReserve({ code: archive, handler: "app.handler", runtime: "python" }), 'Step "Hotel" `reserve` has `code` with the unknown `runtime` "python": name a Lambda runtime, e.g. "python3.13", "nodejs22.x", "java21".');
        refuses("notarchive", withHotelReserve({ code: "app.zip", handler: "app.handler", runtime: "python3.13" }), 'Step "Hotel" `reserve` has a `code` that is not an archive: use e.g. new pulumi.asset.FileArchive("./app").');
        refuses("export", withHotelReserve({ code: archive, handler: "app.handler", runtime: "python3.13", export: "reserve" }), 'Step "Hotel" `reserve` sets `export`, which only applies to `module`.');
        refuses("handler", withHotelReserve({ ...hotel.reserve, handler: "index.reserve" }), 'Step "Hotel" `reserve` sets `handler`, which only applies to `code`.');
    });

    it("an existing function that is no Lambda ARN, or configured as if the saga created it", () => {
        refuses("notarn", withHotelReserve({ functionArn: "flight-desk-cancel" }), 'Step "Hotel" `reserve` has a `functionArn` that is not a Lambda function\'s ARN: "flight-desk-cancel" (expected arn:aws:lambda:<region>:<account>:function:<name>).');
        refuses(
            "configured",
            withHotelReserve({ functionArn: EXISTING_ARN, environment: { A: "b" } }),
            'Step "Hotel" `reserve` is an existing function (`functionArn`), so `environment` cannot be set on it: the saga creates no function or role for it. Configure that function where it is defined.',
        );
        refuses(
            "granted",
            withHotelReserve({ functionArn: EXISTING_ARN, tableAccess: ["PutItem"] }),
            'Step "Hotel" `reserve` is an existing function (`functionArn`), so `tableAccess` cannot be set on it: the saga creates no function or role for it. Configure that function where it is defined.',
        );
    });

    it("an existing function behind the API's start or status route", () => {
        const why =
            "the saga gives this function its state machine's ARN and the permission to use it, which it cannot give a function it does not create. Use `module` or `code`.";
        refuses("start", { start: { functionArn: EXISTING_ARN } }, `\`start\` cannot be an existing function (\`functionArn\`): ${why}`);
        refuses("status", { status: { path: "/trips/{tripId}", handler: { functionArn: EXISTING_ARN } } }, `\`status.handler\` cannot be an existing function (\`functionArn\`): ${why}`);
    });

    it("environment variables with invalid or reserved names, or values that are no strings", () => {
        const env = (environment: unknown) => withHotelReserve({ ...hotel.reserve, environment });
        refuses("envlist", env(["A=b"]), 'Step "Hotel" `reserve` has an `environment` that is not an object of variables, e.g. { "API_URL": "https://..." }.');
        refuses("envname", env({ "API-URL": "x" }), 'Step "Hotel" `reserve` has an invalid `environment` variable name "API-URL": use letters, digits and \'_\', starting with a letter.');
        refuses("envsaga", env({ TABLE_NAME: "other" }), 'Step "Hotel" `reserve` sets the `environment` variable TABLE_NAME, which the saga sets itself: choose another name.');
        refuses("envlambda", env({ AWS_REGION: "eu-west-1" }), 'Step "Hotel" `reserve` sets the `environment` variable AWS_REGION, which Lambda sets itself: choose another name.');
        refuses("envvalue", env({ RETRIES: 3 }), 'Step "Hotel" `reserve` sets the `environment` variable RETRIES to 3: values are strings.');
    });

    it("policy statements without actions or resources, or with a resource that is no ARN", () => {
        const grants = (policyStatements: unknown) => withHotelReserve({ ...hotel.reserve, policyStatements });
        refuses("stmtobject", grants({ actions: ["sqs:SendMessage"], resources: [QUEUE_ARN] }), 'Step "Hotel" `reserve` has `policyStatements` that are not a list of { actions, resources }.');
        refuses("noactions", grants([{ actions: [], resources: [QUEUE_ARN] }]), 'Step "Hotel" `reserve` `policyStatements[0]` needs `actions`: a non-empty list of IAM actions such as "sqs:SendMessage".');
        refuses("badaction", grants([{ actions: ["SendMessage"], resources: [QUEUE_ARN] }]), 'Step "Hotel" `reserve` `policyStatements[0]` needs `actions`: a non-empty list of IAM actions such as "sqs:SendMessage".');
        refuses("noresources", grants([{ actions: ["sqs:SendMessage"] }]), 'Step "Hotel" `reserve` `policyStatements[0]` needs `resources`: a non-empty list of ARNs, e.g. a queue\'s `arn`.');
        refuses("notarn", grants([{ actions: ["sqs:SendMessage"], resources: ["stock-updates"] }]), 'Step "Hotel" `reserve` `policyStatements[0]` has a resource that is not an ARN: "stock-updates".');
    });

    it("per-action settings out of range, or a timeout not below the task's", () => {
        const sized = (settings: Partial<SagaAction>) => withHotelReserve({ ...hotel.reserve, ...settings });
        refuses("memory", sized({ memorySize: 64 }), 'Step "Hotel" `reserve`: `memorySize` must be a whole number from 128 to 10240.');
        refuses("timeout", sized({ timeoutSeconds: 0 }), 'Step "Hotel" `reserve`: `timeoutSeconds` must be a whole number from 1 to 900.');
        refuses(
            "slow",
            sized({ timeoutSeconds: 45 }),
            'Step "Hotel" `reserve` `timeoutSeconds` (45) must be less than `definition.taskTimeoutSeconds` (30): a task that timed out while its Lambda still ran would start the compensation alongside it.',
        );
        refuses("arch", sized({ architecture: "arm" as "arm64" }), 'Step "Hotel" `reserve` has an invalid `architecture` "arm": use "arm64" or "x86_64".');
    });

    it("testing switches that are not a group", () =>
        refuses("testing", { testing: true as unknown as SagaComponentArgs["testing"] }, "`testing` must be an object: { failureInjection, compensationFailureRate, chaos }."));
});
