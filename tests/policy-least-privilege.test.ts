import * as assert from "node:assert/strict";
import { travelSteps } from "../handlers/travel/steps";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaLeastPrivilege as policy } from "../policy-pack/policies";
import { TestResource, messages, stackOutcome, stackViolations } from "./support/policy-args";
import { T, arn, changed, sagaStack, withPolicy } from "./support/policy-fixtures";

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
            assert.deepEqual(await check(stack), [`${HOTEL_RESERVE} must not allow the wildcard action "dynamodb:*": list the actions the role needs.`]);
        });

        it('should fail if a role allows every action ("*")', async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-cancel-policy", (d) => d.Statement.push({ Effect: "Allow", Action: "*", Resource: "*" }));
            assert.deepEqual(await check(stack), [`${HOTEL_CANCEL} must not allow every action ("*"): list the actions the role needs.`]);
        });

        it('should fail if a role allows table actions on Resource "*"', async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => (d.Statement[0].Resource = "*"));
            assert.deepEqual(await check(stack), [
                `${HOTEL_RESERVE} must not allow "dynamodb:GetItem", "dynamodb:PutItem" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").`,
            ]);
        });

        it("should fail if a role uses NotAction", async () => {
            const stack = withPolicy(sagaStack(), "travel-hotel-cancel-policy", (d) => d.Statement.push({ Effect: "Allow", NotAction: ["iam:*"], Resource: TABLE }));
            assert.deepEqual(await check(stack), [`${HOTEL_CANCEL} must list the actions it allows: it uses NotAction, which allows every other action.`]);
        });

        it("should fail if a role attaches a managed policy it cannot read", async () => {
            const attachment: TestResource = {
                type: T.attachment,
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
                { type: T.policy, name: "extra", props: { arn: policyArn, policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) } },
                { type: T.attachment, name: "extra-attachment", props: { role: "travel-hotel-cancel-role", policyArn } },
            ];
            assert.deepEqual(await check([...sagaStack(), ...extra]), [
                'IAM policy "extra" of step Lambda "travel-hotel-cancel" (saga "travel", step "Hotel", cancel) must not allow the wildcard action "s3:*": list the actions the role needs.',
            ]);
        });

        it("should fail if an inline policy of the role is too broad", async () => {
            const stack = changed(sagaStack(), "travel-hotel-cancel-role", (p) => {
                p.inlinePolicies = [{ name: "more", policy: JSON.stringify({ Statement: { Effect: "Allow", Action: "dynamodb:Scan", Resource: "*" } }) }];
            });
            assert.deepEqual(await check(stack), [
                'Inline policy "more" of role "travel-hotel-cancel-role" of step Lambda "travel-hotel-cancel" (saga "travel", step "Hotel", cancel) must not allow "dynamodb:Scan" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").',
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
                `${FLIGHT_RESERVE} must only reach the table of saga "travel" ("${TABLE}"): it allows "dynamodb:GetItem", "dynamodb:PutItem" on "${arn.table("payments")}". Grant table actions on the saga's table only.`,
            ]);
        });

        it("should fail if a step Lambda can reach every table of the account", async () => {
            const everyTable = "arn:aws:dynamodb:us-east-1:123456789012:table/*";
            const stack = withPolicy(sagaStack(), "travel-flight-reserve-policy", (d) => (d.Statement[0].Resource = everyTable));
            assert.deepEqual(await check(stack), [
                `${FLIGHT_RESERVE} must not use the wildcard resource "${everyTable}": name the exact resource.`,
                `${FLIGHT_RESERVE} must only reach the table of saga "travel" ("${TABLE}"): it allows "dynamodb:GetItem", "dynamodb:PutItem" on "${everyTable}". Grant table actions on the saga's table only.`,
            ]);
        });

        it("finds the saga's table by the Lambdas' TABLE_NAME when the table is shared from outside the stack", async () => {
            const shared = sagaStack().filter((r) => r.type !== T.table);
            assert.deepEqual(await check(shared), []);
            const other = withPolicy(shared, "travel-flight-reserve-policy", (d) => (d.Statement[0].Resource = arn.table("payments")));
            assert.deepEqual(await check(other), [
                `${FLIGHT_RESERVE} must only reach the table of saga "travel" ("travel-table"): it allows "dynamodb:GetItem", "dynamodb:PutItem" on "${arn.table("payments")}". Grant table actions on the saga's table only.`,
            ]);
        });
    });

    describe("on the start Lambda", () => {
        it("should fail if the start Lambda may do more than start executions", async () => {
            const stack = withPolicy(sagaStack(), "travel-start-policy", (d) => d.Statement[0].Action.push("states:StopExecution"));
            assert.deepEqual(await check(stack), [`${START} must only start its state machine: remove "states:StopExecution".`]);
        });

        it("should fail if the start Lambda may use another service", async () => {
            const stack = withPolicy(sagaStack(), "travel-start-policy", (d) =>
                d.Statement.push({ Effect: "Allow", Action: ["sqs:SendMessage"], Resource: arn.queue("travel-compensation-failures") }),
            );
            assert.deepEqual(await check(stack), [`${START} must only start its state machine: remove "sqs:SendMessage".`]);
        });

        it("should fail if the start Lambda may start another state machine", async () => {
            const stack = withPolicy(sagaStack(), "travel-start-policy", (d) => (d.Statement[0].Resource = arn.machine("other-machine")));
            assert.deepEqual(await check(stack), [
                `${START} must only start its own state machine ("${arn.machine("travel-machine")}"): it allows "states:StartExecution" on "${arn.machine("other-machine")}".`,
            ]);
        });
    });

    describe("on the status Lambda", () => {
        it("should fail if the status Lambda may write to the table", async () => {
            const stack = withPolicy(sagaStack(), "travel-status-policy", (d) => d.Statement[1].Action.push("dynamodb:DeleteItem"));
            assert.deepEqual(await check(stack), [`${STATUS} must only read the saga's table and its executions: remove "dynamodb:DeleteItem".`]);
        });

        it("should fail if the status Lambda may stop executions", async () => {
            const stack = withPolicy(sagaStack(), "travel-status-policy", (d) => d.Statement[0].Action.push("states:StopExecution"));
            assert.deepEqual(await check(stack), [`${STATUS} must only read the saga's table and its executions: remove "states:StopExecution".`]);
        });

        it("should fail if the status Lambda may describe another machine's executions", async () => {
            const other = "arn:aws:states:us-east-1:123456789012:execution:other-machine:*";
            const stack = withPolicy(sagaStack(), "travel-status-policy", (d) => (d.Statement[0].Resource = other));
            assert.deepEqual(await check(stack), [
                `${STATUS} must only describe executions of its own state machine ("arn:aws:states:us-east-1:123456789012:execution:travel-machine:*"): it allows "states:DescribeExecution" on "${other}".`,
            ]);
        });
    });

    describe("on the state machine", () => {
        it("should fail if the state machine may invoke a Lambda outside the saga", async () => {
            const stack = withPolicy(sagaStack(), "travel-machine-policy", (d) => d.Statement[0].Resource.push(arn.lambda("elsewhere")));
            assert.deepEqual(await check(stack), [
                `${MACHINE} must only invoke the step Lambdas of saga "travel": it allows "lambda:InvokeFunction" on "${arn.lambda("elsewhere")}".`,
            ]);
        });

        it("should fail if the state machine may invoke the start Lambda", async () => {
            const stack = withPolicy(sagaStack(), "travel-machine-policy", (d) => d.Statement[0].Resource.push(arn.lambda("travel-start")));
            assert.deepEqual(await check(stack), [
                `${MACHINE} must only invoke the step Lambdas of saga "travel": it allows "lambda:InvokeFunction" on "${arn.lambda("travel-start")}".`,
            ]);
        });

        it('should fail if the state machine may send to every queue ("*")', async () => {
            const stack = withPolicy(sagaStack(), "travel-machine-policy", (d) => (d.Statement[1].Resource = "*"));
            assert.deepEqual(await check(stack), [
                `${MACHINE} must not allow "sqs:SendMessage" on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*").`,
            ]);
        });
    });

    describe("while values are not known (a first preview)", () => {
        it("checks what is known and says what it could not check", async () => {
            let stack = withPolicy(sagaStack(), "travel-hotel-reserve-policy", (d) => (d.Statement[0].Action = ["dynamodb:*"]));
            stack = changed(stack, "travel-flight-cancel-policy", (p) => (p.policy = UNKNOWN_STRING_SENTINEL));
            stack = changed(stack, "travel-start", (p) => (p.role = UNKNOWN_STRING_SENTINEL));
            const outcome = await stackOutcome(policy, stack);
            assert.deepEqual(outcome.reported, [`${HOTEL_RESERVE} must not allow the wildcard action "dynamodb:*": list the actions the role needs.`]);
            assert.equal(
                outcome.error?.message,
                'IAM policy "travel-flight-cancel-policy", the role of the start Lambda "travel-start" (saga "travel") are not known yet, so they were not checked; they are checked once known, e.g. by `pulumi up`',
            );
        });
    });
});
