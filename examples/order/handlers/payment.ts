// Charge Card and Refund Card. The card is charged at once (no second phase); a refund keeps the
// charge as the audit record. Both need the payment provider's API key, which the program gives
// them as a secret (PAYMENTS_API_KEY): a function without it fails, naming the variable, before
// it touches anything.
import { createHash } from "node:crypto";
import { requireEnv } from "saga/handlers/lib/env";
import { failCompensationByChance, failIfInjected } from "saga/handlers/lib/failures";
import { isConflictOn, markRefunded, recordId, RecordIdentity, recordKey, RecordKey, RecordStatus, reserveRecord } from "saga/handlers/lib/records";
import { requireSagaId, runTypeOf, sagaFailureOf } from "saga/handlers/lib/saga-event";
import { ORDER_ID_FIELD, orderFailure, orderPrice } from "./order";

export const PAYMENTS_API_KEY = "PAYMENTS_API_KEY";
const CHARGE = "CHARGE";

/**
 * Which key took a payment, without the key: the first 12 hex digits of its SHA-256. The charge
 * record keeps it, so a payment can be traced to the credential (and its rotation) that took it.
 */
export const keyFingerprint = (apiKey: string) => createHash("sha256").update(apiKey).digest("hex").slice(0, 12);

const chargeKey = (event: unknown, action: string): RecordKey => recordKey(requireSagaId(event, ORDER_ID_FIELD, action), CHARGE);
// What identifies the charge: written with it, and kept by its tombstone if it is voided.
const identityOf = (key: RecordKey): RecordIdentity => ({ [ORDER_ID_FIELD]: key.pk, type: "Charge", id: recordId(key.pk, CHARGE) });

export async function charge(event: unknown) {
    const key = chargeKey(event, "Charge Card");
    const apiKey = requireEnv(PAYMENTS_API_KEY);
    // The order's lines at the catalogue's prices: never an amount the caller names.
    const price = orderPrice(event, "Charge Card");
    failIfInjected(runTypeOf(event), orderFailure("failCharge"));
    const { created } = await reserveRecord({
        ...key,
        ...identityOf(key),
        ...price,
        charged_with: keyFingerprint(apiKey),
        transaction_status: RecordStatus.confirmed,
    });
    return { key, status: RecordStatus.confirmed, created };
}

export async function refund(event: unknown) {
    const action = "Refund Card";
    const key = chargeKey(event, action);
    requireEnv(PAYMENTS_API_KEY);
    failCompensationByChance(action, key.pk);
    // A charge that conflicted with another run's is not ours to refund.
    if (isConflictOn(sagaFailureOf(event), key)) return { key, refunded: false, reason: "The charge belongs to another run of this order." };
    // A card declined before it was charged has nothing to refund: that is a success (and voids the charge).
    return { key, ...(await markRefunded(key, identityOf(key))) };
}
