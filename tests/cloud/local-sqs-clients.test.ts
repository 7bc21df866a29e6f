// The saga's queues consumed as on SQS, through the clients users point at the local cloud: the
// JavaScript SDK v3 (AWS JSON), Debian 12's boto3 1.26 and AWS CLI 2.9 (the query protocol: form
// in, XML out; each skipped, saying why, where it is not installed). Receive, visibility, receipt
// handles, receive counts, long polling, delete, purge and attributes, with SQS's errors, by the
// queue's local URL and by an AWS-style one (/<account>/<name>); what is deleted stays deleted
// across a restart of a data folder.
import "../support/aws-env";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
    ChangeMessageVisibilityCommand,
    DeleteMessageCommand,
    GetQueueAttributesCommand,
    PurgeQueueCommand,
    ReceiveMessageCommand,
    SendMessageCommand,
    SQSClient,
    SQSServiceException,
} from "@aws-sdk/client-sqs";
import { bootCloud, Booted } from "../../local/client";

const run = promisify(execFile);
const DEBIAN_PYTHON = "/usr/bin/python3";
const DEBIAN_AWS = "/usr/bin/aws";
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_DEFAULT_REGION: "us-east-1" };

async function failure(act: () => Promise<unknown>): Promise<{ name: string; code: unknown; status: unknown; message: string }> {
    try {
        await act();
    } catch (error) {
        assert.ok(error instanceof SQSServiceException, String(error));
        return { name: error.name, code: (error as { Code?: unknown }).Code, status: error.$metadata.httpStatusCode, message: error.message };
    }
    assert.fail("expected SQS to refuse");
}

/** Whether Debian's boto3 can be imported (its version), else why not. */
async function debianBoto3(): Promise<{ version?: string; why?: string }> {
    if (!existsSync(DEBIAN_PYTHON)) return { why: `${DEBIAN_PYTHON} is not installed` };
    try {
        const { stdout } = await run(DEBIAN_PYTHON, ["-c", "import boto3; print(boto3.__version__)"]);
        return { version: stdout.trim() };
    } catch {
        return { why: "Debian's python3-boto3 is not installed (apt-get install python3-boto3)" };
    }
}

describe("SQS consumed through the real clients (ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes, PurgeQueue)", function () {
    let booted: Booted;
    let sqs: SQSClient;
    let localUrl: string;
    let awsUrl: string;
    let otherUrl: string;

    before(async () => {
        booted = await bootCloud();
        localUrl = String(booted.cloud.outputs.failureQueueUrl);
        const name = localUrl.split("/").pop()!;
        awsUrl = `${booted.cloud.url}/000000000000/${name}`;
        otherUrl = String(booted.cloud.outputs.needsAttentionQueueUrl);
        sqs = new SQSClient({ endpoint: booted.cloud.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    });
    after(() => booted?.cloud.stop());

    it("receives, hides for the visibility timeout, receives again with a new handle and a higher count, deletes; errors as SQS gives them", async () => {
        const sent = await sqs.send(
            new SendMessageCommand({ QueueUrl: awsUrl, MessageBody: '{"n":1}', MessageAttributes: { kind: { DataType: "String", StringValue: "failure" } } }),
        );
        const first = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: localUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30, AttributeNames: ["All"], MessageAttributeNames: ["All"] }),
        );
        assert.equal(first.Messages?.length, 1);
        const [message] = first.Messages!;
        assert.deepEqual([message.MessageId, message.Body, message.Attributes?.ApproximateReceiveCount], [sent.MessageId, '{"n":1}', "1"]);
        assert.deepEqual(message.MessageAttributes, { kind: { DataType: "String", StringValue: "failure" } });
        assert.equal(message.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
        // In flight: nobody else receives it.
        assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl }))).Messages, undefined);
        const counts = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: awsUrl, AttributeNames: ["All"] }))).Attributes!;
        assert.deepEqual([counts.ApproximateNumberOfMessages, counts.ApproximateNumberOfMessagesNotVisible, counts.VisibilityTimeout], ["0", "1", "30"]);
        assert.equal(counts.QueueArn, `arn:aws:sqs:us-east-1:000000000000:${localUrl.split("/").pop()}`);

        // Visible again at once, received under a new handle: the old one no longer changes it.
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: awsUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
        const second = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }))).Messages!;
        assert.deepEqual([second.length, second[0].MessageId, second[0].Attributes], [1, sent.MessageId, { ApproximateReceiveCount: "2" }]);
        assert.notEqual(second[0].ReceiptHandle, message.ReceiptHandle);
        const stale = await failure(() => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: awsUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 5 })));
        assert.deepEqual([stale.name, stale.code, stale.status], ["MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight", 400]);

        // Shown in flight where the queue is inspected, then gone once deleted.
        const inspected = async () => ((await (await fetch(`${booted.cloud.url}/_local/queues`)).json()) as { queues: Array<{ url: string; count: number; messages: Array<{ receiveCount: number; inFlight: boolean }> }> }).queues.find((q) => q.url === localUrl)!;
        assert.deepEqual((await inspected()).messages.map((m) => [m.receiveCount, m.inFlight]), [[2, true]]);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: awsUrl, ReceiptHandle: second[0].ReceiptHandle }));
        assert.equal((await inspected()).count, 0);
        // Deleting again is no error, as on SQS; a handle that is none is.
        await sqs.send(new DeleteMessageCommand({ QueueUrl: awsUrl, ReceiptHandle: second[0].ReceiptHandle }));
        const bogus = await failure(() => sqs.send(new DeleteMessageCommand({ QueueUrl: awsUrl, ReceiptHandle: "not-a-handle" })));
        assert.deepEqual([bogus.name, bogus.message], ["ReceiptHandleIsInvalid", 'The input receipt handle "not-a-handle" is not a valid receipt handle.']);
        // Another queue's handle is not this queue's.
        await sqs.send(new SendMessageCommand({ QueueUrl: otherUrl, MessageBody: "other" }));
        const other = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: otherUrl }))).Messages![0];
        assert.equal((await failure(() => sqs.send(new DeleteMessageCommand({ QueueUrl: localUrl, ReceiptHandle: other.ReceiptHandle })))).name, "ReceiptHandleIsInvalid");

        const tooMany = await failure(() => sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl, MaxNumberOfMessages: 11 })));
        assert.deepEqual([tooMany.name, tooMany.message], ["InvalidParameterValue", "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."]);
        assert.equal((await failure(() => sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl, WaitTimeSeconds: 21 })))).name, "InvalidParameterValue");
        assert.equal((await failure(() => sqs.send(new GetQueueAttributesCommand({ QueueUrl: awsUrl, AttributeNames: ["Colour" as "All"] })))).name, "InvalidAttributeName");
        const elsewhere = await failure(() => sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl.replace("000000000000", "111111111111") })));
        assert.deepEqual([elsewhere.name, elsewhere.code], ["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"]);
    });

    it("long-polls: answers as soon as a message arrives, and empty at WaitTimeSeconds", async () => {
        const started = Date.now();
        const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl, WaitTimeSeconds: 10 }));
        await sqs.send(new SendMessageCommand({ QueueUrl: localUrl, MessageBody: "arrived" }));
        const received = await polling;
        assert.equal(received.Messages?.[0].Body, "arrived");
        assert.ok(Date.now() - started < 5_000, `answered after ${Date.now() - started} ms`);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: awsUrl, ReceiptHandle: received.Messages![0].ReceiptHandle }));

        const empty = Date.now();
        assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: awsUrl, WaitTimeSeconds: 1 }))).Messages, undefined);
        assert.ok(Date.now() - empty >= 950, `answered after ${Date.now() - empty} ms`);
    });

    it("purges once a minute, as SQS allows", async () => {
        await sqs.send(new SendMessageCommand({ QueueUrl: otherUrl, MessageBody: "to purge" }));
        await sqs.send(new PurgeQueueCommand({ QueueUrl: otherUrl }));
        const attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: otherUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))).Attributes;
        assert.deepEqual(attributes, { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
        const again = await failure(() => sqs.send(new PurgeQueueCommand({ QueueUrl: otherUrl })));
        assert.deepEqual([again.name, again.code, again.status], ["PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", 403]);
    });

    it("answers the query protocol in XML, an unsigned GET /?Action=ListQueues with SQS's 403, not a page", async () => {
        const answer = await fetch(`${booted.cloud.url}/?Action=ListQueues&Version=2012-11-05`, { redirect: "manual" });
        assert.equal(answer.status, 403);
        assert.match(answer.headers.get("content-type") ?? "", /xml/);
        assert.match(await answer.text(), /^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/);
    });

    it("serves Debian 12's boto3 (the query protocol) by an AWS-style queue URL", async function () {
        const boto3 = await debianBoto3();
        if (!boto3.version) return this.skip(); // boto3.why
        const script = `
import boto3, json, sys
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
url = sys.argv[2]
out = {"version": boto3.__version__}
out["listed"] = sqs.list_queues()["QueueUrls"]
sent = sqs.send_message(QueueUrl=url, MessageBody="from boto3 <&>\\r", MessageAttributes={"kind": {"DataType": "String", "StringValue": "k"}})
got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"][0]
out["same"] = got["MessageId"] == sent["MessageId"]
out["body"] = got["Body"]
out["count"] = got["Attributes"]["ApproximateReceiveCount"]
out["attributes"] = got["MessageAttributes"]
sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=60)
sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
out["visible"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
try:
    sqs.receive_message(QueueUrl=url + "-missing")
except sqs.exceptions.QueueDoesNotExist as error:
    out["error"] = error.response["Error"]["Code"]
print(json.dumps(out))
`;
        const { stdout } = await run(DEBIAN_PYTHON, ["-c", script, booted.cloud.url, awsUrl], { env: { ...process.env, ...CREDENTIALS } });
        const out = JSON.parse(stdout);
        assert.ok(out.listed.includes(localUrl), stdout);
        assert.deepEqual(
            { same: out.same, body: out.body, count: out.count, attributes: out.attributes, visible: out.visible, error: out.error },
            {
                same: true,
                body: "from boto3 <&>\r",
                count: "1",
                attributes: { kind: { StringValue: "k", DataType: "String" } },
                visible: { ApproximateNumberOfMessages: "0" },
                error: "AWS.SimpleQueueService.NonExistentQueue",
            },
        );
    });

    it("serves Debian 12's AWS CLI 2.9 (the query protocol), given --endpoint-url", async function () {
        if (!existsSync(DEBIAN_AWS)) return this.skip(); // Debian's awscli is not installed
        const aws = (...args: string[]) => run(DEBIAN_AWS, ["sqs", ...args, "--endpoint-url", booted.cloud.url, "--output", "json"], { env: { ...process.env, ...CREDENTIALS } });
        // Each run of the CLI takes seconds to start: two runs, the rest through the SDK.
        await sqs.send(new SendMessageCommand({ QueueUrl: localUrl, MessageBody: "for the CLI" }));
        const received = JSON.parse((await aws("receive-message", "--queue-url", awsUrl, "--attribute-names", "ApproximateReceiveCount")).stdout);
        assert.deepEqual([received.Messages[0].Body, received.Messages[0].Attributes], ["for the CLI", { ApproximateReceiveCount: "1" }]);
        await aws("delete-message", "--queue-url", awsUrl, "--receipt-handle", received.Messages[0].ReceiptHandle);
        const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: awsUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
        assert.deepEqual(attributes.Attributes, { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" });
    });
});

describe("a deleted message stays deleted across a restart of the data folder", function () {
    let dataDir: string;
    before(() => (dataDir = mkdtempSync(path.join(tmpdir(), "saga-sqs-"))));
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it("keeps the messages not deleted, and not the one deleted", async () => {
        const first = await bootCloud({ dataDir });
        const url = String(first.cloud.outputs.failureQueueUrl);
        try {
            const sqs = new SQSClient({ endpoint: first.cloud.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
            await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "deleted" }));
            await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "kept" }));
            const [message] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages!;
            assert.equal(message.Body, "deleted");
            await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
        } finally {
            await first.cloud.stop();
        }
        const second = await bootCloud({ dataDir });
        try {
            const { queues } = (await (await fetch(`${second.cloud.url}/_local/queues`)).json()) as { queues: Array<{ name: string; messages: Array<{ body: string }> }> };
            const queue = queues.find((q) => q.name === url.split("/").pop())!;
            assert.deepEqual(queue.messages.map((m) => m.body), ["kept"]);
        } finally {
            await second.cloud.stop();
        }
    });
});
