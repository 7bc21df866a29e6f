// The order saga's input, its run types (failure injection) and its price, shared by its handlers.
import type { InjectedFailureSpec } from "saga/handlers/lib/failures";

/** The field of the execution input that holds the order id: every record of an order lives under it. */
export const ORDER_ID_FIELD = "order_id";

/** What each run type makes fail, and the error it fails with (demo and test stacks only). */
export const ORDER_FAILURES = {
    /** Charge Card: the card is declined before anything is charged. */
    failCharge: "CardDeclined",
    /** Hold Stock: nothing left to hold. */
    failStock: "OutOfStock",
    /** Dispatch Shipment: the courier cannot take the parcel, after the stock was committed. */
    failDispatch: "CarrierUnavailable",
} as const;
export type OrderRunType = keyof typeof ORDER_FAILURES;
export const ORDER_RUN_TYPES = Object.keys(ORDER_FAILURES) as OrderRunType[];

export const orderFailure = (runType: OrderRunType): InjectedFailureSpec => ({ runType, error: ORDER_FAILURES[runType] });

/** The demo's fixed price; a string keeps the cents exact. */
export const ORDER_PRICE = { amount: "19.90", currency: "EUR" } as const;

/** The execution input of one order: the demo's fixed basket and address, under the given id. */
export const demoOrder = (orderId: string, runType?: string) => ({
    [ORDER_ID_FIELD]: orderId,
    sku: "BOOK-978-0",
    quantity: "2",
    address: "1 Main Street",
    ...(runType !== undefined ? { run_type: runType } : {}),
});
