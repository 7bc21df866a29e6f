// The chaos run's invariant checker (chaos/invariants.ts) on hand-made evidence: it passes sagas
// that ended well, and each invariant catches the bad data it is meant to, so a chaos run that
// reports no violation means something.
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import { executionEvidence } from "../chaos/evidence";
import { checkInvariants } from "../chaos/invariants";
import { ExecutionEvidence, TRAVEL_MODEL, TripEvidence } from "../chaos/model";
import { SagaErrors } from "../components/model/conventions";
import { recordId } from "../handlers/lib/records";
import { RECORD_TYPES } from "../handlers/travel/trip";

const FORWARD = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"];
const NOT_TASKS = ["Succeeded", "Rolled Back", "Summarize Compensation Failures", "Compensation Failed"];

/** An execution that entered `states`; every Task attempt succeeded but those in `failures` (state -> error). */
function execution(status: string, states: string[], failures: Record<string, string> = {}): ExecutionEvidence {
    const error = { SUCCEEDED: undefined, RUNNING: undefined, ROLLED_BACK: SagaErrors.RolledBack, COMPENSATION_FAILED: SagaErrors.CompensationFailed }[status];
    const attempts = states.filter((state) => !NOT_TASKS.includes(state)).map((state) => (failures[state] ? { state, error: failures[state] } : { state }));
    return { status: status === "RUNNING" || status === "SUCCEEDED" ? status : "FAILED", ...(error ? { error } : {}), statesEntered: states, attempts };
}

const record = (tripId: string, step: keyof typeof RECORD_TYPES, status: string, id = recordId(tripId, RECORD_TYPES[step])) => ({
    pk: tripId,
    sk: `${RECORD_TYPES[step]}#${id}`,
    type: step,
    transaction_status: status,
});

/** Sagas that ended well, one of each outcome, as a chaos run finds them. */
const good = {
    succeeded: (): TripEvidence => ({
        tripId: "ok",
        execution: execution("SUCCEEDED", [...FORWARD, "Succeeded"]),
        records: [record("ok", "Flight", "confirmed"), record("ok", "Hotel", "confirmed"), record("ok", "Payment", "confirmed")],
        failureRecords: [],
    }),
    /** A confirm failed: everything compensated newest first; the payment stays, refunded. */
    rolledBack: (): TripEvidence => ({
        tripId: "back",
        execution: execution("ROLLED_BACK", [...FORWARD.slice(0, 4), "Refund Payment", "Cancel Flight", "Cancel Hotel", "Rolled Back"], {
            "Confirm Hotel": "ChaosFailedBeforeWrite",
        }),
        records: [record("back", "Flight", "cancelled"), record("back", "Hotel", "cancelled"), record("back", "Payment", "refunded")],
        failureRecords: [],
    }),
    /** The payment failed; Cancel Flight failed all its retries, leaving the flight pending, on the queue. */
    compensationFailed: (flight = "pending"): TripEvidence => ({
        tripId: "broken",
        execution: execution(
            "COMPENSATION_FAILED",
            [...FORWARD.slice(0, 3), "Refund Payment", "Cancel Flight", "Record Flight compensation failure", "Cancel Hotel (after a failed compensation)", "Summarize Compensation Failures", "Compensation Failed"],
            { "Take Payment": "ChaosFailedBeforeWrite", "Cancel Flight": "InjectedCompensationFailure" },
        ),
        records: [record("broken", "Flight", flight), record("broken", "Hotel", "cancelled"), record("broken", "Payment", "cancelled")],
        failureRecords: ["Flight"],
    }),
};

/** The violations of each invariant that has any: invariant name -> messages. */
function violationsOf(...trips: TripEvidence[]): Record<string, string[]> {
    const { invariants } = checkInvariants(trips, TRAVEL_MODEL);
    return Object.fromEntries(invariants.filter((i) => i.violations.length > 0).map((i) => [i.name, i.violations.map((v) => `${v.tripId}: ${v.message}`)]));
}

/** The violations of the invariant whose name starts with `invariant`. */
function violationsNamed(trip: TripEvidence, invariant: string): string[] {
    const found = violationsOf(trip);
    const name = Object.keys(found).find((candidate) => candidate.startsWith(invariant));
    assert.ok(name, `expected a violation of "${invariant}" among ${JSON.stringify(found, null, 2)}`);
    return found[name];
}

/** Asserts that the invariant whose name starts with `invariant` caught exactly `message`. */
function assertCaught(trip: TripEvidence, invariant: string, message: string): void {
    assert.deepEqual(violationsNamed(trip, invariant), [`${trip.tripId}: ${message}`]);
}

describe("the chaos run's invariant checker", () => {
    it("passes sagas that ended well, and counts their outcomes and failure records", () => {
        const check = checkInvariants([good.succeeded(), good.rolledBack(), good.compensationFailed()], TRAVEL_MODEL);
        assert.deepEqual(violationsOf(good.succeeded(), good.rolledBack(), good.compensationFailed()), {});
        assert.deepEqual(check.outcomes, { succeeded: 1, rolled_back: 1, compensation_failed: 1 });
        assert.deepEqual(check.failureRecords, { leftData: 1, leftNothing: 0 });
        assert.equal(check.invariants.length, 8);
    });

    it("accepts a failure record of a compensation that did its work and then failed, and counts it apart", () => {
        const check = checkInvariants([good.compensationFailed("cancelled")], TRAVEL_MODEL);
        assert.deepEqual(violationsOf(good.compensationFailed("cancelled")), {});
        assert.deepEqual(check.failureRecords, { leftData: 0, leftNothing: 1 });
    });

    it("catches a duplicate record", () => {
        const trip = good.succeeded();
        trip.records.push(record("ok", "Hotel", "confirmed", "another-id"));
        assertCaught(trip, "no duplicate records", "Hotel has 2 records");
    });

    it("catches a record of no step", () => {
        const trip = good.rolledBack();
        trip.records.push({ pk: "back", sk: "CAR#1", type: "Car", transaction_status: "cancelled" });
        assertCaught(trip, "no duplicate records", "a record of no step: CAR#1");
    });

    it("catches a phantom confirmed record: confirmed, though its confirm never ran", () => {
        const trip = good.compensationFailed("confirmed");
        assertCaught(trip, "no phantom records", 'Flight is confirmed, but "Confirm Flight" never ran');
    });

    it("catches a record without its reserve", () => {
        const trip: TripEvidence = {
            tripId: "early",
            execution: execution("ROLLED_BACK", ["Reserve Hotel", "Cancel Hotel", "Rolled Back"], { "Reserve Hotel": "ChaosFailedBeforeWrite" }),
            records: [record("early", "Hotel", "cancelled"), record("early", "Flight", "cancelled")],
            failureRecords: [],
        };
        assertCaught(trip, "no phantom records", 'Flight has a record, but "Reserve Flight" never ran');
    });

    it("catches a booking left behind by a saga that says it rolled back", () => {
        const trip = good.rolledBack();
        trip.records[0] = record("back", "Flight", "pending");
        assertCaught(trip, "rolled back: nothing left", "rolled back, but Flight is left pending");
    });

    it("catches a succeeded saga with a step not confirmed", () => {
        const trip = good.succeeded();
        trip.records[1] = record("ok", "Hotel", "pending");
        assertCaught(trip, "succeeded: every step", "succeeded, but Hotel has [pending]");
    });

    it("catches a payment deleted instead of refunded", () => {
        for (const left of [[], [record("back", "Payment", "cancelled")]]) {
            const trip = good.rolledBack();
            trip.records = [...trip.records.slice(0, 2), ...left];
            assertCaught(trip, "no payment without its audit trail", `"Take Payment" took the payment, but its record is ${left.length ? "cancelled" : "absent"}: deleted, not refunded`);
        }
    });

    it("catches compensations out of order", () => {
        const trip = good.rolledBack();
        const states = trip.execution!.statesEntered;
        trip.execution!.statesEntered = [...states.slice(0, 5), "Cancel Hotel", "Cancel Flight", "Rolled Back"];
        assertCaught(trip, "compensations ran newest first", "compensated Payment, Hotel, Flight; expected Payment, Flight, Hotel");
    });

    it("catches a compensation skipped, and one run for a step that never started", () => {
        const skipped = good.rolledBack();
        skipped.execution!.statesEntered = skipped.execution!.statesEntered.filter((state) => state !== "Cancel Flight");
        assertCaught(skipped, "compensations ran newest first", "compensated Payment, Hotel; expected Payment, Flight, Hotel");
        const extra = good.succeeded();
        extra.execution!.statesEntered.splice(5, 0, "Cancel Hotel");
        assertCaught(extra, "compensations ran newest first", "compensated Hotel; expected none");
    });

    it("catches a failure record naming a step that left nothing and whose compensation did not fail", () => {
        const trip = good.compensationFailed();
        trip.failureRecords.push("Hotel");
        assertCaught(trip, "compensation failed: the failure queue", "the failure queue names Hotel, whose compensation did not fail");
    });

    it("catches a step that left data behind but is missing from the failure queue", () => {
        const trip = good.compensationFailed();
        trip.records[1] = record("broken", "Hotel", "pending");
        assertCaught(trip, "compensation failed: the failure queue", "Hotel is left pending, but the failure queue does not name it");
        const unrecorded = good.compensationFailed();
        unrecorded.failureRecords = [];
        assert.deepEqual(violationsNamed(unrecorded, "compensation failed: the failure queue"), [
            "broken: Flight is left pending, but the failure queue does not name it",
            "broken: Flight's compensation failed, but the failure queue has no record of it",
        ]);
    });

    it("catches failure records of a saga that did not end compensation_failed", () => {
        const trip = good.rolledBack();
        trip.failureRecords = ["Hotel"];
        assertCaught(trip, "compensation failed: the failure queue", "the failure queue names Hotel, but the saga ended rolled_back");
    });

    it("reads the states entered and every Task attempt from an execution's history", () => {
        const entered = (name: string, type = "Task") => ({ type: `${type}StateEntered`, stateEnteredEventDetails: { name } });
        const history = [
            { type: "ExecutionStarted" },
            entered("Reserve Hotel"),
            { type: "TaskScheduled" },
            { type: "TaskFailed", taskFailedEventDetails: { error: "ChaosFailedAfterWrite" } },
            entered("Cancel Hotel"),
            { type: "TaskFailed", taskFailedEventDetails: { error: "InjectedCompensationFailure" } },
            { type: "TaskTimedOut", taskTimedOutEventDetails: {} },
            { type: "TaskSucceeded" },
            { type: "TaskStateExited" },
            entered("Rolled Back", "Fail"),
            { type: "ExecutionFailed" },
        ];
        const events = history.map((event, i) => ({ ...event, id: i + 1, timestamp: new Date() }) as HistoryEvent);
        assert.deepEqual(executionEvidence("FAILED", SagaErrors.RolledBack, events), {
            status: "FAILED",
            error: SagaErrors.RolledBack,
            statesEntered: ["Reserve Hotel", "Cancel Hotel", "Rolled Back"],
            attempts: [
                { state: "Reserve Hotel", error: "ChaosFailedAfterWrite" },
                { state: "Cancel Hotel", error: "InjectedCompensationFailure" },
                { state: "Cancel Hotel", error: "States.Timeout" },
                { state: "Cancel Hotel" },
            ],
        });
    });

    it("catches a saga that never ended, and one that never ran", () => {
        const running: TripEvidence = { ...good.succeeded(), execution: execution("RUNNING", ["Reserve Hotel"]) };
        assertCaught(running, "every saga ended", "the execution ended RUNNING, not in a saga outcome");
        const never: TripEvidence = { tripId: "never", records: [], failureRecords: [] };
        assertCaught(never, "every saga ended", "no execution ran under this saga's id");
    });
});
