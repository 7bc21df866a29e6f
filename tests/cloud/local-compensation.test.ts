// The local cloud with every compensation failing (config saga:compensationFailureRate=1, as
// `npm start -- --config saga:compensationFailureRate=1` sets it): the saga says so in its status,
// records each failure on the dead-letter queue, and its retries show in the log. Over HTTP only.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { SagaErrors } from "../../components/model/conventions";
import { bootCloud, Booted, summaryOf } from "../../local/client";

describe("the local cloud with compensations that always fail", function () {
    let booted: Booted;
    before(async () => {
        // Retries wait 40 ms, so the saga stays running long enough to be seen running.
        booted = await bootCloud({ config: { "saga:compensationFailureRate": "1" }, retryIntervalMs: 40 });
    });
    after(() => booted?.cloud.stop());

    it("still books a trip that needs no compensation", async () => {
        const tripId = `trip-${randomUUID().slice(0, 8)}`;
        await booted.client.start({ tripID: tripId });
        assert.equal((await booted.client.outcome(tripId)).outcome, "succeeded");
    });

    it("reports running, then compensation_failed; every failure is on the queue and the pending bookings stay", async () => {
        const tripId = `trip-${randomUUID().slice(0, 8)}`;
        assert.equal((await booted.client.start({ tripID: tripId, runType: "failPayment" })).status, 202);
        assert.equal((await booted.client.status(tripId)).body.outcome, "running");

        const report = await booted.client.outcome(tripId);
        // The execution ended compensation_failed; its repair (which fails too) may have begun already.
        assert.ok(["compensation_failed", "repairing"].includes(report.outcome), report.outcome);
        assert.equal(report.error, SagaErrors.CompensationFailed);
        // The cause is the saga's own JSON, as on AWS (the engine's States.JsonToString is corrected
        // in local/sfn/engine.ts): the payment's failure and each failed compensation, parsed, each
        // error as callers see it (its type and message, no stack trace).
        const cause = report.cause as { failure: { errorType: string }; compensationFailures: Record<string, { errorType: string; errorMessage: string }> };
        assert.equal(typeof cause, "object", `the status route parsed the cause: ${JSON.stringify(report.cause)}`);
        assert.equal(cause.failure.errorType, "PaymentFailed");
        assert.deepEqual(Object.keys(cause.compensationFailures).sort(), ["Flight", "Hotel", "Payment"]);
        assert.deepEqual(Object.keys(cause.compensationFailures.Flight).sort(), ["errorMessage", "errorType"]);
        assert.equal(cause.compensationFailures.Flight.errorType, "InjectedCompensationFailure");
        // Nothing was undone: the hotel and flight stay pending (the payment failed before it was taken).
        assert.deepEqual(summaryOf(report.records), [
            { type: "Flight", transaction_status: "pending" },
            { type: "Hotel", transaction_status: "pending" },
        ]);

        const failureQueue = String(booted.cloud.outputs.failureQueueUrl).split("/").pop();
        const queued = (await booted.client.get(`${booted.cloud.url}/_local/queues/${failureQueue}`)).body.messages as { json: Record<string, any> }[];
        const messages = queued.map(({ json }) => json).filter((message) => message.sagaId === tripId);
        assert.deepEqual(messages.map((m) => [m.step, m.state, m.error.Error]), [
            ["Payment", "Refund Payment", "InjectedCompensationFailure"],
            ["Flight", "Cancel Flight", "InjectedCompensationFailure"],
            ["Hotel", "Cancel Hotel", "InjectedCompensationFailure"],
        ]);
        assert.match(messages[0].executionArn, new RegExp(`:execution:booking-machine-[0-9a-f]{7}:${tripId}$`));
    });

    it("shows each failed compensation's retries in the log", () => {
        const retries = booted.lines.filter((line) => /~ {2}retrying Refund Payment \(retry \d of 3\)/.test(line));
        assert.ok(retries.length >= 3, booted.lines.join("\n"));
        assert.ok(booted.lines.some((line) => /COMPENSATION FAILED/.test(line)));
    });
});
