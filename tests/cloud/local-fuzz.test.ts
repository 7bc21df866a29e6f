// Random requests at every service behind the local cloud's one port (issue 10, item 1): well-
// formed operations with random members, random JSON, random bytes, bodies cut short, random
// methods and headers, and clients that hang up mid-body. Every answer must be a 2xx or a 4xx in
// the addressed service's own shape, on a connection that stays up; the cloud must log no error
// of its own, and still run sagas end to end afterwards. Seeded: the same requests every run.
import "../support/aws-env";
import fc from "fast-check";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { MOCK_CONTENT_TYPES } from "../../components/api";
import type { Booted } from "../../local/client";
import { RUN_TYPES } from "../../handlers/travel/trip";
import type { SigningName } from "../../local/iam/signing";
import { RawAnswer, RawRequest, rawRequest, sendRaw, signedAsOperator } from "../support/raw-http";
import { sharedCloud } from "../support/shared-cloud";

// A longer hunt: FUZZ_SEED=<n> FUZZ_RUNS=<n> npx mocha tests/cloud/local-fuzz.test.ts
const SEED = Number(process.env.FUZZ_SEED ?? 100);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const CUT_RUNS = 30;

type Service = "DynamoDB" | "Step Functions" | "SQS" | "API Gateway" | "local endpoints";

interface FuzzRequest {
    service: Service;
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string | Buffer;
    /** Signed by the operator (most, so that they reach the operations), unsigned, or with a forged signature. */
    signing: Signing;
}

type Signing = "operator" | "none" | "forged";
const signing = fc.constantFrom<Signing>("operator", "operator", "operator", "operator", "none", "forged");
const SIGNING_NAMES: Record<Service, SigningName | undefined> = { DynamoDB: "dynamodb", "Step Functions": "states", SQS: "sqs", "API Gateway": "execute-api", "local endpoints": undefined };

/** The stack's own names, so that random requests reach its real table, machine and queue too. */
interface Targets {
    table: string;
    stateMachineArn: string;
    queueUrl: string;
}

const DYNAMODB_OPERATIONS = ["BatchGetItem", "BatchWriteItem", "CreateTable", "DeleteItem", "DescribeTable", "DescribeTimeToLive", "GetItem", "ListTables", "PutItem", "Query", "Scan", "TagResource", "UntagResource", "ListTagsOfResource", "UpdateItem", "UpdateTable", "TransactWriteItems", "ExecuteStatement"];
const SFN_OPERATIONS = ["StartExecution", "DescribeExecution", "GetExecutionHistory", "ListExecutions", "StopExecution", "DescribeStateMachine", "ListStateMachines", "SendTaskSuccess"];
const SQS_OPERATIONS = ["SendMessage", "GetQueueUrl", "ListQueues", "ReceiveMessage"];
const EXPRESSION_TOKENS = ["pk", "sk", "#a", ":v", ":w", "=", "<>", "<", "AND", "OR", "NOT", "BETWEEN", "IN", "(", ")", ",", "size(", "attribute_exists(", "begins_with(", "SET", "REMOVE", "ADD", "+", "if_not_exists(", "list_append(", "a.b[0]"];

// Anything a member might be, and the usual suspects for code that reads properties.
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, "", "__proto__", "constructor", -1, 1e308, 0.5, [], {}));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 }), fc.constantFrom("", "%", "\u0000", "'\"", "a".repeat(300)));
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof(arbitrary, anyValue);
const keys = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString", "pk", "sk", "S", "L", "M"));

const attributeValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
        { depthSize: "small" },
        fc.record({ S: maybe(text) }),
        fc.record({ N: maybe(fc.oneof(fc.integer().map(String), fc.constantFrom("1e400", "abc", "-0", ""))) }),
        fc.record({ B: maybe(fc.base64String({ maxLength: 12 })) }),
        fc.record({ BOOL: anyValue }),
        fc.record({ NULL: anyValue }),
        fc.record({ SS: fc.array(maybe(text), { maxLength: 3 }) }),
        fc.record({ L: fc.array(tie("value"), { maxLength: 3 }) }),
        fc.record({ M: fc.dictionary(keys, tie("value"), { maxKeys: 3 }) }),
        anyValue,
    ),
})).value;
const item = fc.oneof(fc.record({ pk: attributeValue, sk: attributeValue }), fc.dictionary(keys, attributeValue, { maxKeys: 4 }), anyValue);
const expression = fc.oneof(fc.array(fc.constantFrom(...EXPRESSION_TOKENS), { maxLength: 12 }).map((tokens) => tokens.join(" ")), anyValue);

function dynamoDbMembers(targets: Targets) {
    const table = fc.oneof(fc.constantFrom(targets.table, "fuzz-table"), maybe(text));
    return fc.record(
        {
            TableName: table,
            Key: item,
            Item: item,
            ExclusiveStartKey: item,
            ConditionExpression: expression,
            UpdateExpression: expression,
            KeyConditionExpression: expression,
            FilterExpression: expression,
            ProjectionExpression: expression,
            ExpressionAttributeNames: fc.oneof(fc.constant({ "#a": "pk" }), fc.dictionary(keys, anyValue, { maxKeys: 3 })),
            ExpressionAttributeValues: fc.oneof(fc.record({ ":v": attributeValue, ":w": attributeValue }), anyValue),
            Limit: anyValue,
            Select: maybe(fc.constantFrom("COUNT", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES")),
            ReturnValues: maybe(fc.constantFrom("ALL_NEW", "ALL_OLD", "UPDATED_NEW", "NONE")),
            RequestItems: fc.oneof(fc.dictionary(table.map(String), fc.oneof(fc.array(fc.record({ PutRequest: fc.record({ Item: item }) }), { maxLength: 2 }), fc.record({ Keys: fc.array(item, { maxLength: 2 }) }), anyValue), { maxKeys: 2 }), anyValue),
            AttributeDefinitions: fc.oneof(fc.constant([{ AttributeName: "pk", AttributeType: "S" }]), anyValue),
            KeySchema: fc.oneof(fc.constant([{ AttributeName: "pk", KeyType: "HASH" }]), anyValue),
            BillingMode: maybe(fc.constantFrom("PAY_PER_REQUEST", "PROVISIONED")),
            Segment: anyValue,
            TotalSegments: anyValue,
            IndexName: maybe(text),
            ScanIndexForward: anyValue,
        },
        { requiredKeys: [] },
    );
}

function stepFunctionsMembers(targets: Targets) {
    const arn = fc.oneof(fc.constant(targets.stateMachineArn), fc.string({ maxLength: 12 }).map((name) => `${targets.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`), maybe(text));
    return fc.record(
        {
            stateMachineArn: arn,
            executionArn: arn,
            name: maybe(fc.oneof(fc.string({ maxLength: 90 }), fc.uuid())),
            input: fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)), anyValue, text),
            maxResults: anyValue,
            nextToken: maybe(text),
            statusFilter: maybe(fc.constantFrom("RUNNING", "SUCCEEDED", "FAILED", "running")),
            reverseOrder: anyValue,
            includeExecutionData: anyValue,
            error: maybe(text),
            cause: maybe(text),
        },
        { requiredKeys: [] },
    );
}

function sqsMembers(targets: Targets) {
    return fc.record(
        {
            QueueUrl: fc.oneof(fc.constant(targets.queueUrl), fc.constantFrom("http://127.0.0.1:1/x", "not a url", "%"), maybe(text)),
            QueueName: maybe(text),
            QueueNamePrefix: maybe(text),
            MessageBody: maybe(text),
            MessageAttributes: fc.oneof(fc.dictionary(keys, fc.oneof(fc.record({ DataType: maybe(fc.constantFrom("String", "Number", "Binary", "String.x")), StringValue: maybe(text), BinaryValue: maybe(fc.base64String()) }, { requiredKeys: [] }), anyValue), { maxKeys: 3 }), anyValue),
            DelaySeconds: anyValue,
            MessageGroupId: maybe(text),
            MessageDeduplicationId: maybe(text),
            MaxResults: anyValue,
            NextToken: maybe(text),
        },
        { requiredKeys: [] },
    );
}

/** A body: the operation's members, or random JSON, bytes or text, or one of those cut short. */
function bodyOf(members: fc.Arbitrary<unknown>): fc.Arbitrary<string | Buffer | undefined> {
    const whole = fc.oneof(
        { weight: 5, arbitrary: members.map((value) => JSON.stringify(value)) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
        { weight: 1, arbitrary: text },
        { weight: 1, arbitrary: fc.constantFrom(undefined, "", "null", "[]", "{}", "{", '{"a":1}}', "\"x\"", "0") },
    );
    return fc.oneof(
        { weight: 4, arbitrary: whole },
        { weight: 1, arbitrary: fc.tuple(members.map((value) => JSON.stringify(value)), fc.double({ min: 0, max: 1, noNaN: true })).map(([body, at]) => body.slice(0, Math.floor(body.length * at))) },
    );
}

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !["content-length", "transfer-encoding", "host", "connection", "expect", "upgrade", "x-amz-target", "content-type", "te", "trailer"].includes(name));
const extraHeaders = fc.dictionary(headerName, fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,30}$/), { maxKeys: 3 });
const contentType = fc.constantFrom<string | undefined>("application/x-amz-json-1.0", "application/x-amz-json-1.0", "application/json", "application/x-amz-json-1.1", "text/plain", "", undefined, "application/json; charset=utf-8");
const method = fc.oneof({ weight: 6, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD") });
/** A signature as a careless or hostile client makes one up. */
const FORGED = {
    "x-amz-date": "20260101T000000Z",
    authorization: "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
};

/** The request as sent: signed as it says. */
async function sendable(url: string, request: FuzzRequest): Promise<RawRequest> {
    const { method, headers, body } = request;
    const service = SIGNING_NAMES[request.service];
    if (request.signing === "forged") return { method, headers: { ...headers, ...FORGED }, body };
    if (request.signing === "none" || !service) return { method, headers, body };
    return signedAsOperator(url, { method, headers, body }, service);
}

function awsJsonRequest(service: Service, targetPrefix: string, operations: string[], members: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> {
    const operation = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...operations) }, { weight: 1, arbitrary: fc.oneof(fc.stringMatching(/^[A-Za-z_]{0,20}$/), fc.constantFrom("constructor", "__proto__", "toString")) });
    return fc
        .record({ method, operation, contentType, signing, extra: extraHeaders, body: bodyOf(members), path: fc.constantFrom("/", "/x", "/?a=b") })
        .filter(({ operation, body, signing }) => !(service === "DynamoDB" && operation === "DeleteTable" && signing === "operator" && String(body).includes("booking-table")))
        .map(({ method, operation, contentType, signing, extra, body, path }) => ({
            service,
            method,
            path,
            headers: { ...extra, ...(contentType !== undefined ? { "content-type": contentType } : {}), "x-amz-target": `${targetPrefix}${operation}` },
            body,
            signing,
        }));
}

function apiRequest(): fc.Arbitrary<FuzzRequest> {
    const segment = fc.oneof(fc.constantFrom("", "trips", "trip-1", "%", "%ZZ", "%2F", "..", "a b", "?", "é"), fc.string({ maxLength: 10 }));
    const path = fc.array(segment, { minLength: 0, maxLength: 4 }).map((segments) => `/v1/${segments.map((s) => encodeURI(s).replace(/\?/g, "%3F")).join("/")}`);
    const parameter = fc.tuple(fc.constantFrom("tripID", "tripId", "runType", "x", "", "tripID"), fc.oneof(fc.uuid().map((id) => `fuzz-${id.slice(0, 8)}`), fc.constantFrom(...RUN_TYPES), text));
    const query = fc.array(parameter, { maxLength: 3 }).map((pairs) => (pairs.length === 0 ? "" : `?${new URLSearchParams(pairs as [string, string][])}`));
    return fc.record({ method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"), path, query, contentType, signing, extra: extraHeaders, body: bodyOf(fc.jsonValue({ maxDepth: 3 })) }).map(({ method, path, query, contentType, signing, extra, body }) => ({
        service: "API Gateway" as const,
        method,
        path: path + query,
        headers: { ...extra, ...(contentType !== undefined ? { "content-type": contentType } : {}) },
        body: method === "GET" || method === "HEAD" ? undefined : body,
        signing,
    }));
}

function localRequest(targets: Targets): fc.Arbitrary<FuzzRequest> {
    const queueName = new URL(targets.queueUrl).pathname.split("/").pop()!;
    const path = fc.oneof(fc.constantFrom("/_local", "/_local/", "/_local/queues", `/_local/queues/${queueName}`, "/_local/queues/%", "/_local/queues/%E0%A4%A", "/_local/metrics", "/_local/metrics/x", "/_local/queues/a/b"), fc.string({ maxLength: 10 }).map((s) => `/_local/${encodeURIComponent(s)}`));
    return fc.record({ method: fc.constantFrom("GET", "GET", "DELETE", "POST", "PUT"), path, extra: extraHeaders, body: bodyOf(fc.jsonValue({ maxDepth: 2 })) }).map(({ method, path, extra, body }) => ({
        service: "local endpoints" as const,
        method,
        path,
        headers: extra,
        body: method === "GET" ? undefined : body,
        signing: "none" as const,
    }));
}

/**
 * The one 500 API Gateway itself answers for a request: the saga's MOCK routes (405, 404, ...) have
 * request templates for MOCK_CONTENT_TYPES only, and pass any other body through, in which the
 * mock finds no status code (components/api.ts says so; AWS answers the same).
 */
function isMockPassthrough(request: FuzzRequest, answer: RawAnswer): boolean {
    const type = (request.headers["content-type"] ?? "application/json").split(";")[0].trim().toLowerCase() || "application/json";
    return request.service === "API Gateway" && answer.status === 500 && answer.text === (request.method === "HEAD" ? "" : '{"message":"Internal server error"}') && !(MOCK_CONTENT_TYPES as readonly string[]).includes(type);
}

/** Why an answer is not what the service would send, or undefined when it is. */
function wrongAnswer(request: FuzzRequest, answer: RawAnswer): string | undefined {
    if (isMockPassthrough(request, answer)) return undefined;
    // A path that normalizes to / (`/v1/..`) is a browser's: the console redirects it.
    if (answer.status >= 300 && answer.status < 400 && typeof answer.headers.location === "string") return undefined;
    if (answer.status >= 500 || answer.status < 200 || (answer.status >= 300 && answer.status < 400)) return `status ${answer.status}`;
    if (request.method === "HEAD") return undefined;
    let body: unknown;
    try {
        body = answer.text === "" ? undefined : JSON.parse(answer.text);
    } catch {
        body = undefined;
    }
    const error = body as Record<string, unknown> | undefined;
    const isError = answer.status >= 400;
    switch (request.service) {
        case "DynamoDB":
            // dynalite imitates DynamoDB's front door: a health check for GET, 404 for what is no JSON POST.
            if (request.method === "GET" && answer.status === 200) return answer.text.startsWith("healthy: dynamodb") ? undefined : "no health check";
            if (answer.status === 404) return answer.text === "<UnknownOperationException/>\n" ? undefined : "not DynamoDB's 404";
            if (request.method === "OPTIONS" && answer.status === 200) return undefined;
            if (isError) return typeof error?.__type === "string" ? undefined : "no __type";
            return answer.text === "" || typeof body === "object" ? undefined : "not JSON";
        case "Step Functions":
            if (isError) return typeof error?.__type === "string" && typeof error.message === "string" ? undefined : "no __type and message";
            return typeof body === "object" ? undefined : "not JSON";
        case "SQS":
            if (isError) return typeof error?.__type === "string" && typeof answer.headers["x-amzn-query-error"] === "string" ? undefined : "no __type and x-amzn-query-error";
            return typeof body === "object" ? undefined : "not JSON";
        case "API Gateway":
            // API Gateway's own errors say `message`; the functions' say errorType and errorMessage.
            if (isError) return typeof error?.message === "string" || typeof error?.errorMessage === "string" ? undefined : "no message";
            return undefined;
        case "local endpoints":
            if (isError) return typeof error?.message === "string" ? undefined : "no message";
            return typeof body === "object" ? undefined : "not JSON";
    }
}

describe("the local cloud under random requests to every service (fuzz, seeded)", function () {
    let booted: Booted;
    let targets: Targets;
    let port: number;
    let ownErrors: () => string[];
    before(async () => {
        ({ booted, port, ownErrors } = await sharedCloud());
        const outputs = booted.cloud.outputs as Record<string, string>;
        targets = { table: outputs.tableName, stateMachineArn: outputs.stateMachineArn, queueUrl: outputs.failureQueueUrl };
    });

    const anyRequest = () =>
        fc.oneof(
            awsJsonRequest("DynamoDB", "DynamoDB_20120810.", DYNAMODB_OPERATIONS, dynamoDbMembers(targets)),
            awsJsonRequest("Step Functions", "AWSStepFunctions.", SFN_OPERATIONS, stepFunctionsMembers(targets)),
            awsJsonRequest("SQS", "AmazonSQS.", SQS_OPERATIONS, sqsMembers(targets)),
            apiRequest(),
            localRequest(targets),
        );

    it(`answers ${RUNS} random requests with the addressed service's own 2xx or 4xx, on a connection that stays up`, async () => {
        const seen = new Map<string, number>();
        await fc.assert(
            fc.asyncProperty(anyRequest(), async (request) => {
                const url = `${booted.cloud.url}${request.path}`;
                const answer = await rawRequest(url, await sendable(url, request));
                const wrong = wrongAnswer(request, answer);
                assert.equal(wrong, undefined, `${request.service} answered ${answer.status} ${answer.text.slice(0, 300)}`);
                const key = `${request.service} ${answer.status}`;
                seen.set(key, (seen.get(key) ?? 0) + 1);
            }),
            { seed: SEED, numRuns: RUNS, endOnFailure: true },
        );
        // The requests reached past the first checks: every service answered both successes and refusals.
        for (const service of ["DynamoDB", "Step Functions", "SQS", "API Gateway", "local endpoints"]) {
            const statuses = [...seen].filter(([key]) => key.startsWith(`${service} `));
            assert.ok(statuses.some(([key]) => / 2\d\d$/.test(key)) && statuses.some(([key]) => / 4\d\d$/.test(key)), `${service}: ${JSON.stringify(statuses)}`);
        }
    });

    it(`takes ${CUT_RUNS} clients that hang up mid-body, at each service`, async () => {
        await fc.assert(
            fc.asyncProperty(anyRequest(), fc.double({ min: 0, max: 0.95, noNaN: true }), async (request, at) => {
                const body = Buffer.from(request.body ?? "{}");
                const headers = Object.entries({ ...request.headers, "content-length": String(body.length + 10) }).map(([name, value]) => `${name}: ${value}\r\n`).join("");
                const sent = body.subarray(0, Math.floor(body.length * at));
                // No answer is owed to a request that never ended; the connection just goes.
                await sendRaw(port, `POST ${request.path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n${headers}\r\n${sent.toString("latin1")}`, 5);
            }),
            { seed: SEED, numRuns: CUT_RUNS, endOnFailure: true },
        );
    });

    it("logged no error of its own, and still runs sagas end to end: one booked, one rolled back", async () => {
        assert.deepEqual(ownErrors(), []);
        const booked = `trip-${randomUUID().slice(0, 8)}`;
        const failed = `trip-${randomUUID().slice(0, 8)}`;
        assert.equal((await booted.client.start({ tripID: booked })).status, 202);
        assert.equal((await booted.client.start({ tripID: failed, runType: "failPayment" })).status, 202);
        const [bookedOutcome, failedOutcome] = await Promise.all([booted.client.outcome(booked), booted.client.outcome(failed)]);
        assert.deepEqual([bookedOutcome.outcome, bookedOutcome.records.map((record) => record.transaction_status)], ["succeeded", ["confirmed", "confirmed", "confirmed"]]);
        assert.equal(failedOutcome.outcome, "rolled_back");
    });
});
