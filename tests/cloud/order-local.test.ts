// The order example (examples/order) on the local cloud, end to end over HTTP only, as a user of
// `npm start -- --program examples/order` would drive it: orders placed through its API, their
// outcome from its status route, the warehouse's messages from the queue's URL, the states each
// saga entered from the Step Functions API, and the SQS API its handlers call, with SQS's errors.
import "../support/aws-env";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    GetQueueUrlCommand,
    ListQueuesCommand,
    QueueDoesNotExist,
    SendMessageCommand,
    SQSClient,
    SQSServiceException,
} from "@aws-sdk/client-sqs";
import { SagaErrors } from "../../components/model/conventions";
import { statesEnteredOf } from "../../components/model/outcomes";
import { banner } from "../../local/banner";
import { bootCloud, Booted, summaryOf } from "../../local/client";
import { startLocalCloud } from "../../local/cloud";
import { ConfigError, loadProjectSettings, missingConfigMessage } from "../../harness/config";
import { curlLines, hasMachineCurl, MACHINE_CURL, paste } from "../support/pasted";
import { until } from "../support/until";

const EXAMPLE = path.resolve(__dirname, "..", "..", "examples", "order");
const API_KEY = "sk_test_order_local_7c21";
const FORWARD = ["Charge Card", "Hold Stock", "Book Courier", "Commit Stock", "Dispatch Shipment"];

const newOrder = () => `order-${randomUUID().slice(0, 8)}`;
const cancelled = (type: string) => ({ type, transaction_status: "cancelled" });

describe("the order example on the local cloud (npm start -- --program examples/order)", function () {
    it("refuses to start without the payments API key, saying how to give it", async () => {
        await assert.rejects(startLocalCloud({ port: 0, programDir: EXAMPLE, log: () => undefined }), (error: Error) => {
            assert.ok(error instanceof ConfigError, String(error));
            assert.match(error.message, /^Stack 'dev' is missing configuration value 'paymentsApiKey'\.\nGive it for this run: npm start -- --program \S*examples\/order --config paymentsApiKey=<a test value>$/);
            return true;
        });
    });

    it("says so when the stack file has the key encrypted, which only the Pulumi CLI can decrypt", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "order-stack-"));
        try {
            fs.copyFileSync(path.join(EXAMPLE, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n  order:paymentsApiKey:\n    secure: v1:bm9uY2U=:Y2lwaGVy\n");
            const settings = loadProjectSettings(dir, "dev");
            assert.deepEqual([settings.skippedSecrets, settings.missingKeys], [["order:paymentsApiKey"], ["order:paymentsApiKey"]]);
            assert.match(missingConfigMessage(settings) ?? "", /^Stack 'dev' is missing configuration value 'paymentsApiKey' \(Pulumi\.dev\.yaml has it encrypted, `secure:`, which the local cloud cannot decrypt\)\./);
            // Given on the command line, it is there, and a secret.
            const given = loadProjectSettings(dir, "dev", { paymentsApiKey: API_KEY });
            assert.deepEqual([given.missingKeys, given.secretKeys, given.config["order:paymentsApiKey"]], [[], ["order:paymentsApiKey"], API_KEY]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("with a test key", () => {
        let booted: Booted;
        let sqs: SQSClient;
        let warehouseUrl: string;

        before(async () => {
            booted = await bootCloud({ programDir: EXAMPLE, config: { paymentsApiKey: API_KEY } });
            warehouseUrl = String(booted.cloud.outputs.warehouseQueueUrl);
            sqs = new SQSClient({ endpoint: booted.cloud.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
        });
        after(() => booted?.cloud.stop());

        /** Places an order (GET <api>?orderID=..., or a POST with the order as its body), then asks GET <api>orders/<id> until it has ended. */
        async function order(runType?: string, body?: unknown) {
            const { client } = booted;
            const orderId = newOrder();
            const query = { orderID: orderId, ...(runType ? { runType } : {}) };
            const started = body === undefined ? await client.start(query) : await client.startWith(query, body);
            assert.equal(started.status, 202, JSON.stringify(started.body));
            assert.equal(started.body.orderId, orderId);
            const report = await until(
                `order ${orderId} to end`,
                async () => {
                    const { status, body } = await client.get(`${client.apiUrl}orders/${orderId}`);
                    assert.equal(status, 200, JSON.stringify(body));
                    return body.outcome !== "running" && body;
                },
                10_000,
            );
            return { orderId, report, states: await statesEntered(report.executionArn) };
        }

        async function statesEntered(executionArn: string): Promise<string[]> {
            const { body } = await booted.client.stepFunctions("GetExecutionHistory", { executionArn, maxResults: 1000 });
            return statesEnteredOf(body.events);
        }

        /** The warehouse's messages about one order (the queue's URL is its inspection route). */
        async function warehouseMessages(orderId: string) {
            const { body } = await booted.client.get(warehouseUrl);
            return body.messages.filter((m: { json: { orderId: string } }) => m.json.orderId === orderId);
        }

        it("places an order: every step confirmed, the card charged with the secret key, the warehouse asked to pick it", async () => {
            const { orderId, report, states } = await order();
            assert.deepEqual([report.outcome, report.error], ["succeeded", null]);
            assert.deepEqual(states, [...FORWARD, "Succeeded"]);
            assert.deepEqual(summaryOf(report.records), [
                { type: "Charge", transaction_status: "confirmed" },
                { type: "Shipment", transaction_status: "confirmed" },
                { type: "Stock", transaction_status: "confirmed" },
            ]);
            // The function had the key: its fingerprint, never the key, is on the charge.
            const charge = report.records[0];
            assert.equal(charge.charged_with, createHash("sha256").update(API_KEY).digest("hex").slice(0, 12));
            assert.ok(!JSON.stringify(report).includes(API_KEY));
            // The courier's own function booked the shipment.
            assert.equal(report.records[1].address, "1 Main Street");

            const messages = await warehouseMessages(orderId);
            assert.deepEqual(messages.map((m: { json: unknown }) => m.json), [{ type: "PickOrder", orderId, lines: [{ sku: "BOOK-978-0", quantity: 2 }] }]);
            assert.deepEqual([messages[0].messageGroupId, messages[0].messageDeduplicationId], [orderId, `PickOrder-${orderId}`]);
            assert.deepEqual(messages[0].attributes, { type: { DataType: "String", StringValue: "PickOrder" } });
        });

        it("places the order a POST carries: its lines held and picked, its price charged, and the status route shows it", async () => {
            const body = { lines: [{ sku: "MUG-042", quantity: 1 }, { sku: "PEN-007", quantity: 3 }], address: "7 Harbour Road, Cork", currency: "GBP" };
            const { orderId, report } = await order(undefined, body);
            assert.equal(report.outcome, "succeeded");
            assert.deepEqual(report.input, { order_id: orderId, ...body });
            const [charge, shipment, stock] = report.records;
            // 10.50 + 3 x 2.10, from the catalogue: the body names no price.
            assert.deepEqual([charge.amount, charge.currency], ["16.80", "GBP"]);
            assert.equal(shipment.address, "7 Harbour Road, Cork");
            assert.equal(stock.items, "1 x MUG-042, 3 x PEN-007");
            const messages = await warehouseMessages(orderId);
            assert.deepEqual(messages.map((m: { json: unknown }) => m.json), [{ type: "PickOrder", orderId, lines: body.lines }]);
        });

        it("answers 400 through the API to an order that breaks the schema, naming the field and rule, and starts nothing", async () => {
            const orderId = newOrder();
            const refused = await booted.client.startWith({ orderID: orderId }, { lines: [{ sku: "MUG-042", quantity: 0 }], address: "x", currency: "EUR" });
            assert.equal(refused.status, 400);
            assert.equal(refused.body.message, "The body is not this saga's input: `lines[0].quantity` must be >= 1 (minimum).");
            assert.equal((await booted.client.get(`${booted.client.apiUrl}orders/${orderId}`)).status, 404);
        });

        it("failCharge: the card is declined, Refund Card voids the charge, the warehouse hears nothing", async () => {
            const { orderId, report, states } = await order("failCharge");
            assert.deepEqual([report.outcome, report.error, report.cause.errorType], ["rolled_back", SagaErrors.RolledBack, "CardDeclined"]);
            assert.deepEqual(states, ["Charge Card", "Refund Card", "Rolled Back"]);
            assert.deepEqual(summaryOf(report.records), [cancelled("Charge")]);
            assert.deepEqual(await warehouseMessages(orderId), []);
        });

        it("failStock: no stock to hold, Release Stock and Refund Card run newest first, the charge is refunded", async () => {
            const { orderId, report, states } = await order("failStock");
            assert.deepEqual([report.outcome, report.error, report.cause.errorType], ["rolled_back", SagaErrors.RolledBack, "OutOfStock"]);
            assert.deepEqual(states, ["Charge Card", "Hold Stock", "Release Stock", "Refund Card", "Rolled Back"]);
            assert.deepEqual(summaryOf(report.records), [{ type: "Charge", transaction_status: "refunded" }, cancelled("Stock")]);
            assert.deepEqual(await warehouseMessages(orderId), []);
        });

        it("failDispatch: after the pick was asked for, every step is compensated and the warehouse is asked to cancel it, in order", async () => {
            const { orderId, report, states } = await order("failDispatch");
            assert.deepEqual([report.outcome, report.cause.errorType], ["rolled_back", "CarrierUnavailable"]);
            assert.deepEqual(states, [...FORWARD, "Cancel Shipment", "Release Stock", "Refund Card", "Rolled Back"]);
            assert.deepEqual(summaryOf(report.records), [{ type: "Charge", transaction_status: "refunded" }, cancelled("Shipment"), cancelled("Stock")]);
            const messages = await warehouseMessages(orderId);
            assert.deepEqual(messages.map((m: { json: { type: string } }) => m.json.type), ["PickOrder", "CancelPick"]);
            assert.ok(BigInt(messages[0].sequenceNumber) < BigInt(messages[1].sequenceNumber));
            // No compensation failed.
            const failures = await booted.client.get(String(booted.cloud.outputs.failureQueueUrl));
            assert.equal(failures.body.count, 0);
        });

        it("prints the key nowhere: `npm start`'s banner shows it as [secret], and so does /_local", async () => {
            const text = banner(booted.cloud, { retryIntervalMs: 0 });
            const verbose = banner(booted.cloud, { retryIntervalMs: 0, verbose: true });
            for (const shown of [text, verbose, JSON.stringify((await booted.client.get(`${booted.cloud.url}/_local`)).body)]) assert.ok(!shown.includes(API_KEY));
            assert.match(text, /order:paymentsApiKey=\[secret\]/);
            assert.match(verbose, /orders\/<saga id>/, "the status route, from the program's routes");
        });

        it("prints requests for another program that work when pasted, with this machine's curl: start a saga, list its executions, read the queues", async function () {
            if (!hasMachineCurl()) {
                console.log(`      skipped: no ${MACHINE_CURL} on this machine to paste the requests into`);
                this.skip();
            }
            const lines = curlLines(banner(booted.cloud, { retryIntervalMs: 0 }));
            assert.equal(lines.length, 3);
            const started = JSON.parse(await paste(lines[0]));
            assert.match(started.executionArn, /:execution:/, JSON.stringify(started));
            await booted.cloud.idle();
            const { executions } = JSON.parse(await paste(lines[1]));
            assert.ok(executions.some((e: { executionArn: string; status: string }) => e.executionArn === started.executionArn && e.status === "SUCCEEDED"), JSON.stringify(executions));
            const { queues } = JSON.parse(await paste(lines[2]));
            assert.ok(queues.some((q: { url: string }) => q.url === warehouseUrl), JSON.stringify(queues));
        });

        it("serves the functions' SQS calls on the one port (AWS_ENDPOINT_URL_SQS), with a FIFO queue's deduplication", async () => {
            assert.equal(booted.cloud.functionEnvironment.AWS_ENDPOINT_URL_SQS, booted.cloud.url);
            const orderId = newOrder();
            const send = () =>
                sqs.send(
                    new SendMessageCommand({
                        QueueUrl: warehouseUrl,
                        MessageBody: JSON.stringify({ type: "PickOrder", orderId }),
                        MessageGroupId: orderId,
                        MessageDeduplicationId: `by-hand-${orderId}`,
                        MessageAttributes: { timestamp: { DataType: "Number", StringValue: "1493147359900" } },
                    }),
                );
            const [first, again] = [await send(), await send()];
            assert.equal(again.MessageId, first.MessageId, "a repeat within five minutes is the same message");
            assert.match(first.SequenceNumber ?? "", /^\d{20}$/);
            // The attributes' digest as SQS computes it (the SDK checks the body's itself).
            assert.equal(first.MD5OfMessageAttributes, "235c5c510d26fb653d073faed50ae77c");
            assert.equal((await warehouseMessages(orderId)).length, 1);
            const name = warehouseUrl.split("/").pop()!;
            assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, warehouseUrl);
            assert.deepEqual((await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "warehouse" }))).QueueUrls, [warehouseUrl]);
        });

        it("answers SQS's own errors: an unknown queue, a missing or invalid parameter, an operation it does not serve", async () => {
            let error: unknown;
            const failure = async (request: () => Promise<unknown>) => {
                error = await request().then(
                    () => assert.fail("the request succeeded"),
                    (thrown: unknown) => thrown,
                );
                assert.ok(error instanceof SQSServiceException, String(error));
                return { name: error.name, code: (error as unknown as { Code?: string }).Code, status: error.$metadata.httpStatusCode, message: error.message };
            };
            // The SDK's own error classes, with the query protocol's code, as against SQS.
            const unknown = await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: `${booted.cloud.url}/_local/queues/no-such-queue`, MessageBody: "x" })));
            assert.deepEqual(unknown, { name: "QueueDoesNotExist", code: "AWS.SimpleQueueService.NonExistentQueue", status: 400, message: "The specified queue does not exist." });
            assert.ok(error instanceof QueueDoesNotExist);
            assert.equal((await failure(() => sqs.send(new GetQueueUrlCommand({ QueueName: "no-such-queue" })))).name, "QueueDoesNotExist");
            assert.ok(error instanceof QueueDoesNotExist);

            assert.deepEqual(await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: warehouseUrl, MessageBody: "x", MessageDeduplicationId: "d" }))), {
                name: "MissingParameter",
                code: "MissingParameter",
                status: 400,
                message: "The request must contain the parameter MessageGroupId.",
            });
            const standard = String(booted.cloud.outputs.failureQueueUrl);
            assert.match((await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: "x", MessageDeduplicationId: "d" })))).message, /parameter MessageDeduplicationId is invalid\. Reason: The request include parameter that is not valid for this queue type/);
            assert.equal((await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: "bell \u0007" })))).name, "InvalidMessageContents");
            const tooLong = await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: "x".repeat(1_048_577) })));
            assert.deepEqual([tooLong.name, tooLong.message], ["InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."]);
            assert.equal((await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: "x", DelaySeconds: 901 })))).name, "InvalidParameterValue");
            const attribute = await failure(() => sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "many" } } })));
            assert.equal(attribute.name, "InvalidParameterValue");

            const { status, body } = await fetch(booted.cloud.url, {
                method: "POST",
                headers: { "x-amz-target": "AmazonSQS.CreateQueue", "content-type": "application/x-amz-json-1.0" },
                body: JSON.stringify({ QueueUrl: standard }),
            }).then(async (response) => ({ status: response.status, body: (await response.json()) as { __type: string; message: string } }));
            assert.equal(status, 400);
            assert.equal(body.__type, "com.amazonaws.sqs#UnsupportedOperation");
            assert.match(body.message, /does not serve CreateQueue; it serves SendMessage, GetQueueUrl, ReceiveMessage, DeleteMessage/);
            // None of these reached a queue.
            assert.equal((await booted.client.get(standard)).body.count, 0);
        });
    });
});
