// The handlers of a two-phase saga step whose work is one record: reserve writes it `pending`,
// confirm sets it `confirmed`, cancel replaces it with a `cancelled` tombstone. Any saga builds
// such a step from a small spec (the travel saga's hotel and flight steps do), so the logic lives
// once, here.
import { failCompensationByChance, failIfInjected, InjectedFailureSpec } from "./failures";
import { log } from "./env";
import { cancelRecord, confirmRecord, isConflictOn, recordId, RecordIdentity, recordKey, RecordKey, RecordStatus, reserveRecord } from "./records";
import { requireSagaId, runTypeOf, sagaFailureOf } from "./saga-event";

export interface ReservationSpec {
    /** Record type: the sort key prefix, e.g. `HOTEL`. */
    type: string;
    /** The record's `type` attribute and the name in messages, e.g. `Hotel`. */
    label: string;
    /** The input field holding the saga id (the partition key), e.g. `trip_id`. */
    sagaIdField: string;
    /** The record's own attributes, read (and validated) from the input; the saga id is added. */
    attributes(event: unknown): Record<string, string>;
    /** Failure injection: the run type that makes reserve or confirm fail, and the error it throws. */
    failures?: { reserve?: InjectedFailureSpec; confirm?: InjectedFailureSpec };
}

export interface ReservationResult {
    key: RecordKey;
    status: string;
    /** False when a retry found the record its first attempt wrote. */
    created?: boolean;
    /** False when there was nothing to delete (never written, or already cancelled). */
    deleted?: boolean;
}

export interface ReservationHandlers {
    reserve(event: unknown): Promise<ReservationResult>;
    confirm(event: unknown): Promise<ReservationResult>;
    cancel(event: unknown): Promise<ReservationResult>;
}

export function createReservationHandlers(spec: ReservationSpec): ReservationHandlers {
    const keyOf = (event: unknown, action: string) => recordKey(requireSagaId(event, spec.sagaIdField, action), spec.type);
    // What identifies the record: written with it, and kept by its tombstone once cancelled.
    const identityOf = (key: RecordKey): RecordIdentity => ({ [spec.sagaIdField]: key.pk, type: spec.label, id: recordId(key.pk, spec.type) });

    return {
        async reserve(event) {
            const action = `Reserve ${spec.label}`;
            const key = keyOf(event, action);
            const attributes = spec.attributes(event);
            failIfInjected(runTypeOf(event), spec.failures?.reserve);
            const { created } = await reserveRecord({ ...attributes, ...key, ...identityOf(key), transaction_status: RecordStatus.pending });
            return { key, status: RecordStatus.pending, created };
        },

        async confirm(event) {
            const key = keyOf(event, `Confirm ${spec.label}`);
            failIfInjected(runTypeOf(event), spec.failures?.confirm);
            await confirmRecord(key);
            return { key, status: RecordStatus.confirmed };
        },

        async cancel(event) {
            const action = `Cancel ${spec.label}`;
            const key = keyOf(event, action);
            failCompensationByChance(action, key.pk);
            // The key is derived, not taken from the reserve's result: a reserve that wrote and then
            // failed returned nothing, yet its row must go.
            if (isConflictOn(sagaFailureOf(event), key)) {
                log("warn", "Left a record of another saga run untouched", { action, ...key });
                return { key, status: "untouched", deleted: false };
            }
            const { deleted } = await cancelRecord(key, identityOf(key));
            return { key, status: RecordStatus.cancelled, deleted };
        },
    };
}
