// No request can take the local cloud down (issue 10, item 1): each request that used to kill the
// process or hang it, sent the way it was found, now gets the addressed service's own 4xx, and the
// cloud goes on serving. Bodies are read within each service's AWS limit, never buffered past it.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { Booted } from "../../local/client";
import { dynamoDbHeaders, rawRequest, repeatedChunks, sendRaw, signedAsOperator } from "../support/raw-http";
import { sharedCloud } from "../support/shared-cloud";

const MiB = 1024 * 1024;
const TABLE = `robust-${randomUUID().slice(0, 8)}`;

describe("the local cloud under requests that used to take it down", function () {
    let booted: Booted;
    let port: number;
    /** What the cloud logged as its own error while these tests ran: nothing, if every refusal was an answer. */
    let ownErrors: () => string[];
    before(async () => {
        ({ booted, port, ownErrors } = await sharedCloud());
        const created = await dynamo("CreateTable", {
            TableName: TABLE,
            AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
            KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
            BillingMode: "PAY_PER_REQUEST",
        });
        assert.equal(created.status, 200, created.text);
    });

    const dynamo = async (operation: string, body: unknown) =>
        rawRequest(booted.cloud.url, await signedAsOperator(booted.cloud.url, { headers: dynamoDbHeaders(operation), body: typeof body === "string" ? body : JSON.stringify(body) }, "dynamodb"));
    const json = (text: string) => JSON.parse(text) as Record<string, string>;

    describe("DynamoDB (dynalite behind a guard)", () => {
        it("answers `-d null`, which killed the process (dynalite read properties of null), and every other body that is no JSON object, with SerializationException", async () => {
            for (const [body, what] of [["null", "null"], ["[]", "a list"], ["5", "a number"], ['"ListTables"', "a string"], ["true", "a boolean"]]) {
                const answer = await dynamo("ListTables", body);
                assert.equal(answer.status, 400, body);
                assert.deepEqual(json(answer.text), {
                    __type: "com.amazon.coral.service#SerializationException",
                    Message: `The request must be a JSON object (a structure), not ${what}.`,
                });
            }
            // A member of the wrong type: dynalite's own check, DynamoDB's words.
            const wrongType = await dynamo("ListTables", { Limit: "ten" });
            assert.deepEqual([wrongType.status, json(wrongType.text)], [400, { __type: "com.amazon.coral.service#SerializationException", Message: "STRING_VALUE cannot be converted to Integer" }]);
            const tables = await dynamo("ListTables", {});
            assert.equal(tables.status, 200);
            assert.ok(json(tables.text).TableNames.includes(TABLE));
        });

        it("answers attribute values nested deeper than any valid request, which overflowed dynalite's stack, with ValidationException", async () => {
            const nested = (levels: number) => `${'{"L":['.repeat(levels)}{"S":"x"}${"]}".repeat(levels)}`;
            const put = (levels: number) => dynamo("PutItem", `{"TableName":"${TABLE}","Item":{"pk":{"S":"deep"},"value":${nested(levels)}}}`);
            assert.deepEqual([(await put(30)).status], [200], "30 levels, within DynamoDB's 32, are stored");
            const deep = await put(5000);
            assert.equal(deep.status, 400);
            assert.deepEqual(json(deep.text), { __type: "com.amazon.coral.validate#ValidationException", message: "Nesting Levels have exceeded supported limits" });
        });

        it("parses conditions in linear time: an unclosed `((((((((((((` took dynalite's parser minutes, with the whole cloud blocked", async () => {
            const started = Date.now();
            const put = (condition: string) => dynamo("PutItem", { TableName: TABLE, Item: { pk: { S: "cond" } }, ConditionExpression: condition, ExpressionAttributeValues: { ":v": { S: "x" } } });
            for (const condition of ["(".repeat(14) + "attribute_exists(pk)", "(".repeat(14) + "pk = " + ")".repeat(14), "(pk = :v AND ".repeat(12) + "pk = "]) {
                const answer = await put(condition);
                assert.deepEqual([answer.status, json(answer.text).__type], [400, "com.amazon.coral.validate#ValidationException"], condition);
                assert.match(json(answer.text).message, /^Invalid ConditionExpression: Syntax error; /);
            }
            // Deep and valid: evaluated, and false for an item that is not there.
            const deepValid = await put("(pk = :v AND ".repeat(12) + "pk = :v" + ")".repeat(12));
            assert.deepEqual([deepValid.status, json(deepValid.text).__type], [400, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"]);
            const nested = await put("attribute_not_exists(pk) AND (attribute_not_exists(pk) OR (pk = :v AND (pk = :v OR (pk = :v AND (pk <> :v)))))");
            assert.equal(nested.status, 200, nested.text);
            assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
        });

        it("takes a client that hangs up mid-body, whose stream error dynalite rethrew as an uncaught exception, in its stride", async () => {
            const headers = Object.entries(dynamoDbHeaders("ListTables")).map(([name, value]) => `${name}: ${value}\r\n`).join("");
            assert.equal(await sendRaw(port, `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}content-length: 100\r\n\r\n{"Lim`, 50), "");
            assert.equal((await dynamo("ListTables", {})).status, 200);
        });

        it("refuses an item over DynamoDB's 400 KB (dynalite's check) with ValidationException", async () => {
            const answer = await dynamo("PutItem", { TableName: TABLE, Item: { pk: { S: "big" }, value: { S: "a".repeat(400 * 1024) } } });
            assert.deepEqual([answer.status, json(answer.text)], [400, { __type: "com.amazon.coral.validate#ValidationException", message: "Item size has exceeded the maximum allowed size" }]);
        });

        it("answers a body over DynamoDB's 16 MiB with 413 RequestEntityTooLargeException, reading no more of it", async () => {
            const answer = await rawRequest(booted.cloud.url, { headers: dynamoDbHeaders("BatchWriteItem"), body: repeatedChunks(17) });
            assert.equal(answer.status, 413);
            assert.deepEqual(json(answer.text), { __type: "com.amazon.coral.service#RequestEntityTooLargeException", message: `Request size exceeds ${16 * MiB} bytes.` });
        });
    });

    describe("API Gateway (the stage /v1)", () => {
        const invocations = () => booted.cloud.metrics().lambda.invocations;
        const apiUrl = () => `${booted.client.apiUrl}?tripID=${randomUUID().slice(0, 8)}`;
        const refusedAtTheEdge = (answer: { status: number; text: string; headers: Record<string, unknown> }) => {
            assert.equal(answer.status, 413);
            assert.equal(answer.text, "HTTP content length exceeded 10485760 bytes.");
            assert.equal(answer.headers["content-type"], "text; charset=utf-8");
        };

        it("refuses a body over 10 MB by its Content-Length before choosing a route (150 MB started a saga, 200 MB ran the heap out)", async () => {
            const before = invocations();
            const answer = await rawRequest(apiUrl(), { headers: { "content-type": "application/json", "content-length": String(200 * MiB) }, body: repeatedChunks(200) });
            refusedAtTheEdge(answer);
            // Whatever the path: the edge answers before API Gateway routes.
            refusedAtTheEdge(await rawRequest(`${booted.cloud.url}/no-such-stage`, { body: Buffer.alloc(10 * MiB + 1, "a") }));
            assert.equal(invocations(), before, "no function ran");
        });

        it("refuses a streamed body once it passes 10 MB, holding at most that much of it", async () => {
            const before = invocations();
            const heap = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
            const baseline = heap();
            let peak = baseline;
            const sampler = setInterval(() => (peak = Math.max(peak, heap())), 2);
            const answer = await rawRequest(apiUrl(), { headers: { "content-type": "application/json" }, body: repeatedChunks(150) }).finally(() => clearInterval(sampler));
            refusedAtTheEdge(answer);
            assert.ok(peak - baseline < 40 * MiB, `${Math.round((peak - baseline) / MiB)} MiB held for a 150 MiB body`);
            assert.equal(invocations(), before);
        });

        it("refuses a body that makes the proxy event larger than Lambda takes (6 MB) with API Gateway's 413 Request Too Long; 10 MB exactly passes the edge", async () => {
            const before = invocations();
            const url = apiUrl();
            const tooLong = await rawRequest(url, await signedAsOperator(url, { headers: { "content-type": "application/json" }, body: Buffer.alloc(7 * MiB, "a") }, "execute-api"));
            assert.deepEqual([tooLong.status, json(tooLong.text), tooLong.headers["x-amzn-errortype"]], [413, { message: "Request Too Long" }, "BadRequestException"]);
            const atTheLimit = await rawRequest(`${booted.cloud.url}/no-such-stage`, { body: Buffer.alloc(10 * MiB, "a") });
            assert.deepEqual([atTheLimit.status, json(atTheLimit.text)], [403, { message: "Forbidden" }]);
            assert.equal(invocations(), before);
        });
    });

    describe("Step Functions, SQS and the local endpoints", () => {
        it("Step Functions: answers a request over its 1 MB with 413, and does not take Object.prototype's members for operations", async () => {
            const big = await rawRequest(booted.cloud.url, { headers: { "x-amz-target": "AWSStepFunctions.StartExecution" }, body: repeatedChunks(2) });
            assert.deepEqual([big.status, json(big.text).__type], [413, "com.amazon.coral.service#RequestEntityTooLargeException"]);
            for (const operation of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
                // `constructor` answered 200 with the service object serialized.
                const answer = await rawRequest(booted.cloud.url, { headers: { "x-amz-target": `AWSStepFunctions.${operation}` }, body: "{}" });
                assert.deepEqual([answer.status, json(answer.text).__type], [400, "com.amazonaws.swf.service.v2.model#UnknownOperationException"], operation);
            }
        });

        it("SQS: answers a request over what its largest message needs with 413 RequestEntityTooLarge, and knows only its own operations", async () => {
            const big = await rawRequest(booted.cloud.url, { headers: { "x-amz-target": "AmazonSQS.SendMessage" }, body: repeatedChunks(3) });
            assert.deepEqual([big.status, json(big.text).__type, big.headers["x-amzn-query-error"]], [413, "com.amazon.coral.service#RequestEntityTooLargeException", "RequestEntityTooLarge;Sender"]);
            for (const operation of ["constructor", "toString", "__proto__"]) {
                // `__proto__` answered 500, `toString` 200.
                const answer = await rawRequest(booted.cloud.url, { headers: { "x-amz-target": `AmazonSQS.${operation}` }, body: "{}" });
                assert.deepEqual([answer.status, json(answer.text).__type], [400, "com.amazonaws.sqs#UnsupportedOperation"], operation);
            }
        });

        it("answers GET /_local/queues/% (a URIError, 500) with 400", async () => {
            const answer = await rawRequest(`${booted.cloud.url}/_local/queues/%`, { method: "GET" });
            assert.deepEqual([answer.status, json(answer.text)], [400, { message: "The queue name in /_local/queues/% is not valid percent-encoding." }]);
        });

        it("answers a request target that is no URL (the process died of the rejection) with 400", async () => {
            const answer = await sendRaw(port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 2000);
            assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
            assert.match(answer, /"message": "Bad Request: the request target is not a URL path\."/);
        });
    });

    describe("afterwards", () => {
        it("logged none of it as its own error, and still books a trip end to end", async () => {
            assert.deepEqual(ownErrors(), []);
            const tripId = `trip-${randomUUID().slice(0, 8)}`;
            assert.equal((await booted.client.start({ tripID: tripId })).status, 202);
            assert.equal((await booted.client.outcome(tripId)).outcome, "succeeded");
        });
    });
});
