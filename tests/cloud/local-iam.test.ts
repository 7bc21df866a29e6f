// IAM on the local cloud (issue 11, items 1 and 2): every request to a service is verified (SigV4)
// and evaluated against its caller's role as the program declares it, every Task call against the
// machine's role; refused as AWS refuses, with AWS's messages, and allowed once the program grants
// it. `--iam warn` logs and allows, `--iam off` checks nothing. The fixture program's roles lack
// one grant each unless its config grants them (tests/fixtures/iam-program).
import "../support/aws-env";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListStateMachinesCommand, SFNClient } from "@aws-sdk/client-sfn";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { LocalCloud, LocalCloudOptions, startLocalCloud } from "../../local/cloud";
import { operatorFetch, SagaClient } from "../../local/client";
import type { Credentials } from "../../local/iam/operator";
import type { IamMode } from "../../local/iam/gate";
import { NodeSha256 } from "../../local/iam/node-sha256";
import { signRequest, SigningName } from "../../local/iam/signing";
import { rawRequest } from "../support/raw-http";

const FIXTURE = path.join(__dirname, "..", "fixtures", "iam-program");
const ALL_GRANTED = { "iam-program:grantQuery": "true", "iam-program:grantWorker": "true", "iam-program:grantInvokeApi": "true" };

interface Fixture {
    cloud: LocalCloud;
    client: SagaClient;
    lines: string[];
    outputs: Record<string, string>;
}

async function boot(iam: IamMode, config: Record<string, string> = {}): Promise<Fixture> {
    const lines: string[] = [];
    const options: LocalCloudOptions = { port: 0, programDir: FIXTURE, retryIntervalMs: 0, iam, config, log: (line) => lines.push(line) };
    const cloud = await startLocalCloud(options);
    return { cloud, client: new SagaClient("", cloud.url, "us-east-1"), lines, outputs: cloud.outputs as Record<string, string> };
}

/** Runs a machine to its end; answers DescribeExecution. */
async function run(fixture: Fixture, machine: string, input: object): Promise<Record<string, any>> {
    const started = await fixture.client.stepFunctions("StartExecution", { stateMachineArn: fixture.outputs[machine], input: JSON.stringify(input) });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    for (;;) {
        const { body } = await fixture.client.stepFunctions("DescribeExecution", { executionArn: started.body.executionArn });
        if (body.status !== "RUNNING") return body;
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}

/** What the caller function answered when told to make `call`: { ok } or the error's name and message. */
async function callAs(fixture: Fixture, call: string, extra: object = {}): Promise<Record<string, any>> {
    const execution = await run(fixture, "callsMachineArn", { call, stateMachineArn: fixture.outputs.callsMachineArn, ...extra });
    assert.equal(execution.status, "SUCCEEDED", JSON.stringify(execution));
    return JSON.parse(execution.output);
}

const denied = (principal: string, action: string, resource: string) =>
    `User: arn:aws:sts::000000000000:assumed-role/${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

describe("IAM on the local cloud", function () {
    // Four small clouds, booted side by side: what is refused, granted, warned about, not checked.
    const fixtures: Partial<Record<"enforced" | "granted" | "warned" | "unchecked", Fixture>> = {};
    before(async () => {
        [fixtures.enforced, fixtures.granted, fixtures.warned, fixtures.unchecked] = await Promise.all([
            boot("enforce"),
            boot("enforce", ALL_GRANTED),
            boot("warn"),
            boot("off"),
        ]);
    });
    after(() => Promise.all(Object.values(fixtures).map((fixture) => fixture.cloud.stop())));

    describe("enforced (the default)", () => {
        let fixture: Fixture;
        let session: string;
        let tableArn: string;
        before(() => {
            fixture = fixtures.enforced!;
            session = `${fixture.outputs.callerRoleName}/${fixture.outputs.callerFunction}`;
            tableArn = `arn:aws:dynamodb:us-east-1:000000000000:table/${fixture.outputs.tableName}`;
        });

        it("refuses a function's call its role does not grant with AccessDeniedException and AWS's message, and logs the function, action and resource", async () => {
            assert.deepEqual(await callAs(fixture, "query"), { ok: false, name: "AccessDeniedException", message: denied(session, "dynamodb:Query", tableArn) });
            assert.deepEqual(await callAs(fixture, "listMachines"), { ok: false, name: "AccessDeniedException", message: denied(session, "states:ListStateMachines", "*") });
            // SQS names its actions in lower case; its SDK reports the query protocol's code.
            const otherQueue = `arn:aws:sqs:us-east-1:000000000000:${fixture.outputs.otherQueueName}`;
            assert.deepEqual(await callAs(fixture, "sendOtherNote"), { ok: false, name: "AccessDenied", message: denied(session, "sqs:sendmessage", otherQueue) });
            const logged = fixture.lines.filter((line) => line.startsWith("iam: refused"));
            assert.ok(
                logged.includes(`iam: refused function ${fixture.outputs.callerFunction} (role ${fixture.outputs.callerRoleName}): dynamodb:Query on ${tableArn}: AccessDenied, no policy of the role allows it`),
                logged.join("\n"),
            );
        });

        it("allows what the role grants: by a RolePolicy, by the Role's own inline policies, by a Policy a RolePolicyAttachment attaches", async () => {
            assert.deepEqual(await callAs(fixture, "getItem"), { ok: true });
            assert.deepEqual(await callAs(fixture, "describeMachine"), { ok: true });
            assert.deepEqual(await callAs(fixture, "sendNote"), { ok: true });
        });

        it("fails a Task whose function the machine's role may not invoke, as Step Functions does: Lambda.AWSLambdaException with AWS's message", async () => {
            const execution = await run(fixture, "worksMachineArn", {});
            const machine = fixture.outputs.worksMachineArn.split(":").pop()!;
            const worker = `arn:aws:lambda:us-east-1:000000000000:function:${fixture.outputs.workerFunction}`;
            assert.equal(execution.status, "FAILED");
            assert.equal(execution.error, "Lambda.AWSLambdaException");
            assert.match(execution.cause, new RegExp(`^${escape(denied(`${fixture.outputs.machineRoleName}/${machine}`, "lambda:InvokeFunction", worker))} \\(Service: Lambda, Status Code: 403, Request ID: [0-9a-f-]{36}\\)$`));
            assert.ok(fixture.lines.some((line) => line.startsWith(`iam: refused state machine ${machine} (role ${fixture.outputs.machineRoleName}): lambda:InvokeFunction on ${worker}`)));
        });

        it("refuses an API method with AWS_IAM authorization to a caller not allowed execute-api:Invoke (403 AccessDeniedException), and serves the operator", async () => {
            const url = `${fixture.outputs.apiUrl}/hello`;
            const { result } = await callAs(fixture, "callApi", { url });
            assert.equal(result.status, 403);
            assert.equal(result.errorType, "AccessDeniedException");
            assert.match(result.body.Message, new RegExp(`^User: arn:aws:sts::000000000000:assumed-role/${escape(session)} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:000000000000:[0-9a-f]{10}/v1/GET/hello `));
            const operator = await operatorFetch(url, "execute-api", "us-east-1");
            assert.deepEqual([operator.status, await operator.json()], [200, { hello: "world" }]);
        });

        it("answers an unsigned API request 403 Missing Authentication Token, and a badly signed one with API Gateway's signature errors", async () => {
            const url = `${fixture.outputs.apiUrl}/hello`;
            const unsigned = await fetch(url);
            assert.deepEqual([unsigned.status, unsigned.headers.get("x-amzn-errortype"), await unsigned.json()], [403, "MissingAuthenticationTokenException", { message: "Missing Authentication Token" }]);
            const badSecret = await rawRequest(url, { method: "GET", headers: await signedHeaders(url, "execute-api", { accessKeyId: "local", secretAccessKey: "wrong" }) });
            assert.equal(badSecret.status, 403);
            assert.equal(badSecret.headers["x-amzn-errortype"], "InvalidSignatureException");
            assert.match(JSON.parse(badSecret.text).message, /^The request signature we calculated does not match the signature you provided\./);
            const incomplete = await rawRequest(url, { method: "GET", headers: { authorization: "AWS4-HMAC-SHA256 garbage" } });
            assert.equal(incomplete.status, 403);
            assert.equal(incomplete.headers["x-amzn-errortype"], "IncompleteSignatureException");
        });

        it("answers the AWS SDK's requests with a wrong secret or an unknown access key with each service's auth errors", async () => {
            const endpoint = fixture.cloud.url;
            const as = (accessKeyId: string, secretAccessKey: string) => ({ endpoint, region: "us-east-1", credentials: { accessKeyId, secretAccessKey } });
            const nameOf = (promise: Promise<unknown>) => promise.then(() => "allowed", (error: Error) => error.name);
            const clients = (accessKeyId: string, secretAccessKey: string) => {
                const config = as(accessKeyId, secretAccessKey);
                const [dynamo, sfn, sqs] = [new DynamoDBClient(config), new SFNClient(config), new SQSClient(config)];
                return Promise.all([nameOf(dynamo.send(new ListTablesCommand({}))), nameOf(sfn.send(new ListStateMachinesCommand({}))), nameOf(sqs.send(new ListQueuesCommand({})))]);
            };
            assert.deepEqual(await clients("local", "local"), ["allowed", "allowed", "allowed"]);
            assert.deepEqual(await clients("local", "wrong"), ["InvalidSignatureException", "InvalidSignatureException", "SignatureDoesNotMatch"]);
            assert.deepEqual(await clients("AKIANOBODY", "x"), ["UnrecognizedClientException", "UnrecognizedClientException", "InvalidClientTokenId"]);
        });

        it("answers unsigned, incomplete, expired and misscoped requests as each service does, never 500", async () => {
            const url = fixture.cloud.url;
            const post = (target: string, headers: Record<string, string> = {}) =>
                rawRequest(url, { headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": target, ...headers }, body: "{}" });
            const typeOf = (answer: { status: number; text: string; headers: Record<string, unknown> }) => [answer.status, JSON.parse(answer.text).__type, answer.headers["x-amzn-query-error"]];
            for (const [target, status, queryError] of [["DynamoDB_20120810.ListTables", 400, undefined], ["AWSStepFunctions.ListStateMachines", 400, undefined], ["AmazonSQS.ListQueues", 403, "MissingAuthenticationToken;Sender"]] as const) {
                const answer = await post(target);
                assert.deepEqual(typeOf(answer), [status, "com.amazon.coral.service#MissingAuthenticationTokenException", queryError], target);
                assert.equal(JSON.parse(answer.text).message, "Request is missing Authentication Token");
            }
            const incomplete = await post("AWSStepFunctions.ListStateMachines", { authorization: "AWS4-HMAC-SHA256 Credential=local" });
            assert.deepEqual(JSON.parse(incomplete.text), {
                __type: "com.amazon.coral.service#IncompleteSignatureException",
                message:
                    "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=local",
            });
            const expired = await post("DynamoDB_20120810.ListTables", {
                "x-amz-date": "20200101T000000Z",
                authorization: "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            });
            assert.deepEqual(typeOf(expired).slice(0, 2), [400, "com.amazon.coral.service#InvalidSignatureException"]);
            assert.match(JSON.parse(expired.text).message, /^Signature expired: 20200101T000000Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
            const elsewhere = await rawRequest(url, {
                headers: await signedHeaders(url, "dynamodb", { accessKeyId: "local", secretAccessKey: "local" }, "eu-west-1", { "x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0" }, "{}"),
                body: "{}",
            });
            assert.deepEqual(JSON.parse(elsewhere.text), { __type: "com.amazon.coral.service#InvalidSignatureException", message: "Credential should be scoped to a valid region, not 'eu-west-1'." });
            const tampered = await rawRequest(url, {
                headers: await signedHeaders(url, "states", { accessKeyId: "local", secretAccessKey: "local" }, "us-east-1", { "x-amz-target": "AWSStepFunctions.ListStateMachines", "content-type": "application/x-amz-json-1.0" }, "{}"),
                body: '{"maxResults":1}',
            });
            assert.equal(JSON.parse(tampered.text).__type, "com.amazon.coral.service#InvalidSignatureException", "a body other than the one signed");
        });
    });

    describe("granted", () => {
        it("allows each call once the program grants it: the function's Query and API call, the machine's Task", async () => {
            const fixture = fixtures.granted!;
            assert.deepEqual(await callAs(fixture, "query"), { ok: true });
            const { result } = await callAs(fixture, "callApi", { url: `${fixture.outputs.apiUrl}/hello` });
            assert.deepEqual([result.status, result.body], [200, { hello: "world" }]);
            const execution = await run(fixture, "worksMachineArn", {});
            assert.deepEqual([execution.status, JSON.parse(execution.output)], ["SUCCEEDED", { worked: true }]);
            assert.deepEqual(fixture.lines.filter((line) => line.startsWith("iam")), []);
        });
    });

    describe("--iam warn", () => {
        it("allows what enforce refuses, and logs each once: the call, the Task, the unsigned request", async () => {
            const fixture = fixtures.warned!;
            assert.deepEqual(await callAs(fixture, "query"), { ok: true });
            assert.deepEqual(await callAs(fixture, "query"), { ok: true });
            assert.equal((await run(fixture, "worksMachineArn", {})).status, "SUCCEEDED");
            const unsigned = await fetch(`${fixture.outputs.apiUrl}/hello`);
            assert.equal(unsigned.status, 200);
            const warned = fixture.lines.filter((line) => line.startsWith("iam"));
            assert.equal(warned.filter((line) => line.includes("dynamodb:Query")).length, 1, warned.join("\n"));
            assert.ok(warned.every((line) => line.startsWith("iam (warn): would refuse ")), warned.join("\n"));
            assert.ok(warned.some((line) => line.includes(`function ${fixture.outputs.callerFunction} (role ${fixture.outputs.callerRoleName}): dynamodb:Query`)));
            assert.ok(warned.some((line) => line.includes("lambda:InvokeFunction")));
            assert.ok(warned.some((line) => line.includes("API GET /v1/hello: MissingAuthenticationToken")));
        });
    });

    describe("--iam off", () => {
        it("allows everything and logs nothing", async () => {
            const fixture = fixtures.unchecked!;
            assert.deepEqual(await callAs(fixture, "query"), { ok: true });
            assert.equal((await run(fixture, "worksMachineArn", {})).status, "SUCCEEDED");
            assert.equal((await fetch(`${fixture.outputs.apiUrl}/hello`)).status, 200);
            assert.deepEqual(fixture.lines.filter((line) => line.startsWith("iam")), []);
        });
    });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Headers signed by `credentials` (for requests a test means to be refused). */
async function signedHeaders(
    url: string,
    service: SigningName,
    credentials: Credentials,
    region = "us-east-1",
    headers: Record<string, string> = {},
    body?: string,
): Promise<Record<string, string>> {
    return signRequest({ method: body === undefined ? "GET" : "POST", url, headers, body }, credentials, region, service, NodeSha256);
}
