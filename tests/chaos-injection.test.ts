// The faults the handler library injects into every record write when a stack sets SAGA_CHAOS
// (handlers/lib/chaos.ts): each fault's named error and what it leaves in the table, at-least-once
// delivery, the seeded draws, and the refusal of malformed settings.
// First: the fake AWS environment must be in place before the handlers create their SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { Env } from "../components/model/conventions";
import { ChaosErrors, lateDuplicatesDelivered, seededDraws } from "../handlers/lib/chaos";
import * as hotel from "../handlers/travel/hotel";
import * as payment from "../handlers/travel/payment";
import { withEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { newTrip, rejectsWith, statusesOf } from "./support/records";

const SEED = 7;
const chaos = (settings: Record<string, number>) => ({ [Env.chaos]: JSON.stringify({ seed: SEED, ...settings }) });

describe("chaos injected by the handler library (SAGA_CHAOS)", () => {
    let table: LocalTable;
    before(async () => {
        table = await localTable();
    });

    it("fails a write before it is made with ChaosFailedBeforeWrite: nothing is written", async () => {
        const trip = newTrip();
        await withEnv(chaos({ failBeforeWrite: 1 }), () => rejectsWith(hotel.reserve(trip), ChaosErrors.failedBeforeWrite, /before its write/));
        assert.deepEqual(await table.itemsOf(trip.trip_id), []);
    });

    it("fails a write after it is made with ChaosFailedAfterWrite: the record is written, as after a timeout", async () => {
        const trip = newTrip();
        await withEnv(chaos({ failAfterWrite: 1 }), () => rejectsWith(hotel.reserve(trip), ChaosErrors.failedAfterWrite, /after its write/));
        assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["pending"]);
    });

    it("a payment taken and then failed (as after a timeout) is found and refunded by its compensation", async () => {
        const trip = newTrip();
        await withEnv(chaos({ failAfterWrite: 1 }), () => rejectsWith(payment.take(trip), ChaosErrors.failedAfterWrite));
        assert.equal((await payment.refund(trip)).refunded, true);
        assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["refunded"]);
    });

    it("delivers every write twice, at once or late: each saga still ends with one record, and every late duplicate arrives", async () => {
        const trips = Array.from({ length: 8 }, () => newTrip());
        await withEnv(chaos({ duplicateDelivery: 1, maxDuplicateDelayMs: 20 }), async () => {
            await Promise.all(trips.map(async (trip) => (await hotel.reserve(trip), await hotel.confirm(trip))));
            await lateDuplicatesDelivered();
        });
        // A reserve delivered again after the confirm conflicts, and its error reaches nobody.
        for (const trip of trips) assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["confirmed"]);
    });

    it("draws the same numbers from the same seed, write and attempt, and others from any other", () => {
        const draws = seededDraws(SEED, "reserve", "trip-1\nHOTEL#1", 1);
        assert.equal(draws.length, 8);
        assert.ok(draws.every((draw) => draw >= 0 && draw < 1), String(draws));
        assert.deepEqual(seededDraws(SEED, "reserve", "trip-1\nHOTEL#1", 1), draws);
        for (const other of [
            seededDraws(SEED + 1, "reserve", "trip-1\nHOTEL#1", 1),
            seededDraws(SEED, "confirm", "trip-1\nHOTEL#1", 1),
            seededDraws(SEED, "reserve", "trip-2\nHOTEL#1", 1),
            seededDraws(SEED, "reserve", "trip-1\nHOTEL#1", 2),
        ]) {
            assert.notDeepEqual(other, draws);
        }
    });

    it("seeds the original's random compensation failures too: each attempt fails as its draw says", async () => {
        const trip = newTrip();
        const rate = 0.5;
        // A seed alone: no fault of its own, but the compensation failures are drawn from it.
        await withEnv({ ...chaos({}), [Env.compensationFailureRate]: String(rate) }, async () => {
            for (let attempt = 1; attempt <= 6; attempt++) {
                const fails = seededDraws(SEED, "compensation", `Cancel Hotel\n${trip.trip_id}`, attempt)[0] < rate;
                const outcome = await hotel.cancel(trip).then(
                    () => "cancelled",
                    (error: Error) => error.name,
                );
                assert.equal(outcome, fails ? "InjectedCompensationFailure" : "cancelled", `attempt ${attempt}`);
            }
        });
    });

    it("injects nothing when every probability is 0", async () => {
        const trip = newTrip();
        await withEnv(chaos({ failBeforeWrite: 0, failAfterWrite: 0, duplicateDelivery: 0 }), () => hotel.reserve(trip));
        assert.deepEqual(statusesOf(await table.itemsOf(trip.trip_id)), ["pending"]);
    });

    it("refuses malformed settings with InvalidConfiguration naming the variable and the setting", async () => {
        const cases: [string, RegExp][] = [
            ["not json", /SAGA_CHAOS must be a JSON object of chaos settings: Unexpected token/],
            ['{"failBeforeWrite":2}', /`SAGA_CHAOS.failBeforeWrite` must be a number from 0 to 1\./],
            ['{"failBeforewrite":0.1}', /`SAGA_CHAOS` has no setting "failBeforewrite"; the settings are seed, failBeforeWrite, failAfterWrite, duplicateDelivery, maxDuplicateDelayMs\./],
            ["[0.1]", /`SAGA_CHAOS` must be an object of fault probabilities/],
        ];
        for (const [value, message] of cases) {
            await withEnv({ [Env.chaos]: value }, () => rejectsWith(hotel.reserve(newTrip()), "InvalidConfiguration", message));
        }
    });
});
