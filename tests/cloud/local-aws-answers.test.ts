// Odd input the local cloud used to answer wrongly (issue 22, items 4 and 5), each now decided as
// AWS decides it, with AWS's error: a payload signed as UNSIGNED-PAYLOAD, names every object
// inherits, a malformed nextToken, an execution input and a condition nested thousands deep.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { demoTrip } from "../../handlers/travel/trip";
import type { Booted } from "../../local/client";
import { compileFilterPattern } from "../../local/logs/filter-pattern";
import { dynamoDbHeaders, rawRequest, RawRequest, signedAsOperator } from "../support/raw-http";
import { sharedCloud } from "../support/shared-cloud";

const TABLE = `answers-${randomUUID().slice(0, 8)}`;
const newId = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const nestedList = (levels: number) => `${"[".repeat(levels - 1)}[]${"]".repeat(levels - 1)}`;

describe("the local cloud answers odd input as AWS does (issue 22)", function () {
    let booted: Booted;
    let machineArn: string;
    let ownErrors: () => string[];
    before(async () => {
        ({ booted, ownErrors } = await sharedCloud());
        machineArn = String(booted.cloud.outputs.stateMachineArn);
        const created = await dynamo("CreateTable", {
            TableName: TABLE,
            AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
            BillingMode: "PAY_PER_REQUEST",
        });
        assert.equal(created.status, 200, created.text);
    });

    const send = async (service: "dynamodb" | "states", target: string, body: string, headers: Record<string, string> = {}, sentBody = body) => {
        const request: RawRequest & { body: string } = { headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": target, ...headers }, body };
        const signed = await signedAsOperator(booted.cloud.url, request, service);
        const answer = await rawRequest(booted.cloud.url, { ...signed, body: sentBody });
        return { status: answer.status, body: JSON.parse(answer.text) as Record<string, any> };
    };
    const dynamo = async (operation: string, body: object) => {
        const signed = await signedAsOperator(booted.cloud.url, { headers: dynamoDbHeaders(operation), body: JSON.stringify(body) }, "dynamodb");
        return rawRequest(booted.cloud.url, signed);
    };
    const sfn = (operation: string, request: object) => booted.client.stepFunctions(operation, request);
    const errorOf = (body: Record<string, any>) => [String(body.__type).split("#").pop(), body.message ?? body.Message];

    describe("signatures (item 4)", () => {
        it("refuses a request signed as UNSIGNED-PAYLOAD with a swapped body, at Step Functions and DynamoDB: InvalidSignatureException, and nothing done", async () => {
            const name = newId("unsigned");
            const signedFor = JSON.stringify({ stateMachineArn: machineArn, name, input: "{}" });
            const swapped = JSON.stringify({ stateMachineArn: machineArn, name, input: '{"swapped":true}' });
            for (const body of [swapped, signedFor]) {
                const answer = await send("states", "AWSStepFunctions.StartExecution", signedFor, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, body);
                assert.equal(answer.status, 400);
                assert.equal(errorOf(answer.body)[0], "InvalidSignatureException");
            }
            const listed = await sfn("ListExecutions", { stateMachineArn: machineArn, maxResults: 1000 });
            assert.ok(!listed.body.executions.some((e: { name: string }) => e.name === name), "no execution started");

            const item = (value: string) => JSON.stringify({ TableName: TABLE, Item: { pk: { S: "unsigned" }, value: { S: value } } });
            const put = await send("dynamodb", "DynamoDB_20120810.PutItem", item("signed"), { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, item("swapped"));
            assert.deepEqual([put.status, errorOf(put.body)[0]], [400, "InvalidSignatureException"]);
            const got = await send("dynamodb", "DynamoDB_20120810.GetItem", JSON.stringify({ TableName: TABLE, Key: { pk: { S: "unsigned" } } }));
            assert.deepEqual([got.status, got.body.Item], [200, undefined], "no item written");
        });
    });

    describe("names every object inherits (item 5)", () => {
        it("answers /_console/constructor and the other Object.prototype names 404, as any other unknown file", async () => {
            for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
                const answer = await rawRequest(`${booted.cloud.url}/_console/${name}`, { method: "GET" });
                assert.deepEqual([answer.status, answer.text], [404, `No /_console/${name}: the console is at /_console/.\n`], name);
            }
        });

        it("matches no log event by a filter on $.constructor or $.__proto__ that the event does not have (CloudWatch Logs)", () => {
            for (const pattern of ['{ $.constructor = "*" }', '{ $.__proto__ = "*" }', '{ $.toString = "*" }']) assert.equal(compileFilterPattern(pattern)('{"a":"x"}'), false, pattern);
            assert.equal(compileFilterPattern('{ $.constructor = "x" }')('{"constructor":"x"}'), true);
        });

        it("serves an API request with a query parameter or header named constructor or __proto__ (500 before), as the function answers it", async () => {
            const url = `${booted.client.apiUrl}?tripID=${newId("proto")}&constructor=1&__proto__=2`;
            const answer = await rawRequest(url, await signedAsOperator(url, { method: "GET", headers: { constructor: "x" } }, "execute-api"));
            assert.deepEqual([answer.status, JSON.parse(answer.text).message], [400, "`constructor` is not a parameter of this request. `__proto__` is not a parameter of this request. The parameters are `tripID` and `runType`, each at most once."]);
        });
    });

    describe("Step Functions (item 5)", () => {
        it("answers a nextToken it did not give for the listing with InvalidToken, never a page", async () => {
            for (const tripID of [newId("page"), newId("page")]) assert.equal((await booted.client.start({ tripID })).status, 202);
            const page1 = await sfn("ListExecutions", { stateMachineArn: machineArn, maxResults: 1 });
            assert.equal(typeof page1.body.nextToken, "string");
            const page2 = await sfn("ListExecutions", { stateMachineArn: machineArn, maxResults: 1, nextToken: page1.body.nextToken });
            assert.equal(page2.status, 200);
            assert.notEqual(page2.body.executions[0].name, page1.body.executions[0].name);
            const history = await sfn("GetExecutionHistory", { executionArn: page1.body.executions[0].executionArn, maxResults: 1 });
            const otherListing = [history.body.nextToken, (await sfn("ListExecutions", { stateMachineArn: machineArn, maxResults: 1, statusFilter: "FAILED" })).body.nextToken];
            const madeUp = ["", " ", "garbage", "MA", Buffer.from("0").toString("base64url"), `${page1.body.nextToken}x`, page1.body.nextToken.slice(0, -2)];
            for (const nextToken of [...madeUp, ...otherListing.filter(Boolean)]) {
                const answer = await sfn("ListExecutions", { stateMachineArn: machineArn, maxResults: 1, nextToken });
                assert.deepEqual([answer.status, answer.body.__type?.split("#").pop()], [400, "InvalidToken"], `nextToken ${JSON.stringify(nextToken)}`);
            }
        });

        it("refuses an execution input nested deeper than 1,000 levels at StartExecution (InvalidExecutionInput), and runs a saga whose input nests 1,000", async () => {
            for (const levels of [1001, 5000, 60_000]) {
                const name = newId("deep");
                const answer = await sfn("StartExecution", { stateMachineArn: machineArn, name, input: `{"deep":${nestedList(levels - 1)}}` });
                assert.deepEqual(errorOf(answer.body), [
                    "InvalidExecutionInput",
                    "Invalid State Machine Execution Input: 'com.fasterxml.jackson.core.exc.StreamConstraintsException: Document nesting depth (1001) exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)'",
                ]);
                assert.equal(answer.status, 400);
                const described = await sfn("DescribeExecution", { executionArn: `${machineArn.replace(":stateMachine:", ":execution:")}:${name}` });
                assert.equal(described.body.__type?.split("#").pop(), "ExecutionDoesNotExist");
            }
            // A saga's own input (as the start route builds it), with a member 999 levels deep (1,000 with the input's object): it runs to its end.
            const deepTrip = newId("deep-ok");
            const deepInput = JSON.stringify(demoTrip(deepTrip)).replace(/}$/, `,"notes":${nestedList(999)}}`);
            const started = await sfn("StartExecution", { stateMachineArn: machineArn, name: deepTrip, input: deepInput });
            assert.equal(started.status, 200, JSON.stringify(started.body));
            assert.equal((await booted.client.outcome(deepTrip, 60_000)).outcome, "succeeded");
        });
    });

    describe("DynamoDB expressions (item 5)", () => {
        const put = async (condition: string) => {
            const answer = await dynamo("PutItem", { TableName: TABLE, Item: { pk: { S: "deep" } }, ConditionExpression: condition, ExpressionAttributeValues: { ":v": { S: "x" } } });
            return { status: answer.status, body: JSON.parse(answer.text) as Record<string, any> };
        };

        it("refuses an expression over 4 KB, and one nested deeper than any valid one of that size, with AWS's ValidationException, never a stack overflow", async () => {
            const cases: [string, string][] = [
                ["(".repeat(5000) + "pk = :v" + ")".repeat(5000), "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 10007"],
                ["(".repeat(2040) + "pk = :v" + ")".repeat(2040), "Invalid ConditionExpression: The expression has redundant parentheses;"],
                ["(".repeat(4000), 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "(("'],
                ["(".repeat(2000) + "pk = :v" + ")".repeat(2001), 'Invalid ConditionExpression: Syntax error; token: ")", near: "))"'],
            ];
            for (const [condition, message] of cases) {
                const answer = await put(condition);
                assert.deepEqual([answer.status, ...errorOf(answer.body)], [400, "ValidationException", message], condition.slice(0, 20));
            }
            // As deep as an expression of 4 KB nests without redundant parentheses: parsed and evaluated.
            const deepest = await put("NOT (".repeat(681) + "pk = :v" + ")".repeat(681));
            assert.equal(deepest.status, 200, JSON.stringify(deepest.body));
            assert.deepEqual(ownErrors(), []);
        });
    });
});
