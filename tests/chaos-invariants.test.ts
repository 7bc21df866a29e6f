// The chaos run's invariant checker (chaos/invariants.ts) on hand-made evidence: it passes sagas
// that ended well (on time, late after a repair, or past the repair horizon on the needs-attention
// queue), and each invariant catches the bad data it is meant to, so a chaos run that reports no
// violation means something.
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import { executionEvidence } from "../chaos/evidence";
import { CheckSettings, checkInvariants } from "../chaos/invariants";
import { ExecutionEvidence, TRAVEL_MODEL, TripEvidence } from "../chaos/model";
import { SagaErrors } from "../components/model/conventions";
import { recordId } from "../handlers/lib/records";
import { RECORD_TYPES } from "../handlers/travel/trip";

const FORWARD = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"];
const NOT_TASKS = ["Succeeded", "Rolled Back", "Summarize Compensation Failures", "Compensation Failed", "Repaired", "Needs Attention"];
/** A repair makes 7 attempts at a compensation before a person is told (a 60-second horizon: 6 retries). */
const SETTINGS: CheckSettings = { repairAttempts: 7 };
const REPAIRED = ["Record Repairing", "Refund Payment", "Cancel Flight", "Cancel Hotel", "Record Rolled Back", "Repaired"];

/**
 * An execution that entered `states`; every Task attempt succeeded but those in `failures`: state ->
 * its error (one failed attempt), or [error, failed attempts, whether an attempt then succeeded].
 */
function execution(status: string, states: string[], failures: Record<string, string | [string, number, boolean]> = {}): ExecutionEvidence {
    const errors: Record<string, string | undefined> = {
        ROLLED_BACK: SagaErrors.RolledBack,
        COMPENSATION_FAILED: SagaErrors.CompensationFailed,
        NEEDS_ATTENTION: SagaErrors.NeedsAttention,
        TIMED_OUT: "States.Timeout",
    };
    const attempts = states
        .filter((state) => !NOT_TASKS.includes(state))
        .flatMap((state) => {
            const failure = failures[state];
            if (failure === undefined) return [{ state }];
            const [error, count, succeeded] = typeof failure === "string" ? [failure, 1, false] : failure;
            return [...Array.from({ length: count }, () => ({ state, error })), ...(succeeded ? [{ state }] : [])];
        });
    const shown = ["RUNNING", "SUCCEEDED", "ABORTED", "TIMED_OUT"].includes(status) ? status : "FAILED";
    return { status: shown, ...(errors[status] ? { error: errors[status] } : {}), statesEntered: states, attempts };
}

const record = (tripId: string, step: keyof typeof RECORD_TYPES, status: string, id = recordId(tripId, RECORD_TYPES[step])) => ({
    pk: tripId,
    sk: `${RECORD_TYPES[step]}#${id}`,
    type: step,
    transaction_status: status,
});

/** The payment failed; Cancel Flight failed all its retries, leaving the flight pending, on the failure queue. */
const compensationFailed = () =>
    execution(
        "COMPENSATION_FAILED",
        [...FORWARD.slice(0, 3), "Refund Payment", "Cancel Flight", "Record Flight compensation failure", "Cancel Hotel (after a failed compensation)", "Summarize Compensation Failures", "Compensation Failed"],
        { "Take Payment": "ChaosFailedBeforeWrite", "Cancel Flight": "InjectedCompensationFailure" },
    );

const outcomeRecord = (tripId: string, outcome: string) => ({ pk: tripId, sk: "SAGA#OUTCOME", type: "SagaOutcome", outcome });

/** Sagas that ended well, one of each outcome, as a chaos run finds them. */
const good = {
    succeeded: (): TripEvidence => ({
        tripId: "ok",
        execution: execution("SUCCEEDED", [...FORWARD, "Succeeded"]),
        records: [record("ok", "Flight", "confirmed"), record("ok", "Hotel", "confirmed"), record("ok", "Payment", "confirmed")],
        failureRecords: [],
        needsAttention: [],
    }),
    /** A confirm failed: everything compensated newest first; the payment stays, refunded. */
    rolledBack: (): TripEvidence => ({
        tripId: "back",
        execution: execution("ROLLED_BACK", [...FORWARD.slice(0, 4), "Refund Payment", "Cancel Flight", "Cancel Hotel", "Rolled Back"], {
            "Confirm Hotel": "ChaosFailedBeforeWrite",
        }),
        records: [record("back", "Flight", "cancelled"), record("back", "Hotel", "cancelled"), record("back", "Payment", "refunded")],
        failureRecords: [],
        needsAttention: [],
    }),
    /** compensationFailed, then the repair cancelled the flight too: rolled back late. */
    repairedLate: (flight = "cancelled"): TripEvidence => ({
        tripId: "late",
        execution: compensationFailed(),
        records: [record("late", "Flight", flight), record("late", "Hotel", "cancelled"), record("late", "Payment", "cancelled")],
        failureRecords: ["Flight"],
        repair: execution("SUCCEEDED", REPAIRED, { "Cancel Flight": ["InjectedCompensationFailure", 2, true] }),
        outcomeRecord: outcomeRecord("late", "rolled_back"),
        needsAttention: [],
    }),
    /** compensationFailed, and the flight's cancel failed in the repair past the horizon: on the needs-attention queue. */
    needsAttention: (): TripEvidence => ({
        tripId: "stuck",
        execution: compensationFailed(),
        records: [record("stuck", "Flight", "pending"), record("stuck", "Hotel", "cancelled"), record("stuck", "Payment", "cancelled")],
        failureRecords: ["Flight"],
        repair: execution(
            "NEEDS_ATTENTION",
            ["Record Repairing", "Refund Payment", "Cancel Flight", "Record Flight needs attention", "Cancel Hotel (after a failed repair)", "Record Needs Attention", "Needs Attention"],
            { "Cancel Flight": ["InjectedCompensationFailure", 7, false] },
        ),
        outcomeRecord: outcomeRecord("stuck", "needs_attention"),
        needsAttention: ["Flight"],
    }),
    /**
     * Stopped while it reserved the flight: nothing compensated by the execution, everything by the
     * repair, whose refund voided the payment never taken (a tombstone).
     */
    stopped: (): TripEvidence => ({
        tripId: "stopped",
        execution: execution("ABORTED", FORWARD.slice(0, 2)),
        records: [record("stopped", "Hotel", "cancelled"), record("stopped", "Flight", "cancelled"), record("stopped", "Payment", "cancelled")],
        failureRecords: [],
        repair: execution("SUCCEEDED", REPAIRED),
        outcomeRecord: outcomeRecord("stopped", "rolled_back"),
        needsAttention: [],
    }),
};
const allGood = () => [good.succeeded(), good.rolledBack(), good.repairedLate(), good.needsAttention(), good.stopped()];

/** The violations of each invariant that has any: invariant name -> messages. */
function violationsOf(...trips: TripEvidence[]): Record<string, string[]> {
    const { invariants } = checkInvariants(trips, TRAVEL_MODEL, SETTINGS);
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
    it("passes sagas that ended well, on time, late or past the horizon, and counts their outcomes and queue messages", () => {
        const check = checkInvariants(allGood(), TRAVEL_MODEL, SETTINGS);
        assert.deepEqual(violationsOf(...allGood()), {});
        assert.deepEqual(check.outcomes, {
            succeeded: 1,
            rolled_back: 1,
            "rolled_back (late, from compensation_failed)": 1,
            "needs_attention (from compensation_failed)": 1,
            "rolled_back (late, from aborted)": 1,
        });
        assert.deepEqual([check.failureRecords, check.needsAttention], [2, 1]);
        assert.equal(check.invariants.length, 9);
    });

    it("catches a saga that was never repaired: compensation failed, stopped, or repairing still", () => {
        const unrepaired = { ...good.repairedLate("pending"), repair: undefined, outcomeRecord: undefined };
        assertCaught(unrepaired, "every saga ended", "the saga ended compensation_failed: the execution ended FAILED (Saga.CompensationFailed)");
        const stopped = { ...good.stopped(), repair: undefined, outcomeRecord: undefined };
        assertCaught(stopped, "every saga ended", "the saga ended aborted: the execution ended ABORTED");
        const repairing = { ...good.stopped(), repair: execution("RUNNING", REPAIRED.slice(0, 2)), outcomeRecord: outcomeRecord("stopped", "repairing") };
        assertCaught(repairing, "every saga ended", "the saga ended repairing: the execution ended ABORTED; its repair ended RUNNING");
    });

    it("catches a booking left behind by a saga its repair says it rolled back", () => {
        assertCaught(good.repairedLate("pending"), "rolled back", "rolled back, but Flight is left pending");
    });

    it("catches a needs-attention message for a step the repair undid, and a step left behind that it does not name", () => {
        const named = good.repairedLate();
        named.needsAttention = ["Flight"];
        assert.deepEqual(violationsNamed(named, "needs attention"), [
            "late: the needs-attention queue names Flight, whose repair did not outlast the horizon (3 attempts)",
            "late: the saga ended rolled_back, but the needs-attention queue names Flight",
        ]);
        const unnamed = good.needsAttention();
        unnamed.needsAttention = [];
        assert.deepEqual(violationsNamed(unnamed, "needs attention"), [
            "stuck: Flight's repair outlasted the horizon, but the needs-attention queue does not name it",
            "stuck: Flight is left pending, but the needs-attention queue does not name it",
            "stuck: the saga ended needs_attention, but the needs-attention queue names none",
        ]);
    });

    it("catches a repair that compensated out of order, and a stopped execution that compensated a step it never reached", () => {
        const disordered = good.stopped();
        disordered.repair = execution("SUCCEEDED", ["Record Repairing", "Cancel Hotel", "Refund Payment", "Cancel Flight", "Record Rolled Back", "Repaired"]);
        assertCaught(disordered, "compensations ran newest first", "the repair compensated Hotel, Payment, Flight; expected Payment, Flight, Hotel");
        const early = good.stopped();
        early.execution = execution("ABORTED", ["Reserve Hotel", "Reserve Flight", "Cancel Hotel"]);
        assertCaught(early, "compensations ran newest first", "compensated Hotel; expected at most Flight, Hotel");
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
        const trip = good.repairedLate("confirmed");
        assertCaught(trip, "no phantom records", 'Flight is confirmed, but "Confirm Flight" never ran');
    });

    it("catches a record without its reserve", () => {
        const trip: TripEvidence = {
            tripId: "early",
            execution: execution("ROLLED_BACK", ["Reserve Hotel", "Cancel Hotel", "Rolled Back"], { "Reserve Hotel": "ChaosFailedBeforeWrite" }),
            records: [record("early", "Hotel", "cancelled"), record("early", "Flight", "cancelled")],
            failureRecords: [],
            needsAttention: [],
        };
        assertCaught(trip, "no phantom records", 'Flight has a record, but "Reserve Flight" never ran');
    });

    it("catches a booking left behind by a saga that says it rolled back", () => {
        const trip = good.rolledBack();
        trip.records[0] = record("back", "Flight", "pending");
        assertCaught(trip, "rolled back", "rolled back, but Flight is left pending");
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

    it("catches a failure record naming a step whose compensation did not fail", () => {
        const trip = good.repairedLate();
        trip.failureRecords.push("Hotel");
        assertCaught(trip, "compensation failed: the failure queue", "the failure queue names Hotel, whose compensation did not fail");
    });

    it("catches a compensation that failed all its retries but is missing from the failure queue", () => {
        const unrecorded = good.repairedLate();
        unrecorded.failureRecords = [];
        assertCaught(unrecorded, "compensation failed: the failure queue", "Flight's compensation failed, but the failure queue has no record of it");
    });

    it("catches failure records of a saga whose execution did not end compensation_failed", () => {
        const trip = good.rolledBack();
        trip.failureRecords = ["Hotel"];
        assertCaught(trip, "compensation failed: the failure queue", "the failure queue names Hotel, but the execution ended rolled_back");
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
        assertCaught(running, "every saga ended", "the saga ended running: the execution ended RUNNING");
        const never: TripEvidence = { tripId: "never", records: [], failureRecords: [], needsAttention: [] };
        assertCaught(never, "every saga ended", "no execution ran under this saga's id");
    });
});
