// The order saga's input (an order: lines, address, currency), its schema, its run types (failure
// injection) and its price, shared by its handlers.
import type { InjectedFailureSpec } from "saga/handlers/lib/failures";
import { InvalidInput } from "saga/handlers/lib/saga-event";

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

/** The shop's prices, per SKU and currency, as strings: exact cents. An order may name only these SKUs. */
export const ORDER_CATALOGUE = {
    "BOOK-978-0": { EUR: "9.95", USD: "10.95", GBP: "8.50" },
    "MUG-042": { EUR: "12.00", USD: "13.00", GBP: "10.50" },
    "PEN-007": { EUR: "2.40", USD: "2.60", GBP: "2.10" },
} as const;
export type Sku = keyof typeof ORDER_CATALOGUE;
export const ORDER_CURRENCIES = ["EUR", "USD", "GBP"] as const;
export type Currency = (typeof ORDER_CURRENCIES)[number];

/** One line of an order: which article, how many. */
export interface OrderLine {
    sku: Sku;
    quantity: number;
}

/** What a start request's body gives: the order itself. The start function checks it against ORDER_INPUT_SCHEMA. */
export interface OrderRequest {
    lines: OrderLine[];
    address: string;
    currency: Currency;
}

/** The JSON Schema of an order (POST <api>?orderID=... with it as an `application/json` body). */
export const ORDER_INPUT_SCHEMA = {
    type: "object",
    additionalProperties: false,
    required: ["lines", "address", "currency"],
    properties: {
        lines: {
            type: "array",
            minItems: 1,
            maxItems: 50,
            items: {
                type: "object",
                additionalProperties: false,
                required: ["sku", "quantity"],
                properties: {
                    sku: { enum: Object.keys(ORDER_CATALOGUE) },
                    quantity: { type: "integer", minimum: 1, maximum: 99 },
                },
            },
        },
        address: { type: "string", minLength: 1, maxLength: 300 },
        currency: { enum: [...ORDER_CURRENCIES] },
    },
};

/** The order a start request without a body places: two books to the demo address, in euros. */
export const DEMO_ORDER: OrderRequest = { lines: [{ sku: "BOOK-978-0", quantity: 2 }], address: "1 Main Street", currency: "EUR" };

/** The execution input of one order: the request's order (the demo's without a body), under the given id. */
export const orderInput = (orderId: string, runType?: string, body?: unknown) => ({
    [ORDER_ID_FIELD]: orderId,
    ...((body as OrderRequest | undefined) ?? DEMO_ORDER),
    ...(runType !== undefined ? { run_type: runType } : {}),
});

/** An order's lines, read from a handler's input (the start function checked them; a malformed input fails loudly). */
export function orderLinesOf(event: unknown, action: string): OrderLine[] {
    const lines = (event as { lines?: unknown } | null)?.lines;
    const valid = Array.isArray(lines) && lines.length > 0 && lines.every((line) => line && line.sku in ORDER_CATALOGUE && Number.isInteger(line.quantity) && line.quantity > 0);
    if (!valid) throw new InvalidInput(`${action} needs the order's \`lines\` (each a known \`sku\` and a positive integer \`quantity\`) in its input.`);
    return lines as OrderLine[];
}

/** What an order costs: the sum of its lines at the catalogue's price in its currency, as a string of exact cents. */
export function orderPrice(event: unknown, action: string): { amount: string; currency: Currency } {
    const currency = (event as { currency?: unknown } | null)?.currency;
    if (!ORDER_CURRENCIES.includes(currency as Currency)) throw new InvalidInput(`${action} needs the order's \`currency\`, one of ${ORDER_CURRENCIES.join(", ")}, in its input.`);
    const cents = orderLinesOf(event, action).reduce((sum, line) => sum + line.quantity * Math.round(Number(ORDER_CATALOGUE[line.sku][currency as Currency]) * 100), 0);
    return { amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`, currency: currency as Currency };
}
