// The generated state machine of the travel saga, executed by a local ASL engine with every Task
// bound to the real handler its step names, against a real DynamoDB API (dynalite).
// First: the fake AWS environment must be in place before the handlers create their SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Env, SagaErrors } from "../components/model/conventions";
import { setRandomSource } from "../handlers/lib/failures";
import { travelSteps } from "../handlers/travel/steps";
import { demoTrip, INJECTED_FAILURES, RunType, RUN_TYPES } from "../handlers/travel/trip";
import { setEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { LambdaHandler, loadStepHandlers, runLocalSaga } from "./support/local-saga";

const FORWARD = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"];
const COMPENSATE_ALL = ["Refund Payment", "Cancel Flight", "Cancel Hotel", "Rolled Back"];

/** The tombstone a compensated step leaves: it keeps a late duplicate of the reserve from writing the record again. */
const cancelled = (type: string) => ({ type, transaction_status: "cancelled" });

/** For every run type: the states a run enters, and what is left in the table after the rollback. */
const ROLLBACKS: Record<RunType, { states: string[]; left: { type: string; transaction_status: string }[] }> = {
    failHotelReservation: { states: ["Reserve Hotel", "Cancel Hotel", "Rolled Back"], left: [cancelled("Hotel")] },
    failFlightsReservation: {
        states: ["Reserve Hotel", "Reserve Flight", "Cancel Flight", "Cancel Hotel", "Rolled Back"],
        left: [cancelled("Flight"), cancelled("Hotel")],
    },
    // The payment failed before it was recorded: the refund finds nothing to refund and voids it.
    failPayment: { states: [...FORWARD.slice(0, 3), ...COMPENSATE_ALL], left: [cancelled("Flight"), cancelled("Hotel"), cancelled("Payment")] },
    // A taken payment stays as the audit record of its refund.
    failHotelConfirmation: {
        states: [...FORWARD.slice(0, 4), ...COMPENSATE_ALL],
        left: [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }],
    },
    failFlightsConfirmation: {
        states: [...FORWARD, ...COMPENSATE_ALL],
        left: [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }],
    },
};

class FlightSupplierDown extends Error {
    constructor() {
        super("The flight supplier's API is down.");
        this.name = "FlightSupplierDown";
    }
}

describe("the travel saga executed locally", () => {
    let table: LocalTable;
    let handlers: Record<string, LambdaHandler>;
    let restoreEnv: () => void;

    before(async () => {
        table = await localTable();
        handlers = loadStepHandlers(travelSteps);
        restoreEnv = setEnv({ [Env.failureInjection]: "true", [Env.compensationFailureRate]: undefined });
    });
    after(() => restoreEnv());

    /** Books a trip through the whole state machine; returns the run and the trip's records after it. */
    async function book(runType?: RunType, overrides: Record<string, LambdaHandler> = {}) {
        const tripId = `trip-${randomUUID()}`;
        const input = demoTrip(tripId, runType);
        const run = await runLocalSaga({ steps: travelSteps, handlers: { ...handlers, ...overrides }, input, executionName: tripId });
        const records = await table.itemsOf(tripId);
        const summary = records.map(({ type, transaction_status }) => ({ type, transaction_status }));
        return { tripId, input, run, records, summary };
    }

    // Also the proof that the Promise.withResolvers polyfill (in local/sfn/tasks.ts) works: without it
    // every Task throws a TypeError on Node 20, and this run ends Saga.RolledBack after Reserve Hotel.
    it("books the trip: reserves, confirms and succeeds in 6 states, leaving three confirmed records", async () => {
        const { input, run, records, summary } = await book();
        assert.deepEqual(run.statesEntered, [...FORWARD, "Succeeded"]);
        assert.equal(run.error, undefined);
        assert.deepEqual(run.output, input);
        assert.deepEqual(summary, [
            { type: "Flight", transaction_status: "confirmed" },
            { type: "Hotel", transaction_status: "confirmed" },
            { type: "Payment", transaction_status: "confirmed" },
        ]);
        assert.deepEqual(records.find((r) => r.type === "Payment")?.amount, "450.00");
        assert.deepEqual([run.retries, run.queue], [0, []]);
    });

    for (const runType of RUN_TYPES) {
        const expected = ROLLBACKS[runType];
        it(`${runType}: compensates newest first in ${expected.states.length} states and ends Saga.RolledBack with the original error`, async () => {
            const { run, summary } = await book(runType);
            assert.deepEqual(run.statesEntered, expected.states);
            assert.equal(run.error?.name, SagaErrors.RolledBack);
            const cause = JSON.parse(run.error?.cause ?? "{}");
            assert.equal(cause.errorType, INJECTED_FAILURES[runType]);
            assert.match(cause.errorMessage, new RegExp(runType));
            assert.deepEqual(summary, expected.left);
            assert.deepEqual([run.retries, run.queue], [0, []]);
        });
    }

    it("cancels a booking whose reserve wrote and then failed (the key is derived, not passed on)", async () => {
        const writesThenFails: LambdaHandler = async (event) => {
            await handlers["Reserve Flight"](event);
            throw new Error("The response was lost after the write.");
        };
        const { run, summary } = await book(undefined, { "Reserve Flight": writesThenFails });
        assert.deepEqual(run.statesEntered, ["Reserve Hotel", "Reserve Flight", "Cancel Flight", "Cancel Hotel", "Rolled Back"]);
        assert.deepEqual(summary, [cancelled("Flight"), cancelled("Hotel")]);
    });

    // Found by the chaos run (at-least-once delivery): a reserve or a take that failed before its
    // write, delivered again after its compensation had found nothing to undo, wrote into a saga
    // that had rolled back: a pending booking, or a payment taken and never refunded.
    for (const state of ["Reserve Flight", "Take Payment"]) {
        it(`a late duplicate of "${state}", delivered after the rollback, writes nothing into the rolled-back saga`, async () => {
            let duplicate: unknown;
            const failsBeforeWriting: LambdaHandler = (event) => {
                duplicate = event;
                throw new Error("The first delivery failed before its write.");
            };
            const { tripId, run } = await book(undefined, { [state]: failsBeforeWriting });
            assert.equal(run.error?.name, SagaErrors.RolledBack);
            await assert.rejects(Promise.resolve(handlers[state](duplicate)), { name: "RecordConflict" });
            const left = (await table.itemsOf(tripId)).map((record) => record.transaction_status);
            assert.ok(left.every((status) => status === "cancelled"), `left: ${left.join(", ")}`);
        });
    }

    it("refunds a payment whose take did its work and then failed (as after a timeout)", async () => {
        const takesThenFails: LambdaHandler = async (event) => {
            await handlers["Take Payment"](event);
            throw Object.assign(new Error("Task timed out after the payment was taken."), { name: "States.Timeout" });
        };
        const { run, summary } = await book(undefined, { "Take Payment": takesThenFails });
        assert.deepEqual(run.statesEntered, [...FORWARD.slice(0, 3), ...COMPENSATE_ALL]);
        assert.deepEqual(summary, [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }]);
    });

    // A compensation that does its work and then fails in every attempt cannot tell the saga that
    // it worked: the failure queue names the step (it did not report success), and the table shows
    // that nothing of it is left. The chaos run's invariant accepts exactly that pairing.
    it("a cancel that fails after its write in every attempt is recorded as failed, though it left nothing", async () => {
        const cancelsThenFails: LambdaHandler = async (event) => {
            await handlers["Cancel Flight"](event);
            throw new FlightSupplierDown();
        };
        const { run, summary } = await book("failFlightsConfirmation", { "Cancel Flight": cancelsThenFails });
        assert.equal(run.error?.name, SagaErrors.CompensationFailed);
        assert.deepEqual(run.retriesByState, { "Cancel Flight": 3 });
        assert.deepEqual(run.queue.map((message) => message.step), ["Flight"]);
        assert.deepEqual(summary, [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }]);
    });

    it("retries a forward action after a transient Lambda service error and still books the trip", async () => {
        let calls = 0;
        const flakyOnce: LambdaHandler = async (event) => {
            calls += 1;
            if (calls === 1) throw Object.assign(new Error("Rate exceeded"), { name: "Lambda.TooManyRequestsException" });
            return handlers["Reserve Hotel"](event);
        };
        const { run, summary } = await book(undefined, { "Reserve Hotel": flakyOnce });
        assert.deepEqual(run.statesEntered, [...FORWARD, "Succeeded"]);
        assert.deepEqual(run.retriesByState, { "Reserve Hotel": 1 });
        assert.equal(summary.length, 3);
    });

    it("records a compensation that fails all its retries, still cancels the older steps, and ends Saga.CompensationFailed", async () => {
        const alwaysDown: LambdaHandler = () => {
            throw new FlightSupplierDown();
        };
        const { tripId, run, summary } = await book("failPayment", { "Cancel Flight": alwaysDown });

        assert.deepEqual(run.statesEntered, [
            "Reserve Hotel",
            "Reserve Flight",
            "Take Payment",
            "Refund Payment",
            "Cancel Flight",
            "Record Flight compensation failure",
            "Cancel Hotel (after a failed compensation)",
            "Summarize Compensation Failures",
            "Compensation Failed",
        ]);
        assert.deepEqual(run.retriesByState, { "Cancel Flight": 3 });
        // The hotel is cancelled; the flight booking is left behind, and the queue message says which step.
        assert.deepEqual(summary, [{ type: "Flight", transaction_status: "pending" }, cancelled("Hotel"), cancelled("Payment")]);
        assert.equal(run.queue.length, 1);
        const [message] = run.queue as { sagaId: string; executionArn: string; step: string; state: string; error: { Error: string; Cause: string } }[];
        assert.equal(message.sagaId, tripId);
        assert.match(message.executionArn, new RegExp(`:execution:saga-local:${tripId}$`));
        assert.deepEqual([message.step, message.state, message.error.Error], ["Flight", "Cancel Flight", "FlightSupplierDown"]);
        assert.match(JSON.parse(message.error.Cause).errorMessage, /flight supplier/);

        // The cause is States.JsonToString of the saga state: JSON, with each Lambda cause nested as a JSON string.
        assert.equal(run.error?.name, SagaErrors.CompensationFailed);
        const cause = JSON.parse(run.error?.cause ?? "");
        assert.equal(cause.failure.Error, "PaymentFailed");
        assert.equal(cause.compensationFailures.Flight.Error, "FlightSupplierDown");
        assert.match(JSON.parse(cause.compensationFailures.Flight.Cause).errorMessage, /flight supplier/);
    });

    it("with compensation failure rate 0.4, retries the compensations that fail by chance and still rolls back cleanly", async () => {
        // A scripted random source: each compensation draws 0.1 and 0.3 (below 0.4: fails), then 0.9.
        const draws = [0.1, 0.3, 0.9];
        let next = 0;
        const restoreRandom = setRandomSource(() => draws[next++ % draws.length]);
        const restoreRate = setEnv({ [Env.compensationFailureRate]: "0.4" });
        try {
            const { run, summary } = await book("failPayment");
            assert.deepEqual(run.statesEntered, ROLLBACKS.failPayment.states);
            assert.deepEqual(run.retriesByState, { "Refund Payment": 2, "Cancel Flight": 2, "Cancel Hotel": 2 });
            assert.equal(run.error?.name, SagaErrors.RolledBack);
            assert.deepEqual([summary, run.queue], [ROLLBACKS.failPayment.left, []]);
        } finally {
            restoreRate();
            restoreRandom();
        }
    });
});
