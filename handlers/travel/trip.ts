// The travel saga's input and its failure-injection run types, shared by the start Lambda and
// every step Lambda.
import type { InjectedFailureSpec } from "../lib/failures";
import type { SagaEvent } from "../lib/saga-event";

/** The execution input (the saga's state), as the start Lambda builds it. */
export interface TripInput extends SagaEvent {
    trip_id: string;
    depart: string;
    depart_at: string;
    arrive: string;
    arrive_at: string;
    hotel: string;
    check_in: string;
    check_out: string;
    rental: string;
    rental_from: string;
    rental_to: string;
}

/** The start request's query parameter of the trip id, e.g. `?tripID=trip-1`. */
export const TRIP_ID_PARAMETER = "tripID";

/** The input field holding the trip id: the table's partition key and the execution name. */
export const TRIP_ID_FIELD = "trip_id";

/** The sort key prefix of each step's record (`HOTEL#<id>`), by step name. */
export const RECORD_TYPES = { Hotel: "HOTEL", Flight: "FLIGHT", Payment: "PAYMENT" } as const;

/**
 * Each run type (the original's values) and the error its injected failure throws. The names are
 * distinct so an execution's history says at a glance which failure was asked for.
 */
export const INJECTED_FAILURES = {
    failHotelReservation: "HotelReservationFailed",
    failHotelConfirmation: "HotelConfirmationFailed",
    failFlightsReservation: "FlightReservationFailed",
    failFlightsConfirmation: "FlightConfirmationFailed",
    failPayment: "PaymentFailed",
} as const;

export type RunType = keyof typeof INJECTED_FAILURES;
export const RUN_TYPES = Object.keys(INJECTED_FAILURES) as RunType[];

/** The failure a run type injects, in the form the shared handlers take. */
export function injected(runType: RunType): InjectedFailureSpec {
    return { runType, error: INJECTED_FAILURES[runType] };
}

/** The fixed itinerary of the demo, as in the original. */
export const DEMO_ITINERARY = {
    depart: "London",
    depart_at: "2021-07-10T06:00:00.000Z",
    arrive: "Dublin",
    arrive_at: "2021-07-12T08:00:00.000Z",
    hotel: "holiday inn",
    check_in: "2021-07-10T12:00:00.000Z",
    check_out: "2021-07-12T14:00:00.000Z",
    rental: "Volvo",
    rental_from: "2021-07-10T00:00:00.000Z",
    rental_to: "2021-07-12T00:00:00.000Z",
} as const satisfies Omit<TripInput, "trip_id" | "run_type">;

export function demoTrip(tripId: string, runType?: string): TripInput {
    return { trip_id: tripId, ...DEMO_ITINERARY, ...(runType !== undefined ? { run_type: runType } : {}) };
}
