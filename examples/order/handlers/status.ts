// GET /orders/{orderId} reports one order: its outcome and its records.
import { createStatusHandler } from "saga/handlers/lib/status";

export const handler = createStatusHandler();
