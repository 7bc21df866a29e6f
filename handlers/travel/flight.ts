// Lambdas of the Flight step: Reserve Flight (pending booking), Confirm Flight, Cancel Flight (delete).
import { createReservationHandlers } from "../lib/reservation";
import { requireStrings } from "../lib/saga-event";
import { injected, RECORD_TYPES, TRIP_ID_FIELD } from "./trip";

const flight = createReservationHandlers({
    type: RECORD_TYPES.Flight,
    label: "Flight",
    sagaIdField: TRIP_ID_FIELD,
    attributes: (event) => requireStrings(event, ["depart", "depart_at", "arrive", "arrive_at"], "Reserve Flight"),
    failures: { reserve: injected("failFlightsReservation"), confirm: injected("failFlightsConfirmation") },
});

export const { reserve, confirm, cancel } = flight;
