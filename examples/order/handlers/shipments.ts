// A shipment is booked with the courier (pending), dispatched (confirmed) once the order is paid
// and its stock committed, or cancelled (a tombstone). The courier's function books it (see
// courier.ts); the saga's own functions dispatch and cancel it (shipping.ts): one record, one spec.
import { createReservationHandlers } from "saga/handlers/lib/reservation";
import { requireStrings } from "saga/handlers/lib/saga-event";
import { ORDER_ID_FIELD, orderFailure } from "./order";

export const shipments = createReservationHandlers({
    type: "SHIPMENT",
    label: "Shipment",
    sagaIdField: ORDER_ID_FIELD,
    attributes: (event) => requireStrings(event, ["address"], "Book Courier"),
    failures: { confirm: orderFailure("failDispatch") },
});
