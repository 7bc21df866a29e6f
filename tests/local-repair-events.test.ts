// The local cloud's EventBridge (local/events/service.ts) on its own, with recorded targets: which rules an
// event reaches, how a Lambda target is invoked (its permission, Lambda's asynchronous retries, the
// onFailure destination and the role that sends to it), what goes to a dead-letter queue, and, with
// a data folder, that an event a stop cut short is delivered again at the next start and a
// delivered one is not.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BusEvent, EventBridgeOptions, LocalEventBridge } from "../local/events/service";
import type { InvokeResult } from "../local/lambda/function";
import type { MessageAttribute } from "../local/sqs/queue";

const RULE = "arn:aws:events:us-east-1:000000000000:rule/status-changes";
const FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:repair-start";
const DLQ = "arn:aws:sqs:us-east-1:000000000000:needs-attention";
const MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:saga";

const statusChange = (name: string, status: string, error: string | null = null): BusEvent => ({
    id: `event-${name}-${status}`,
    version: "0",
    source: "aws.states",
    "detail-type": "Step Functions Execution Status Change",
    time: new Date().toISOString(),
    detail: { name, status, error, stateMachineArn: MACHINE },
});

/**
 * A bridge whose function answers `results` in turn (then succeeds), whose role may send to its
 * destination unless `refusal` says why not; and what reached the queues.
 */
function bridge(results: InvokeResult[] = [], options: Partial<EventBridgeOptions> = {}, refusal?: string) {
    const invoked: unknown[] = [];
    const sent: { queueArn: string; body: any; attributes?: Record<string, MessageAttribute> }[] = [];
    const logged: string[] = [];
    const events = new LocalEventBridge({
        targets: {
            invokeFunction: (name, event) => {
                if (name !== FUNCTION) return undefined;
                invoked.push(event);
                return Promise.resolve(results.shift() ?? { ok: true, payload: { started: true } });
            },
            sendToQueue: (queueArn, body, attributes) => {
                if (queueArn !== DLQ) return false;
                sent.push({ queueArn, body: JSON.parse(body), ...(attributes ? { attributes } : {}) });
                return true;
            },
            refusedDestination: () => refusal,
        },
        retryIntervalMs: 0,
        log: (line) => logged.push(line),
        ...options,
    });
    events.addRule({ name: "status-changes", arn: RULE, enabled: true, onDefaultBus: true, pattern: { source: ["aws.states"], detail: { status: ["FAILED", "ABORTED"] } } });
    events.addTarget({ rule: "status-changes", targetId: "start", arn: FUNCTION, deadLetterArn: DLQ, maximumEventAgeSeconds: 86_400 });
    events.addAsyncInvokeConfig({ functionName: "repair-start", maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, onFailure: DLQ });
    events.addPermission({ functionName: "repair-start", action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: RULE });
    return { events, invoked, sent, logged };
}

const failure: InvokeResult = { ok: false, error: { errorType: "ServiceUnavailable", errorMessage: "down", trace: [] } };

describe("the local cloud's EventBridge", () => {
    it("delivers a matching event to the rule's function, once, and nothing else", async () => {
        const { events, invoked, sent } = bridge();
        events.put(statusChange("a", "FAILED", "Saga.CompensationFailed"));
        events.put(statusChange("b", "SUCCEEDED"));
        await events.idle();
        assert.deepEqual((invoked as BusEvent[]).map((event) => event.id), ["event-a-FAILED"]);
        assert.deepEqual(sent, []);
    });

    it("retries a failing function as Lambda does, then sends the invocation record to its onFailure destination", async () => {
        const { events, invoked, sent } = bridge([failure, failure, failure]);
        events.put(statusChange("a", "ABORTED"));
        await events.idle();
        assert.equal(invoked.length, 3, "the attempt and maximumRetryAttempts (2) retries");
        assert.equal(sent.length, 1);
        const record = sent[0].body;
        assert.deepEqual(record.requestContext.condition, "RetriesExhausted");
        assert.equal(record.requestContext.approximateInvokeCount, 3);
        assert.equal(record.requestPayload.id, "event-a-ABORTED");
        assert.deepEqual([record.responseContext.functionError, record.responsePayload.errorType], ["Unhandled", "ServiceUnavailable"]);
    });

    it("stops retrying once an attempt succeeds", async () => {
        const { events, invoked, sent } = bridge([failure]);
        events.put(statusChange("a", "ABORTED"));
        await events.idle();
        assert.deepEqual([invoked.length, sent.length], [2, 0]);
    });

    it("sends the event to the dead-letter queue at once when no permission lets EventBridge invoke the function", async () => {
        const { events, invoked, sent } = bridge();
        events.addRule({ name: "other", arn: `${RULE}-other`, enabled: true, onDefaultBus: true, pattern: { source: ["aws.states"] } });
        events.addTarget({ rule: "other", targetId: "start", arn: FUNCTION, deadLetterArn: DLQ, maximumEventAgeSeconds: 86_400 });
        events.put(statusChange("a", "SUCCEEDED"));
        await events.idle();
        assert.equal(invoked.length, 0);
        assert.equal(sent[0].body.id, "event-a-SUCCEEDED");
        assert.deepEqual(
            Object.fromEntries(Object.entries(sent[0].attributes!).map(([name, value]) => [name, value.StringValue])),
            {
                ERROR_CODE: "NO_PERMISSIONS",
                ERROR_MESSAGE: `No resource-based policy of ${FUNCTION} lets events.amazonaws.com invoke it for ${RULE}-other.`,
                RULE_ARN: `${RULE}-other`,
                TARGET_ARN: FUNCTION,
            },
        );
    });

    it("sends the event itself to an SQS target", async () => {
        const { events, sent } = bridge();
        events.addRule({ name: "repair-failures", arn: `${RULE}-repairs`, enabled: true, onDefaultBus: true, pattern: { detail: { status: ["TIMED_OUT"] } } });
        events.addTarget({ rule: "repair-failures", targetId: "queue", arn: DLQ, maximumEventAgeSeconds: 86_400 });
        const event = statusChange("a", "TIMED_OUT", "States.Timeout");
        events.put(event);
        await events.idle();
        assert.deepEqual(sent, [{ queueArn: DLQ, body: event }]);
    });

    it("ignores a disabled rule and a rule on another bus", async () => {
        const { events, invoked } = bridge();
        const pattern = { source: ["aws.states"] };
        events.addRule({ name: "status-changes", arn: RULE, enabled: false, onDefaultBus: true, pattern });
        events.addRule({ name: "custom", arn: `${RULE}-custom`, enabled: true, onDefaultBus: false, pattern });
        events.addTarget({ rule: "custom", targetId: "start", arn: FUNCTION, maximumEventAgeSeconds: 86_400 });
        events.put(statusChange("a", "FAILED", "Boom"));
        await events.idle();
        assert.equal(invoked.length, 0);
    });

    it("drops the invocation record the function's role may not send to its destination, and says why", async () => {
        const { events, sent, logged } = bridge([failure, failure, failure], {}, "AccessDenied: no policy allows sqs:sendmessage");
        events.put(statusChange("a", "ABORTED"));
        await events.idle();
        assert.deepEqual(sent, []);
        assert.ok(logged.some((line) => line.includes("could not be sent") && line.includes("AccessDenied")), logged.join("\n"));
    });

    it("with a data folder, delivers at the next start what a stop cut short, and nothing delivered already", async () => {
        const dataDir = fs.mkdtempSync(path.join(tmpdir(), "saga-events-"));
        try {
            const results: InvokeResult[] = [];
            const first = bridge(results, { dataDir, retryIntervalMs: 60_000 });
            first.events.put(statusChange("delivered", "FAILED", "Boom"));
            await first.events.idle();
            // The next one fails its first attempt, then waits a minute for its retry: the stop comes first.
            results.push(failure);
            first.events.put(statusChange("cut-short", "ABORTED"));
            await new Promise((resolve) => setTimeout(resolve, 20));
            assert.ok(first.events.busy);
            await first.events.stop();
            assert.deepEqual(first.sent, [], "no destination once stopped");

            const second = bridge([], { dataDir });
            assert.equal(second.events.resume(), 1);
            await second.events.idle();
            assert.deepEqual((second.invoked as BusEvent[]).map((event) => event.id), ["event-cut-short-ABORTED"]);
            const third = bridge([], { dataDir });
            assert.equal(third.events.resume(), 0, "delivered now");
        } finally {
            fs.rmSync(dataDir, { recursive: true, force: true });
        }
    });
});
