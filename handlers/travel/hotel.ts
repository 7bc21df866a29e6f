// Lambdas of the Hotel step: Reserve Hotel (pending booking), Confirm Hotel, Cancel Hotel (delete).
import { createReservationHandlers } from "../lib/reservation";
import { requireStrings } from "../lib/saga-event";
import { injected, RECORD_TYPES, TRIP_ID_FIELD } from "./trip";

const hotel = createReservationHandlers({
    type: RECORD_TYPES.Hotel,
    label: "Hotel",
    sagaIdField: TRIP_ID_FIELD,
    attributes: (event) => requireStrings(event, ["hotel", "check_in", "check_out"], "Reserve Hotel"),
    failures: { reserve: injected("failHotelReservation"), confirm: injected("failHotelConfirmation") },
});

export const { reserve, confirm, cancel } = hotel;
