// The reference saga: a holiday booking. Plain data (no Pulumi import), so the stack in index.ts,
// the local runtime and the tests all read the same list. Module paths are relative to the
// project directory, where Pulumi runs the program.
import type { SagaStep } from "../../components/model/args";

export const travelSteps: SagaStep[] = [
    {
        name: "Hotel",
        reserve: { module: "handlers/travel/hotel.ts", export: "reserve", tableAccess: ["PutItem", "GetItem"] },
        confirm: { module: "handlers/travel/hotel.ts", export: "confirm", tableAccess: ["UpdateItem"] },
        cancel: { module: "handlers/travel/hotel.ts", export: "cancel", tableAccess: ["PutItem"] },
    },
    {
        name: "Flight",
        reserve: { module: "handlers/travel/flight.ts", export: "reserve", tableAccess: ["PutItem", "GetItem"] },
        confirm: { module: "handlers/travel/flight.ts", export: "confirm", tableAccess: ["UpdateItem"] },
        cancel: { module: "handlers/travel/flight.ts", export: "cancel", tableAccess: ["PutItem"] },
    },
    {
        name: "Payment",
        reserve: { module: "handlers/travel/payment.ts", export: "take", stateName: "Take Payment", tableAccess: ["PutItem", "GetItem"] },
        cancel: { module: "handlers/travel/payment.ts", export: "refund", stateName: "Refund Payment", tableAccess: ["UpdateItem", "PutItem"] },
    },
];

/** The start Lambda behind the API. */
export const travelStart = { module: "handlers/travel/start.ts", export: "handler" };

/** The status Lambda behind GET /trips/{tripId}; the component grants it Query on the table. */
export const travelStatus = { module: "handlers/travel/status.ts", export: "handler" };
