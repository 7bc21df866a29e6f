// Helpers the handler tests share: a fresh trip, the statuses of its records, and an assertion on
// the named errors the handlers throw (what Step Functions' Retry and Catch match).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { demoTrip } from "../../handlers/travel/trip";

/** The demo itinerary under a trip id no other test uses. */
export const newTrip = (runType?: string) => demoTrip(`trip-${randomUUID()}`, runType);

/** The `transaction_status` of each record, in the order given (sort key order for a Query). */
export const statusesOf = (items: Record<string, string>[]) => items.map((item) => item.transaction_status);

/** Asserts that `promise` rejects with an error of this name, its message matching `message` when given. */
export const rejectsWith = (promise: Promise<unknown>, name: string, message?: RegExp) =>
    assert.rejects(promise, (error: Error) => {
        assert.equal(error.name, name);
        if (message) assert.match(error.message, message);
        return true;
    });
