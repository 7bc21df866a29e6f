// Hold Stock, Commit Stock and Release Stock. Stock is held (pending) while the order is placed;
// once every step has reserved, Commit Stock confirms it and asks the warehouse to pick it (a
// message on the warehouse's FIFO queue, WAREHOUSE_QUEUE_URL); Release Stock cancels the hold and,
// when the stock had been committed, asks the warehouse to cancel the pick.
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { log, requireEnv } from "saga/handlers/lib/env";
import { getRecord, isConflictOn, recordKey, RecordStatus } from "saga/handlers/lib/records";
import { createReservationHandlers } from "saga/handlers/lib/reservation";
import { requireSagaId, sagaFailureOf } from "saga/handlers/lib/saga-event";
import { ORDER_ID_FIELD, orderFailure, OrderLine, orderLinesOf } from "./order";

export const WAREHOUSE_QUEUE_URL = "WAREHOUSE_QUEUE_URL";
const STOCK = "STOCK";

const stock = createReservationHandlers({
    type: STOCK,
    label: "Stock",
    sagaIdField: ORDER_ID_FIELD,
    // What is held, readable in the record: "2 x BOOK-978-0, 1 x MUG-042".
    attributes: (event) => ({ items: orderLinesOf(event, "Hold Stock").map((line) => `${line.quantity} x ${line.sku}`).join(", ") }),
    failures: { reserve: orderFailure("failStock") },
});

// Created once per container; the SDK reads AWS_ENDPOINT_URL_SQS itself, as on Lambda.
const sqs = new SQSClient({});

/** What the warehouse is asked: pick an order's stock, or cancel that pick. */
export interface WarehouseMessage {
    type: "PickOrder" | "CancelPick";
    orderId: string;
    lines: OrderLine[];
}

/**
 * One message per request and order. The queue is FIFO: an order's messages arrive in the order
 * sent (a CancelPick never overtakes its PickOrder), and a request sent again within five minutes
 * (a retried action, a duplicate delivery) is accepted once, by its deduplication id.
 */
async function askWarehouse(message: WarehouseMessage): Promise<void> {
    const { MessageId } = await sqs.send(
        new SendMessageCommand({
            QueueUrl: requireEnv(WAREHOUSE_QUEUE_URL),
            MessageBody: JSON.stringify(message),
            MessageGroupId: message.orderId,
            MessageDeduplicationId: `${message.type}-${message.orderId}`,
            MessageAttributes: { type: { DataType: "String", StringValue: message.type } },
        }),
    );
    log("info", "Asked the warehouse", { ...message, messageId: MessageId });
}

export const hold = stock.reserve;

export async function commit(event: unknown) {
    const lines = orderLinesOf(event, "Commit Stock");
    // Confirmed first: if the message then fails, Release Stock finds the stock committed and
    // cancels a pick that may or may not have been asked for; the other order would leave a pick
    // asked for that nothing cancels.
    const result = await stock.confirm(event);
    await askWarehouse({ type: "PickOrder", orderId: result.key.pk, lines });
    return result;
}

export async function release(event: unknown) {
    const orderId = requireSagaId(event, ORDER_ID_FIELD, "Release Stock");
    const key = recordKey(orderId, STOCK);
    // Before the tombstone replaces the record: a retry after a failed message must still see
    // that the stock was committed. A record of another run (a conflict) is not ours to cancel.
    if (!isConflictOn(sagaFailureOf(event), key)) {
        const held = await getRecord(key);
        if (held?.transaction_status === RecordStatus.confirmed) {
            await askWarehouse({ type: "CancelPick", orderId, lines: orderLinesOf(event, "Release Stock") });
        }
    }
    return stock.cancel(event);
}
