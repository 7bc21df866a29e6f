// The travel saga's step Lambdas, called directly against a real DynamoDB API (dynalite).
// First: the fake AWS environment must be in place before the handlers create their SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { Env } from "../components/model/conventions";
import { setRandomSource } from "../handlers/lib/failures";
import { recordId } from "../handlers/lib/records";
import * as flight from "../handlers/travel/flight";
import * as hotel from "../handlers/travel/hotel";
import * as payment from "../handlers/travel/payment";
import { INJECTED_FAILURES, RUN_TYPES } from "../handlers/travel/trip";
import { withEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { newTrip, rejectsWith, statusesOf } from "./support/records";

const injectionOn = { [Env.failureInjection]: "true" };

describe("travel step handlers", () => {
    let table: LocalTable;
    before(async () => {
        table = await localTable();
    });

    describe("Hotel and Flight", () => {
        it("a reserve retried twice writes one pending record with the data model's attributes", async () => {
            const trip = newTrip();
            const first = await hotel.reserve(trip);
            const retries = [await hotel.reserve(trip), await hotel.reserve(trip)];
            assert.equal(first.created, true);
            assert.deepEqual(retries.map((r) => r.created), [false, false]);
            const id = recordId(trip.trip_id, "HOTEL");
            assert.deepEqual(await table.itemsOf(trip.trip_id), [
                {
                    pk: trip.trip_id,
                    sk: `HOTEL#${id}`,
                    trip_id: trip.trip_id,
                    type: "Hotel",
                    id,
                    hotel: "holiday inn",
                    check_in: "2021-07-10T12:00:00.000Z",
                    check_out: "2021-07-12T14:00:00.000Z",
                    transaction_status: "pending",
                },
            ]);
        });

        it("a flight reserve writes the flight's attributes under FLIGHT#<id>", async () => {
            const trip = newTrip();
            await flight.reserve(trip);
            const id = recordId(trip.trip_id, "FLIGHT");
            assert.deepEqual(await table.itemsOf(trip.trip_id), [
                {
                    pk: trip.trip_id,
                    sk: `FLIGHT#${id}`,
                    trip_id: trip.trip_id,
                    type: "Flight",
                    id,
                    depart: "London",
                    depart_at: "2021-07-10T06:00:00.000Z",
                    arrive: "Dublin",
                    arrive_at: "2021-07-12T08:00:00.000Z",
                    transaction_status: "pending",
                },
            ]);
        });

        it("a reserve that finds the record in another state fails with RecordConflict and leaves it as it was", async () => {
            const trip = newTrip();
            await hotel.reserve(trip);
            await hotel.confirm(trip);
            await rejectsWith(hotel.reserve(trip), "RecordConflict", /already exists with other content/);
            assert.equal((await table.itemsOf(trip.trip_id))[0].transaction_status, "confirmed");
        });

        it("a confirm without a reserve fails with RecordNotFound and creates no row", async () => {
            const trip = newTrip();
            await rejectsWith(flight.confirm(trip), "RecordNotFound", /to confirm/);
            assert.deepEqual(await table.itemsOf(trip.trip_id), []);
        });

        it("a confirm twice succeeds and leaves one confirmed record", async () => {
            const trip = newTrip();
            await flight.reserve(trip);
            await flight.confirm(trip);
            await flight.confirm(trip);
            const items = await table.itemsOf(trip.trip_id);
            assert.deepEqual(items.map((item) => item.transaction_status), ["confirmed"]);
        });

        it("a cancel replaces the booking with a tombstone that keeps its identity, not its details; a second finds it cancelled", async () => {
            const trip = newTrip();
            await hotel.reserve(trip);
            assert.equal((await hotel.cancel(trip)).deleted, true);
            const [tombstone] = await table.itemsOf(trip.trip_id);
            assert.equal((await hotel.cancel(trip)).deleted, false);
            const id = recordId(trip.trip_id, "HOTEL");
            const { cancelled_at, ...rest } = tombstone;
            assert.deepEqual(rest, { pk: trip.trip_id, sk: `HOTEL#${id}`, trip_id: trip.trip_id, type: "Hotel", id, transaction_status: "cancelled" });
            assert.ok(!Number.isNaN(Date.parse(cancelled_at)), cancelled_at);
            // The repeat keeps the first cancellation.
            assert.deepEqual(await table.itemsOf(trip.trip_id), [tombstone]);
        });

        it("a cancel after a reserve that wrote and then failed still finds and cancels the record", async () => {
            // The reserve's result never reached the saga; the cancel gets only the saga state.
            const trip = newTrip();
            await flight.reserve(trip);
            const state = { ...trip, saga: { failure: { Error: "States.Timeout", Cause: "Task timed out" } } };
            assert.equal((await flight.cancel(state)).deleted, true);
            assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["cancelled"]);
        });

        // Found by the chaos run: a reserve that failed before its write, delivered again after the
        // cancel had found nothing to delete, wrote a pending booking into a rolled-back saga.
        it("a reserve delivered again after the cancel (a late duplicate) cannot bring the booking back", async () => {
            for (const reservedFirst of [true, false]) {
                const trip = newTrip();
                if (reservedFirst) await flight.reserve(trip);
                await flight.cancel(trip);
                await rejectsWith(flight.reserve(trip), "RecordConflict", /status "cancelled"/);
                await rejectsWith(flight.confirm(trip), "RecordNotFound", /was cancelled/);
                assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["cancelled"], `reserved first: ${reservedFirst}`);
            }
        });

        it("a cancel leaves the record alone when the saga failed because that record belonged to another run", async () => {
            const trip = newTrip();
            await hotel.reserve(trip);
            await hotel.confirm(trip);
            const conflict = await hotel.reserve(trip).then(
                () => assert.fail("the second reserve should conflict"),
                (error: Error) => error,
            );
            const cause = JSON.stringify({ errorType: conflict.name, errorMessage: conflict.message });
            const result = await hotel.cancel({ ...trip, saga: { failure: { Error: conflict.name, Cause: cause } } });
            assert.equal(result.deleted, false);
            assert.equal((await table.itemsOf(trip.trip_id))[0].transaction_status, "confirmed");
        });

        it("record ids are the same across retries, differ across trips and types, and carry 128 bits", () => {
            assert.equal(recordId("trip-a", "HOTEL"), recordId("trip-a", "HOTEL"));
            assert.notEqual(recordId("trip-a", "HOTEL"), recordId("trip-b", "HOTEL"));
            assert.notEqual(recordId("trip-a", "HOTEL"), recordId("trip-a", "FLIGHT"));
            assert.match(recordId("trip-a", "HOTEL"), /^[0-9a-f]{32}$/);
        });

        it("an input without trip_id is rejected with InvalidInput, before any write", async () => {
            const { trip_id: _omitted, ...withoutTrip } = newTrip();
            await rejectsWith(hotel.reserve(withoutTrip), "InvalidInput", /`trip_id`/);
            await rejectsWith(flight.cancel(withoutTrip), "InvalidInput", /`trip_id`/);
        });

        it("an input without the booking's fields is rejected with InvalidInput naming every missing field", async () => {
            const trip = newTrip();
            await rejectsWith(
                flight.reserve({ trip_id: trip.trip_id, depart: "London" }),
                "InvalidInput",
                /`depart_at`, `arrive`, `arrive_at`/,
            );
            assert.deepEqual(await table.itemsOf(trip.trip_id), []);
        });
    });

    describe("Payment", () => {
        it("take writes one confirmed payment of 450.00 USD, even when retried", async () => {
            const trip = newTrip();
            await payment.take(trip);
            await payment.take(trip);
            const id = recordId(trip.trip_id, "PAYMENT");
            assert.deepEqual(await table.itemsOf(trip.trip_id), [
                {
                    pk: trip.trip_id,
                    sk: `PAYMENT#${id}`,
                    trip_id: trip.trip_id,
                    type: "Payment",
                    id,
                    amount: "450.00",
                    currency: "USD",
                    transaction_status: "confirmed",
                },
            ]);
        });

        it("refund keeps the payment as an audit record, status refunded with the first refund's timestamp", async () => {
            const trip = newTrip();
            await payment.take(trip);
            const first = await payment.refund(trip);
            const again = await payment.refund(trip);
            const [record] = await table.itemsOf(trip.trip_id);
            assert.equal(record.transaction_status, "refunded");
            assert.equal(record.amount, "450.00");
            if (!first.refunded || !again.refunded) return assert.fail("both refunds should report the refund");
            assert.equal(record.refunded_at, first.refundedAt);
            assert.equal(again.refundedAt, first.refundedAt);
        });

        it("refund with no payment taken succeeds, says there was nothing to refund, and voids the payment (no amount)", async () => {
            const trip = newTrip();
            const result = await payment.refund(trip);
            assert.equal(result.refunded, false);
            assert.match(String("reason" in result && result.reason), /nothing to refund. It is voided/);
            const [voided] = await table.itemsOf(trip.trip_id);
            assert.deepEqual([voided.type, voided.transaction_status, voided.amount], ["Payment", "cancelled", undefined]);
            assert.equal((await payment.refund(trip)).refunded, false);
        });

        // Found by the chaos run: a take that failed before its write, delivered again after the
        // refund had found nothing, recorded a payment taken for a rolled-back saga, never refunded.
        it("a take delivered again after its refund voided the payment (a late duplicate) records no payment", async () => {
            const trip = newTrip();
            await payment.refund(trip);
            await rejectsWith(payment.take(trip), "RecordConflict", /status "cancelled"/);
            assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["cancelled"]);
        });

        it("a take and its refund delivered at the same time never leave a payment taken and not refunded", async () => {
            for (let i = 0; i < 20; i++) {
                const trip = newTrip();
                const [refunded] = await Promise.all([payment.refund(trip), payment.take(trip).catch((error: Error) => error.name)]);
                const [record] = await table.itemsOf(trip.trip_id);
                // Taken first: refunded. Voided first: the take conflicts and nothing was taken.
                assert.equal(record.transaction_status, refunded.refunded ? "refunded" : "cancelled");
            }
        });
    });

    describe("failure injection", () => {
        it("ignores the run type when SAGA_FAILURE_INJECTION is not \"true\"", async () => {
            for (const setting of [undefined, "false", "yes"]) {
                const trip = newTrip("failHotelReservation");
                await withEnv({ [Env.failureInjection]: setting }, () => hotel.reserve(trip));
                assert.equal((await table.itemsOf(trip.trip_id)).length, 1, `with ${setting}`);
            }
        });

        it("makes each run type's action throw its own named error before writing", async () => {
            const cases = [
                { runType: "failHotelReservation", action: hotel.reserve },
                { runType: "failHotelConfirmation", action: hotel.confirm },
                { runType: "failFlightsReservation", action: flight.reserve },
                { runType: "failFlightsConfirmation", action: flight.confirm },
                { runType: "failPayment", action: payment.take },
            ] as const;
            assert.deepEqual(cases.map((c) => c.runType).sort(), [...RUN_TYPES].sort());
            assert.equal(new Set(Object.values(INJECTED_FAILURES)).size, RUN_TYPES.length);
            for (const { runType, action } of cases) {
                const trip = newTrip(runType);
                await withEnv(injectionOn, () => rejectsWith(action(trip), INJECTED_FAILURES[runType], new RegExp(runType)));
                assert.deepEqual(await table.itemsOf(trip.trip_id), [], `${runType} wrote a record`);
            }
        });

        it("with compensation failure rate 1, a cancel or refund fails before touching any data", async () => {
            const trip = newTrip();
            await hotel.reserve(trip);
            await payment.take(trip);
            await withEnv({ [Env.compensationFailureRate]: "1" }, async () => {
                await rejectsWith(hotel.cancel(trip), "InjectedCompensationFailure", /Cancel Hotel/);
                await rejectsWith(payment.refund(trip), "InjectedCompensationFailure", /Refund Payment/);
            });
            const statuses = (await table.itemsOf(trip.trip_id)).map((item) => item.transaction_status);
            assert.deepEqual(statuses, ["pending", "confirmed"]);
        });

        it("with compensation failure rate 0, a cancel never fails, even on the lowest random draw", async () => {
            const restore = setRandomSource(() => 0);
            try {
                const trip = newTrip();
                await withEnv({ [Env.compensationFailureRate]: "0" }, () => hotel.cancel(trip));
            } finally {
                restore();
            }
        });

        it("an invalid compensation failure rate is an InvalidConfiguration naming the variable", async () => {
            for (const rate of ["1.5", "-0.1", "often"]) {
                await withEnv({ [Env.compensationFailureRate]: rate }, () =>
                    rejectsWith(hotel.cancel(newTrip()), "InvalidConfiguration", /SAGA_COMPENSATION_FAILURE_RATE must be a number from 0 to 1/),
                );
            }
        });

        it("a missing TABLE_NAME fails fast with a message naming it", async () => {
            await withEnv({ [Env.tableName]: undefined }, () =>
                rejectsWith(hotel.reserve(newTrip()), "InvalidConfiguration", /TABLE_NAME environment variable is not set/),
            );
        });
    });
});
