// The component's grants, checked where they are made (issue 11, item 2, under Pulumi mocks):
// every Task of both generated machines, the saga's and the repair's, calls only what its
// machine's role allows, as the local cloud's evaluator (local/iam) decides it, on the
// registered resources, before anything runs. The local cloud then checks every call the
// handlers make (tests/cloud/local-iam.test.ts, and the whole suite, with IAM enforced).
import assert from "node:assert/strict";
import { SagaComponent } from "../components";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { dynamoDbRequests } from "../local/dynamodb/service";
import { assumedRoleArn, roleNameOf } from "../local/iam/credentials";
import { decide } from "../local/iam/evaluate";
import type { ActionRequest } from "../local/iam/gate";
import { NamedPolicy, RolePolicies } from "../local/iam/policies";
import { IamResources } from "../local/iam/resources";
import { stepFunctionsRequest } from "../local/sfn/api";
import { sqsRequest } from "../local/sqs/api";
import { ACCOUNT, byType, deploy, REGION, setupMocks } from "./support/mocks";
import { ResourceTypes } from "../components/model/resource-types";

type Definition = { States: Record<string, { Type: string; Resource?: string; Parameters?: Record<string, unknown> }> };

/** What each Task of a definition asks IAM for, by state name. */
function taskRequests(definition: Definition): [string, ActionRequest][] {
    return Object.entries(definition.States)
        .filter(([, state]) => state.Type === "Task")
        .map(([name, state]): [string, ActionRequest] => {
            if (state.Resource === "arn:aws:states:::lambda:invoke") return [name, { action: "lambda:InvokeFunction", resource: String(state.Parameters?.FunctionName) }];
            if (state.Resource === "arn:aws:states:::sqs:sendMessage") return [name, sqsRequest("SendMessage", { QueueUrl: state.Parameters?.QueueUrl }, { account: ACCOUNT, region: REGION })];
            throw new Error(`${name}: ${state.Resource} is no integration the generated machines use`);
        });
}

describe("the component's grants, as the local cloud's IAM evaluates them (under mocks)", function () {
    const policies = new RolePolicies();
    const warnings: string[] = [];
    let machines: { name: string; roleArn: string; definition: Definition }[];

    before(async () => {
        setupMocks();
        await deploy(() => new SagaComponent("booking", { steps: travelSteps, start: travelStart, status: { path: "/trips/{tripId}", handler: travelStatus } }));
        const iam = new IamResources(policies, ACCOUNT, (warning) => warnings.push(warning));
        for (const role of byType(ResourceTypes.role)) iam.role(String(role.state.name), role.inputs);
        for (const policy of byType(ResourceTypes.rolePolicy)) iam.rolePolicy(String(policy.inputs.role), policy.name, policy.inputs.policy);
        machines = byType(ResourceTypes.stateMachine).map((machine) => ({ name: machine.name, roleArn: String(machine.inputs.roleArn), definition: JSON.parse(machine.inputs.definition) }));
    });

    const decision = (roleArn: string, request: ActionRequest, own: NamedPolicy[] = policies.of(roleNameOf(roleArn))) =>
        decide({ principalArn: assumedRoleArn(ACCOUNT, roleArn, "machine"), roleArn, account: ACCOUNT, region: REGION, ...request }, own);

    it("reads every role's policies without a warning", () => {
        assert.deepEqual(warnings, []);
        assert.deepEqual(machines.map((machine) => machine.name).sort(), ["booking-machine", "booking-repair-machine"]);
    });

    it("lets each machine's role make every call of its Tasks: invoke each function, send to each queue", () => {
        for (const { name, roleArn, definition } of machines) {
            const requests = taskRequests(definition);
            assert.ok(requests.length > 0, name);
            for (const [state, request] of requests) assert.equal(decision(roleArn, request), "Allowed", `${name}, ${state}: ${request.action} on ${request.resource}`);
        }
    });

    it("and would refuse a machine's role without one function's grant (the check can fail)", () => {
        const { roleArn, definition } = machines.find((machine) => machine.name === "booking-machine")!;
        const [, invoke] = taskRequests(definition).find(([, request]) => request.action === "lambda:InvokeFunction")!;
        const without = policies.of(roleNameOf(roleArn)).map(({ name, policy }) => ({
            name,
            policy: {
                ...(policy as object),
                Statement: (policy as { Statement: { Resource: string | string[] }[] }).Statement.map((statement) => ({
                    ...statement,
                    Resource: [statement.Resource].flat().filter((resource) => resource !== invoke.resource),
                })).filter((statement) => statement.Resource.length > 0),
            },
        }));
        assert.equal(decision(roleArn, invoke, without), "ImplicitlyDenied");
    });
});

describe("the program's IAM resources, read by the local cloud (local/iam/resources.ts)", () => {
    it("warns of a policy document AWS refuses, and of an AWS managed policy, each of which grants nothing locally", () => {
        const policies = new RolePolicies();
        const warnings: string[] = [];
        const iam = new IamResources(policies, ACCOUNT, (warning) => warnings.push(warning));
        iam.role("reader", { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"] });
        iam.rolePolicy("reader", "typo", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Alow", Action: "dynamodb:Query", Resource: "*" }] }));
        iam.rolePolicy("reader", "cut-short", '{"Version": "2012-10-17", "Statement": [');
        assert.deepEqual(warnings, [
            "The role reader attaches the AWS managed policy arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess, whose document is AWS's: locally it grants nothing, so calls only it allows are refused (AccessDenied). Grant them in a policy of the program.",
            'The inline policy typo of the role reader is not a valid policy document (Statement[0].Effect: Effect must be present and exactly "Allow" or "Deny"): AWS refuses it (MalformedPolicyDocument); locally it grants nothing.',
            "The inline policy cut-short of the role reader is not a valid policy document (not JSON): AWS refuses it (MalformedPolicyDocument); locally it grants nothing.",
        ]);
        assert.deepEqual(policies.of("reader"), []);
    });
});

describe("what each service's request asks IAM for: the action, on the resource AWS names", () => {
    const arns = { account: ACCOUNT, region: REGION };
    const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;

    it("DynamoDB: the table, an index of it, each table of a batch, or *", () => {
        assert.deepEqual(dynamoDbRequests("GetItem", { TableName: "t" }, arns), [{ action: "dynamodb:GetItem", resource: table("t") }]);
        assert.deepEqual(dynamoDbRequests("Query", { TableName: "t", IndexName: "by-date" }, arns), [{ action: "dynamodb:Query", resource: `${table("t")}/index/by-date` }]);
        assert.deepEqual(dynamoDbRequests("Query", { TableName: table("t") }, arns), [{ action: "dynamodb:Query", resource: table("t") }], "a TableName may be the ARN");
        assert.deepEqual(dynamoDbRequests("BatchWriteItem", { RequestItems: { a: [], b: [] } }, arns), [
            { action: "dynamodb:BatchWriteItem", resource: table("a") },
            { action: "dynamodb:BatchWriteItem", resource: table("b") },
        ]);
        assert.deepEqual(dynamoDbRequests("ListTables", {}, arns), [{ action: "dynamodb:ListTables", resource: "*" }]);
    });

    it("Step Functions: the execution, else the state machine, else *", () => {
        const machine = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:m`;
        const execution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:m:e`;
        assert.deepEqual(stepFunctionsRequest("StartExecution", { stateMachineArn: machine }), { action: "states:StartExecution", resource: machine });
        assert.deepEqual(stepFunctionsRequest("DescribeExecution", { executionArn: execution }), { action: "states:DescribeExecution", resource: execution });
        assert.deepEqual(stepFunctionsRequest("ListStateMachines", {}), { action: "states:ListStateMachines", resource: "*" });
    });

    it("SQS: the queue of a local or an AWS queue URL, or of a queue name; the action in lower case", () => {
        const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:q`;
        assert.deepEqual(sqsRequest("SendMessage", { QueueUrl: "http://127.0.0.1:3000/_local/queues/q" }, arns), { action: "sqs:sendmessage", resource: queue });
        assert.deepEqual(sqsRequest("SendMessage", { QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/q" }, arns), { action: "sqs:sendmessage", resource: `arn:aws:sqs:${REGION}:123456789012:q` });
        assert.deepEqual(sqsRequest("GetQueueUrl", { QueueName: "q" }, arns), { action: "sqs:getqueueurl", resource: queue });
        assert.deepEqual(sqsRequest("SendMessage", { QueueUrl: "not a url" }, arns), { action: "sqs:sendmessage", resource: "*" });
    });
});
