// Lambdas of the Payment step: Take Payment and its compensation, Refund Payment. There is no
// second phase: a payment is final when taken, so a refund keeps it as an audit record.
import { log } from "../lib/env";
import { failCompensationByChance, failIfInjected } from "../lib/failures";
import { isConflictOn, markRefunded, recordId, RecordIdentity, recordKey, RecordKey, RecordStatus, RefundOutcome, reserveRecord } from "../lib/records";
import { requireSagaId, runTypeOf, sagaFailureOf } from "../lib/saga-event";
import { injected, RECORD_TYPES, TRIP_ID_FIELD } from "./trip";

const PAYMENT = { type: RECORD_TYPES.Payment, label: "Payment" } as const;
/** The demo's fixed price, as in the original; a string keeps the cents exact. */
export const TRIP_PRICE = { amount: "450.00", currency: "USD" } as const;

const paymentKey = (event: unknown, action: string): RecordKey =>
    recordKey(requireSagaId(event, TRIP_ID_FIELD, action), PAYMENT.type);
// What identifies the payment: written with it, and kept by its tombstone if it is voided.
const identityOf = (key: RecordKey): RecordIdentity => ({ trip_id: key.pk, type: PAYMENT.label, id: recordId(key.pk, PAYMENT.type) });

export async function take(event: unknown) {
    const key = paymentKey(event, "Take Payment");
    failIfInjected(runTypeOf(event), injected("failPayment"));
    const { created } = await reserveRecord({ ...key, ...identityOf(key), ...TRIP_PRICE, transaction_status: RecordStatus.confirmed });
    return { key, status: RecordStatus.confirmed, created };
}

export async function refund(event: unknown): Promise<RefundOutcome & { key: RecordKey }> {
    const action = "Refund Payment";
    const key = paymentKey(event, action);
    failCompensationByChance(action, key.pk);
    if (isConflictOn(sagaFailureOf(event), key)) {
        log("warn", "Left a payment of another saga run untouched", { action, ...key });
        return { key, refunded: false, reason: "The payment belongs to another run of this saga." };
    }
    // A payment that failed before it was recorded has nothing to refund; that is a success (and voids it).
    const outcome = await markRefunded(key, identityOf(key));
    return { key, ...outcome };
}
