// GET /?orderID=...&runType=... places one order (the start function behind the API).
import { createStartHandler } from "saga/handlers/lib/start";
import { demoOrder, ORDER_RUN_TYPES } from "./order";

export const handler = createStartHandler({
    idParameter: "orderID",
    idField: "orderId",
    runTypes: ORDER_RUN_TYPES,
    buildInput: demoOrder,
});
