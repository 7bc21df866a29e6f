import * as assert from "node:assert/strict";
import { SagaPolicyStatement, SagaStep } from "../components/model/args";
import { travelStart, travelSteps } from "../handlers/travel/steps";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaExistingFunctionsInStack, sagaLeastPrivilege as policy } from "../policy-pack/policies";
import { TestResource, messages, stackOutcome, stackViolations } from "./support/policy-args";
import { arn, changed, componentStack, sagaStack, withDefinition, withPolicy } from "./support/policy-fixtures";
import { asOutputs } from "./support/policy-stack";
import { ResourceTypes } from "../components/model/resource-types";

const check = (resources: TestResource[]) => messages(stackViolations(policy, resources));
const HOTEL_RESERVE = 'IAM policy "travel-hotel-reserve-policy" of step Lambda "travel-hotel-reserve" (saga "travel", step "Hotel", reserve)';
const HOTEL_CANCEL = 'IAM policy "travel-hotel-cancel-policy" of step Lambda "travel-hotel-cancel" (saga "travel", step "Hotel", cancel)';
const FLIGHT_RESERVE = 'IAM policy "travel-flight-reserve-policy" of step Lambda "travel-flight-reserve" (saga "travel", step "Flight", reserve)';
const START = 'IAM policy "travel-start-policy" of the start Lambda "travel-start" (saga "travel")';
const STATUS = 'IAM policy "travel-status-policy" of the status Lambda "travel-status" (saga "travel")';
const MACHINE = 'IAM policy "travel-machine-policy" of state machine "travel-machine" (saga "travel")';
const TABLE = arn.table("travel-table");

describe("policy saga-least-privilege", () => {
    it("passes the roles SagaComponent generates for the travel booking", async () => {
        assert.deepEqual(await check(sagaStack(travelSteps)), []);
    });

    it("accepts a step's grant on the indexes of its table", async () => {
        const stack = withPolicy(sagaStack(), "travel-flight-reserve-policy", (d) => (d.Statement[0].Resource = [TABLE, `${TABLE}/index/*`]));
        assert.deepEqual(await check(stack), []);
    });

    it("ignores Deny statements", async () => {
        const stack = withPolicy(sagaStack(), "travel-hotel-cancel-policy", (d) => d.Statement.push({ Effect: "Deny", Action: "*", Resource: "*" }));
        assert.deepEqual(await check(stack), []);
    });

    describe("on every saga role", () => {
        it('should fail if a role allows "dynamodb:*"', async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => (d.Statement[0].Action = ["dynamodb:*"]));
            assert.deepEqual(await check(stack), [`Statement "TableAccess" of ${HOTEL_RESERVE} must not allow the wildcard action "dynamodb:*": list the actions the role needs.`]);
        });

        it('should fail if a role allows every action ("*")', async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-cancel-policy", (d) => d.Statement.push({ Effect: "Allow", Action: "*", Resource: "*" }));
            assert.deepEqual(await check(stack), [`Statement 4 of ${HOTEL_CANCEL} must not allow every action ("*"): list the actions the role needs.`]);
        });

        it('should fail if a role allows table actions on Resource "*"', async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => (d.Statement[0].Resource = "*"));
            assert.deepEqual(await check(stack), [
                `Statement "TableAccess" of ${HOTEL_RESERVE} must not allow "dynamodb:GetItem", "dynamodb:PutItem" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").`,
            ]);
        });

        it("should fail if a role uses NotAction", async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-cancel-policy", (d) => d.Statement.push({ Effect: "Allow", NotAction: ["iam:*"], Resource: TABLE }));
            assert.deepEqual(await check(stack), [`Statement 4 of ${HOTEL_CANCEL} must list the actions it allows: it uses NotAction, which allows every other action.`]);
        });

        it("should fail if a role attaches a managed policy it cannot read", async () => {
            const attachment: TestResource = {
                type: ResourceTypes.rolePolicyAttachment,
                name: "basic-execution",
                props: { role: "travel-hotel-cancel-role", policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
            };
            assert.deepEqual(await check([...sagaStack(), attachment]), [
                'Role "travel-hotel-cancel-role" of step Lambda "travel-hotel-cancel" (saga "travel", step "Hotel", cancel) must not attach the managed policy "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": its grants cannot be checked, and managed policies grant on "*". Use an inline policy that names the saga\'s resources.',
            ]);
        });

        it("should fail if a customer managed policy of the stack is too broad", async () => {
            const policyArn = `arn:aws:iam::123456789012:policy/extra`;
            const extra: TestResource[] = [
                { type: ResourceTypes.policy, name: "extra", props: { arn: policyArn, policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) } },
                { type: ResourceTypes.rolePolicyAttachment, name: "extra-attachment", props: { role: "travel-hotel-cancel-role", policyArn } },
            ];
            assert.deepEqual(await check([...sagaStack(), ...extra]), [
                'Statement 1 of IAM policy "extra" of step Lambda "travel-hotel-cancel" (saga "travel", step "Hotel", cancel) must not allow the wildcard action "s3:*": list the actions the role needs.',
            ]);
        });

        it("should fail if an inline policy of the role is too broad", async () => {
            const stack = changed(sagaStack(), "travel-hotel-cancel-role", (p) => {
                p.inlinePolicies = [{ name: "more", policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "dynamodb:Scan", Resource: "*" } }) }];
            });
            assert.deepEqual(await check(stack), [
                'Statement 1 of inline policy "more" of role "travel-hotel-cancel-role" of step Lambda "travel-hotel-cancel" (saga "travel", step "Hotel", cancel) must not allow "dynamodb:Scan" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").',
            ]);
        });

        it("reports the violation on the policy resource", async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => (d.Statement[0].Action = ["dynamodb:*"]));
            const [violation] = await stackViolations(policy, stack);
            assert.equal(violation.urn, "urn:pulumi:test::saga::aws:iam/rolePolicy:RolePolicy::travel-hotel-reserve-policy");
        });
    });

    describe("on the step Lambdas", () => {
        it("should fail if a step Lambda can reach another table", async () => {
            const stack = withPolicy(sagaStack(), "travel-flight-reserve-policy", (d) => (d.Statement[0].Resource = [TABLE, arn.table("payments")]));
            assert.deepEqual(await check(stack), [
                `Statement "TableAccess" of ${FLIGHT_RESERVE} must only reach the table of saga "travel" ("${TABLE}"): it allows "dynamodb:GetItem", "dynamodb:PutItem" on "${arn.table("payments")}". Grant table actions on the saga's table only.`,
            ]);
        });

        it("should fail if a step Lambda can reach every table of the account", async () => {
            const everyTable = "arn:aws:dynamodb:us-east-1:123456789012:table/*";
            const stack = withPolicy(sagaStack(), "travel-flight-reserve-policy", (d) => (d.Statement[0].Resource = everyTable));
            assert.deepEqual(await check(stack), [
                `Statement "TableAccess" of ${FLIGHT_RESERVE} must not use the wildcard resource "${everyTable}": name the exact resource.`,
                `Statement "TableAccess" of ${FLIGHT_RESERVE} must only reach the table of saga "travel" ("${TABLE}"): it allows "dynamodb:GetItem", "dynamodb:PutItem" on "${everyTable}". Grant table actions on the saga's table only.`,
            ]);
        });

        it("finds the saga's table by the Lambdas' TABLE_NAME when the table is shared from outside the stack", async () => {
            const shared = sagaStack().filter((r) => r.type !== ResourceTypes.table);
            assert.deepEqual(await check(shared), []);
            const other = withPolicy(shared, "travel-flight-reserve-policy", (d) => (d.Statement[0].Resource = arn.table("payments")));
            assert.deepEqual(await check(other), [
                `Statement "TableAccess" of ${FLIGHT_RESERVE} must only reach the table of saga "travel" ("travel-table"): it allows "dynamodb:GetItem", "dynamodb:PutItem" on "${arn.table("payments")}". Grant table actions on the saga's table only.`,
            ]);
        });
    });

    describe("on the start Lambda", () => {
        it("should fail if the start Lambda may do more than start executions", async () => {
            const stack = withPolicy(sagaStack(), "travel-start-policy", (d) => d.Statement[0].Action.push("states:StopExecution"));
            assert.deepEqual(await check(stack), [`Statement "StartSaga" of ${START} must only start its state machine: remove "states:StopExecution".`]);
        });

        it("should fail if the start Lambda may use another service", async () => {
            const stack = withPolicy(sagaStack(), "travel-start-policy", (d) =>
                d.Statement.push({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: arn.queue("travel-compensation-failures") }),
            );
            assert.deepEqual(await check(stack), [`Statement 4 of ${START} must only start its state machine: remove "sqs:SendMessage".`]);
        });

        it("should fail if the start Lambda may start another state machine", async () => {
            const stack = withPolicy(sagaStack(), "travel-start-policy", (d) => (d.Statement[0].Resource = arn.machine("other-machine")));
            assert.deepEqual(await check(stack), [
                `Statement "StartSaga" of ${START} must only start its own state machine ("${arn.machine("travel-machine")}"): it allows "states:StartExecution" on "${arn.machine("other-machine")}".`,
            ]);
        });
    });

    describe("on the status Lambda", () => {
        it("should fail if the status Lambda may write to the table", async () => {
            const stack = withPolicy(sagaStack(), "travel-status-policy", (d) => d.Statement[1].Action.push("dynamodb:DeleteItem"));
            assert.deepEqual(await check(stack), [`Statement "TableAccess" of ${STATUS} must only read the saga's table and its executions: remove "dynamodb:DeleteItem".`]);
        });

        it("should fail if the status Lambda may stop executions", async () => {
            const stack = withPolicy(sagaStack(), "travel-status-policy", (d) => d.Statement[0].Action.push("states:StopExecution"));
            assert.deepEqual(await check(stack), [`Statement "DescribeSagas" of ${STATUS} must only read the saga's table and its executions: remove "states:StopExecution".`]);
        });

        it("should fail if the status Lambda may describe another machine's executions", async () => {
            const other = "arn:aws:states:us-east-1:123456789012:execution:other-machine:*";
            const stack = withPolicy(sagaStack(), "travel-status-policy", (d) => (d.Statement[0].Resource = other));
            assert.deepEqual(await check(stack), [
                `Statement "DescribeSagas" of ${STATUS} must only describe executions of its own state machine ("arn:aws:states:us-east-1:123456789012:execution:travel-machine:*"): it allows "states:DescribeExecution" on "${other}".`,
            ]);
        });
    });

    describe("on the state machine", () => {
        it("should fail if the state machine may invoke a Lambda outside the saga", async () => {
            const stack = withPolicy(sagaStack(), "travel-machine-policy", (d) => d.Statement[0].Resource.push(arn.lambda("elsewhere")));
            assert.deepEqual(await check(stack), [
                `Statement "InvokeSteps" of ${MACHINE} must only invoke the step Lambdas of saga "travel" and the functions its definition invokes: it allows "lambda:InvokeFunction" on "${arn.lambda("elsewhere")}".`,
            ]);
        });

        it("should fail if the state machine may invoke the start Lambda", async () => {
            const stack = withPolicy(sagaStack(), "travel-machine-policy", (d) => d.Statement[0].Resource.push(arn.lambda("travel-start")));
            assert.deepEqual(await check(stack), [
                `Statement "InvokeSteps" of ${MACHINE} must only invoke the step Lambdas of saga "travel" and the functions its definition invokes: it allows "lambda:InvokeFunction" on "${arn.lambda("travel-start")}".`,
            ]);
        });

        it('should fail if the state machine may send to every queue ("*")', async () => {
            const stack = withPolicy(sagaStack(), "travel-machine-policy", (d) => (d.Statement[1].Resource = "*"));
            assert.deepEqual(await check(stack), [
                `Statement "RecordCompensationFailures" of ${MACHINE} must not allow "sqs:SendMessage" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").`,
            ]);
        });
    });

    describe("on an action's own grants (its policyStatements: Sid ActionGrant1..n)", () => {
        const QUEUE = arn.queue("stock-updates");
        const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:payments-key-AbCdEf";
        const grant = (Sid: string, Action: string[], Resource: string | string[]) => ({ Sid, Effect: "Allow", Action, Resource });

        it("passes narrow grants on any service, on step, start and status Lambdas alike", async () => {
            let stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => d.Statement.push(grant("ActionGrant1", ["sqs:SendMessage"], QUEUE)));
            stack = withPolicy(stack, "travel-start-policy", (d) => d.Statement.push(grant("ActionGrant1", ["secretsmanager:GetSecretValue"], SECRET)));
            stack = withPolicy(stack, "travel-status-policy", (d) =>
                d.Statement.push(grant("ActionGrant1", ["secretsmanager:GetSecretValue"], SECRET), grant("ActionGrant2", ["sqs:SendMessage", "sqs:GetQueueUrl"], [QUEUE, `${QUEUE}-dlq`])),
            );
            assert.deepEqual(await check(stack), []);
        });

        it("does not hold them to the role's purpose (another table, another machine), which the saga's own statements are", async () => {
            const reference = arn.table("reference-data");
            const extra = (Sid: string) => (d: { Statement: any[] }) => d.Statement.push(grant(Sid, ["dynamodb:GetItem"], reference), grant(`${Sid}2`, ["states:StartExecution"], arn.machine("billing")));
            assert.deepEqual(await check(withPolicy(sagaStack(), "travel-start-policy", extra("ActionGrant1"))), []);
            assert.deepEqual(await check(withPolicy(sagaStack(), "travel-start-policy", extra("Extra"))), [
                `Statement "Extra" of ${START} must only reach the table of saga "travel" ("${TABLE}"): it allows "dynamodb:GetItem" on "${reference}". Grant table actions on the saga's table only.`,
                `Statement "Extra2" of ${START} must only start its own state machine ("${arn.machine("travel-machine")}"): it allows "states:StartExecution" on "${arn.machine("billing")}".`,
            ]);
        });

        it('should fail if an action\'s grant allows "*", "service:*" or a "*" resource, naming the function and the statement', async () => {
            let stack = withPolicy(sagaStack(), "travel-hotel-cancel-policy", (d) => d.Statement.push(grant("ActionGrant1", ["*"], QUEUE)));
            stack = withPolicy(stack, "travel-flight-reserve-policy", (d) => d.Statement.push(grant("ActionGrant1", ["sqs:SendMessage"], QUEUE), grant("ActionGrant2", ["sqs:*"], QUEUE)));
            stack = withPolicy(stack, "travel-start-policy", (d) => d.Statement.push(grant("ActionGrant1", ["secretsmanager:GetSecretValue"], "*")));
            assert.deepEqual(await check(stack), [
                `Statement "ActionGrant1" of ${HOTEL_CANCEL} must not allow every action ("*"): list the actions the role needs.`,
                `Statement "ActionGrant2" of ${FLIGHT_RESERVE} must not allow the wildcard action "sqs:*": list the actions the role needs.`,
                `Statement "ActionGrant1" of ${START} must not allow "secretsmanager:GetSecretValue" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").`,
            ]);
        });

        describe("as SagaComponent writes them", () => {
            const [hotel, flight, payment] = travelSteps;
            const withGrants = (grants: Record<string, SagaPolicyStatement[]>): SagaStep[] => [
                { ...hotel, cancel: { ...hotel.cancel, policyStatements: grants.hotelCancel } },
                { ...flight, reserve: { ...flight.reserve, policyStatements: grants.flightReserve } },
                { ...payment, reserve: { ...payment.reserve, policyStatements: grants.paymentReserve } },
            ];
            const label = (saga: string, fn: string, step: string, role: string) => `IAM policy "${saga}-${fn}-policy" of step Lambda "${saga}-${fn}" (saga "${saga}", step "${step}", ${role})`;

            it("passes an action's narrow grants: sqs:SendMessage on one queue, secretsmanager:GetSecretValue on one secret", async () => {
                const stack = await componentStack("grants", {
                    steps: withGrants({
                        paymentReserve: [
                            { actions: ["secretsmanager:GetSecretValue"], resources: [SECRET] },
                            { actions: ["sqs:SendMessage"], resources: [QUEUE] },
                        ],
                    }),
                    start: { ...travelStart, policyStatements: [{ actions: ["sqs:SendMessage"], resources: [QUEUE] }] },
                });
                const document = JSON.parse(stack.find((r) => r.name === "grants-payment-reserve-policy")?.outputs.policy as string);
                assert.deepEqual(
                    document.Statement.map((st: { Sid: string }) => st.Sid),
                    ["TableAccess", "ActionGrant1", "ActionGrant2", "WriteOwnLogs", "XRayTracing"],
                    "the premise: the grants are in the action's own role policy",
                );
                assert.deepEqual(await check(asOutputs(stack)), []);
            });

            it('should fail if an action\'s grant allows "sqs:*", every resource or a wildcard resource, naming the function and the statement', async () => {
                const stack = await componentStack("wide", {
                    steps: withGrants({
                        hotelCancel: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::invoices/*"] }],
                        flightReserve: [
                            { actions: ["sqs:SendMessage"], resources: [QUEUE] },
                            { actions: ["sqs:*"], resources: [QUEUE] },
                        ],
                        paymentReserve: [{ actions: ["secretsmanager:GetSecretValue"], resources: ["*"] }],
                    }),
                    start: travelStart,
                });
                // Sorted: they come in the order the functions are registered.
                assert.deepEqual((await check(asOutputs(stack))).sort(), [
                    `Statement "ActionGrant1" of ${label("wide", "hotel-cancel", "Hotel", "cancel")} must not use the wildcard resource "arn:aws:s3:::invoices/*": name the exact resource.`,
                    `Statement "ActionGrant2" of ${label("wide", "flight-reserve", "Flight", "reserve")} must not allow the wildcard action "sqs:*": list the actions the role needs.`,
                    `Statement "ActionGrant1" of ${label("wide", "payment-reserve", "Payment", "reserve")} must not allow "secretsmanager:GetSecretValue" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").`,
                ].sort());
            });
        });
    });

    describe("on a saga of existing functions (SagaComponent with `functionArn`)", () => {
        const EXISTING = arn.lambda("flight-desk-cancel");
        let stack: TestResource[];
        const MIXED = 'Statement "InvokeSteps" of IAM policy "mixed-machine-policy" of state machine "mixed-machine" (saga "mixed")';

        before(async () => {
            const [hotel, flight, payment] = travelSteps;
            stack = asOutputs(await componentStack("mixed", { steps: [hotel, { ...flight, cancel: { functionArn: EXISTING, stateName: "Cancel Flight" } }, payment], start: travelStart }));
        });

        it("lets the state machine invoke the existing functions its definition invokes", async () => {
            assert.deepEqual(await check(stack), []);
        });

        it("should fail if the state machine may invoke a function its definition no longer invokes", async () => {
            const stale = withDefinition(
                stack,
                (asl) => {
                    // "Cancel Flight" and its copy after a failed compensation.
                    const invoking = Object.values(asl.States).filter((state) => state.Parameters?.FunctionName === EXISTING);
                    assert.equal(invoking.length, 2);
                    for (const state of invoking) state.Parameters.FunctionName = arn.lambda("flight-desk-cancel-v2");
                },
                "mixed-machine",
            );
            assert.deepEqual(await check(stale), [
                `${MIXED} must only invoke the step Lambdas of saga "mixed" and the functions its definition invokes: it allows "lambda:InvokeFunction" on "${EXISTING}".`,
            ]);
        });

        it("leaves an existing function's grant to the definition while that is not known", async () => {
            const preview = changed(stack, "mixed-machine", (p) => (p.definition = UNKNOWN_STRING_SENTINEL));
            const outcome = await stackOutcome(policy, preview);
            assert.deepEqual(outcome.reported, []);
            assert.equal(
                outcome.error?.message,
                'the definition of state machine "mixed-machine" (saga "mixed") is not known yet, so it was not checked; it is checked once known, e.g. by `pulumi up`',
            );
        });
    });

    describe("on an existing function declared in the same program (`functionArn` of a Lambda of the stack)", () => {
        const EXISTING = arn.lambda("flight-desk-cancel");
        let mixed: TestResource[];
        /** The program's own function and its role, with `statements` in its inline RolePolicy. */
        const withDesk = (statements: object[]): TestResource[] => [
            ...mixed,
            { type: ResourceTypes.role, name: "flight-desk-role", props: { name: "flight-desk-role", arn: arn.role("flight-desk-role") } },
            { type: ResourceTypes.rolePolicy, name: "flight-desk-policy", props: { role: "flight-desk-role", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) } },
            { type: ResourceTypes.function, name: "flight-desk", props: { name: "flight-desk-cancel", arn: EXISTING, role: arn.role("flight-desk-role"), runtime: "nodejs22.x" } },
        ];
        const advisories = (resources: TestResource[]) => messages(stackViolations(sagaExistingFunctionsInStack, resources));

        before(async () => {
            const [hotel, flight, payment] = travelSteps;
            mixed = asOutputs(await componentStack("mixed", { steps: [hotel, { ...flight, cancel: { functionArn: EXISTING, stateName: "Cancel Flight" } }, payment], start: travelStart }));
        });

        it('should fail if its role allows every action ("*") on every resource, as a saga role would', async () => {
            const stack = withDesk([
                { Sid: "Desk", Effect: "Allow", Action: ["dynamodb:DeleteItem"], Resource: arn.table("flight-desk") },
                { Effect: "Allow", Action: "*", Resource: "*" },
            ]);
            assert.deepEqual(await check(stack), [
                'Statement 2 of IAM policy "flight-desk-policy" of the existing function "flight-desk" (invoked by saga "mixed") must not allow every action ("*"): list the actions the role needs.',
            ]);
            assert.deepEqual(await advisories(stack), [], "it is in the stack: checked, nothing to advise");
        });

        it("passes narrow grants, on tables other than the saga's too (its role is its owner's purpose)", async () => {
            assert.deepEqual(await check(withDesk([{ Sid: "Desk", Effect: "Allow", Action: ["dynamodb:DeleteItem"], Resource: arn.table("flight-desk") }])), []);
        });

        it("reports only a function outside the stack as not checked (advisory)", async () => {
            assert.deepEqual(await check(mixed), []);
            assert.deepEqual(await advisories(mixed), [
                `Function "${EXISTING}", which saga "mixed" invokes (state machine "mixed-machine", "mixed-repair-machine"), must be a resource of this stack for its role to be checked: it is not, so its role was not checked. Declare it in this program, or check its role where it is declared.`,
            ]);
        });
    });

    describe("while values are not known (a first preview)", () => {
        it("checks what is known and says what it could not check", async () => {
            let stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => (d.Statement[0].Action = ["dynamodb:*"]));
            stack = changed(stack, "travel-flight-cancel-policy", (p) => (p.policy = UNKNOWN_STRING_SENTINEL));
            stack = changed(stack, "travel-start", (p) => (p.role = UNKNOWN_STRING_SENTINEL));
            const outcome = await stackOutcome(policy, stack);
            assert.deepEqual(outcome.reported, [`Statement "TableAccess" of ${HOTEL_RESERVE} must not allow the wildcard action "dynamodb:*": list the actions the role needs.`]);
            assert.equal(
                outcome.error?.message,
                'IAM policy "travel-flight-cancel-policy", the role of the start Lambda "travel-start" (saga "travel") are not known yet, so they were not checked; they are checked once known, e.g. by `pulumi up`',
            );
        });
    });
});
