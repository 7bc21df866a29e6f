// POST /?orderID=...&runType=... with an order as its JSON body places that order; without a body
// (GET, or a POST with none) it places the demo order (the start function behind the API).
import { jsonSchema } from "saga/handlers/lib/json-schema";
import { createStartHandler } from "saga/handlers/lib/start";
import { ORDER_INPUT_SCHEMA, ORDER_RUN_TYPES, orderInput } from "./order";

export const handler = createStartHandler({
    idParameter: "orderID",
    idField: "orderId",
    runTypes: ORDER_RUN_TYPES,
    inputSchema: jsonSchema(ORDER_INPUT_SCHEMA),
    buildInput: orderInput,
});
