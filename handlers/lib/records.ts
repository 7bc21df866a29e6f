// One small function per operation on the saga's single table. Every record of a saga lives under
// pk = the saga id; sk = `<TYPE>#<record id>`. Records hold string attributes only (amounts too:
// "450.00" keeps its two decimals, which a DynamoDB number would normalise away).
import {
    AttributeValue,
    ConditionalCheckFailedException,
    DynamoDBClient,
    GetItemCommand,
    paginateQuery,
    PutItemCommand,
    UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { createHash } from "node:crypto";
import { Env, ExpressOutcomes, OpenSagaIndex, openShardOf, OUTCOME_RECORD_SK, OUTCOME_RECORD_TYPE, SagaRecordFields } from "../../components/model/conventions";
import { withChaos } from "./chaos";
import { requireEnv } from "./env";
import type { RecordedError } from "./saga-event";

// Created once per container. Region, credentials and endpoint come from the environment, as on
// Lambda; the SDK reads AWS_ENDPOINT_URL_DYNAMODB itself, so a local store needs no code path here.
const dynamo = new DynamoDBClient({});

export interface RecordKey {
    /** The saga id, e.g. the trip id. */
    pk: string;
    /** `<TYPE>#<record id>`, e.g. `HOTEL#3f2a...`. */
    sk: string;
}
export type RecordItem = RecordKey & { [attribute: string]: string };

export const RecordStatus = {
    pending: "pending",
    confirmed: "confirmed",
    refunded: "refunded",
    /** A tombstone: the record was cancelled (or, for a payment, voided before it was taken). */
    cancelled: "cancelled",
} as const;

/** What a tombstone keeps of its record besides the key: what identifies it (e.g. its type and id), not its details. */
export type RecordIdentity = Record<string, string>;

/** Names of the errors below: what Step Functions' Retry and Catch match, and the saga state records. */
export const RecordErrors = {
    notFound: "RecordNotFound",
    conflict: "RecordConflict",
} as const;

/** No record to act on: it was never written, or a compensation already removed it. */
export class RecordNotFound extends Error {
    constructor(message: string) {
        super(message);
        this.name = RecordErrors.notFound;
    }
}

/** A record with this key already exists with other content: it is not ours to overwrite. */
export class RecordConflict extends Error {
    constructor(message: string) {
        super(message);
        this.name = RecordErrors.conflict;
    }
}

/**
 * The id of a saga's record of a given type. Deterministic, so a retried reserve writes the same
 * row and a cancel finds it even when the reserve wrote and then failed. 128 bits of SHA-256:
 * unlike the original's 32-bit hash, distinct trips never share an id in practice.
 */
export function recordId(sagaId: string, type: string): string {
    return createHash("sha256").update(`${type}\n${sagaId}`).digest("hex").slice(0, 32);
}

export function recordKey(sagaId: string, type: string): RecordKey {
    return { pk: sagaId, sk: `${type}#${recordId(sagaId, type)}` };
}

const tableName = () => requireEnv(Env.tableName);
const labelOf = (key: RecordKey) => `${key.sk} of saga "${key.pk}"`;

/**
 * Writes a new record. Safe to retry: when the record already exists with exactly this content
 * (an earlier attempt wrote it) it succeeds with `created: false`; other content is someone
 * else's record and raises RecordConflict.
 */
export function reserveRecord(item: RecordItem): Promise<{ created: boolean }> {
    return withChaos("reserve", item, () => putNewRecord(item));
}

async function putNewRecord(item: RecordItem): Promise<{ created: boolean }> {
    try {
        await dynamo.send(
            new PutItemCommand({
                TableName: tableName(),
                Item: toAttributes(item),
                ConditionExpression: "attribute_not_exists(pk)",
            }),
        );
        return { created: true };
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await getRecord(item);
    if (existing && sameContent(existing, item)) return { created: false };
    throw new RecordConflict(
        `${labelOf(item)} already exists with other content (status "${existing?.transaction_status ?? "gone"}"); it is left untouched.`,
    );
}

/** The record with this key, read consistently; undefined when there is none. */
export async function getRecord(key: RecordKey): Promise<RecordItem | undefined> {
    const { Item } = await dynamo.send(
        new GetItemCommand({ TableName: tableName(), Key: keyAttributes(key), ConsistentRead: true }),
    );
    return Item ? fromAttributes(Item) : undefined;
}

/**
 * Every record of a saga, sorted by sort key: one Query on its partition key, read consistently
 * (so a saga that has ended shows its final records), followed page by page past DynamoDB's 1 MB.
 */
export async function queryRecords(sagaId: string): Promise<RecordItem[]> {
    const records: RecordItem[] = [];
    const pages = paginateQuery(
        { client: dynamo },
        {
            TableName: tableName(),
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: toAttributes({ ":pk": sagaId }),
            ConsistentRead: true,
        },
    );
    for await (const page of pages) records.push(...(page.Items ?? []).map(fromAttributes));
    return records;
}

/**
 * Sets a pending record to confirmed. Idempotent (confirming twice succeeds) and never creates
 * a row: the condition fails on a missing record, which the original's blind update did not.
 */
export function confirmRecord(key: RecordKey): Promise<void> {
    return withChaos("confirm", key, () => setConfirmed(key));
}

async function setConfirmed(key: RecordKey): Promise<void> {
    try {
        await dynamo.send(
            new UpdateItemCommand({
                TableName: tableName(),
                Key: keyAttributes(key),
                UpdateExpression: "SET transaction_status = :confirmed",
                ConditionExpression: "attribute_exists(pk) AND transaction_status IN (:pending, :confirmed)",
                ExpressionAttributeValues: toAttributes({
                    ":pending": RecordStatus.pending,
                    ":confirmed": RecordStatus.confirmed,
                }),
            }),
        );
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        throw new RecordNotFound(`No pending or confirmed ${labelOf(key)} to confirm: it was never reserved, or was cancelled.`);
    }
}

/**
 * Cancels a record: replaces it with a tombstone (status cancelled, when, and its identity; the
 * details go). The tombstone, not an absent row, is what stops a late duplicate of the reserve
 * (delivery is at least once) from writing the record again after its saga was compensated: the
 * reserve's conditional put finds it. Idempotent: a repeat keeps the first tombstone. `deleted`
 * says whether a record in effect was replaced (false: never written, or already cancelled).
 */
export function cancelRecord(key: RecordKey, identity: RecordIdentity, at: Date = new Date()): Promise<{ deleted: boolean }> {
    return withChaos("cancel", key, async () => {
        const replaced = await putTombstone(key, identity, at, { overRecord: true });
        return { deleted: Boolean(replaced) };
    });
}

export type RefundOutcome = { refunded: true; refundedAt: string } | { refunded: false; reason: string };

/**
 * Refunds a payment: marks its record refunded, keeping it as the audit trail of the money
 * movement; a repeat keeps the first refund's timestamp. With no payment recorded there is nothing
 * to refund, and the payment is voided instead (a tombstone, as `cancelRecord` leaves), so that a
 * late duplicate of the take cannot record a payment for a saga that was rolled back.
 */
export function markRefunded(key: RecordKey, identity: RecordIdentity, at: Date = new Date()): Promise<RefundOutcome> {
    return withChaos("refund", key, async () => {
        const refunded = await refundTaken(key, at);
        if (refunded) return refunded;
        if ((await putTombstone(key, identity, at, { overRecord: false })) !== false) {
            return { refunded: false, reason: `No ${labelOf(key)} was taken: nothing to refund. It is voided, so a late take cannot record it.` };
        }
        // Something was written between the two: a take delivered late (refund it), or a concurrent refund's void.
        return (await refundTaken(key, at)) ?? { refunded: false, reason: `${labelOf(key)} was already voided: nothing to refund.` };
    });
}

/** Marks a taken payment refunded; undefined when there is none (never taken, or voided). */
async function refundTaken(key: RecordKey, at: Date): Promise<RefundOutcome | undefined> {
    try {
        const { Attributes } = await dynamo.send(
            new UpdateItemCommand({
                TableName: tableName(),
                Key: keyAttributes(key),
                UpdateExpression: "SET transaction_status = :refunded, refunded_at = if_not_exists(refunded_at, :now)",
                ConditionExpression: "transaction_status IN (:confirmed, :refunded)",
                ExpressionAttributeValues: toAttributes({ ":confirmed": RecordStatus.confirmed, ":refunded": RecordStatus.refunded, ":now": at.toISOString() }),
                ReturnValues: "ALL_NEW",
            }),
        );
        return { refunded: true, refundedAt: Attributes?.refunded_at?.S ?? at.toISOString() };
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return undefined;
    }
}

/**
 * Writes a tombstone over any record but a tombstone (`overRecord`), or only where there is no
 * record at all. Answers the record it replaced (undefined: there was none), or false when it wrote nothing.
 */
async function putTombstone(key: RecordKey, identity: RecordIdentity, at: Date, { overRecord }: { overRecord: boolean }): Promise<RecordItem | undefined | false> {
    const tombstone = { ...identity, ...key, transaction_status: RecordStatus.cancelled, cancelled_at: at.toISOString() };
    const condition = overRecord
        ? { ConditionExpression: "attribute_not_exists(pk) OR transaction_status <> :cancelled", ExpressionAttributeValues: toAttributes({ ":cancelled": RecordStatus.cancelled }) }
        : { ConditionExpression: "attribute_not_exists(pk)" };
    try {
        const { Attributes } = await dynamo.send(
            new PutItemCommand({ TableName: tableName(), Item: toAttributes(tombstone), ...condition, ReturnValues: "ALL_OLD" }),
        );
        return Attributes ? fromAttributes(Attributes) : undefined;
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return false;
    }
}

/**
 * Whether a saga's forward failure was a RecordConflict on this very record: the record then
 * belongs to another run, and a compensation must leave it alone (deleting it would undo someone
 * else's booking, the original design's worst flaw). `Cause` is the Lambda's JSON error.
 */
export function isConflictOn(failure: RecordedError | undefined, key: RecordKey): boolean {
    return failure?.Error === RecordErrors.conflict && typeof failure.Cause === "string" && failure.Cause.includes(key.sk);
}

function sameContent(a: Record<string, string>, b: Record<string, string>): boolean {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((name) => a[name] === b[name]);
}

// Only the key attributes: a full item passed as a Key is rejected by DynamoDB.
function keyAttributes({ pk, sk }: RecordKey): Record<string, AttributeValue> {
    return toAttributes({ pk, sk });
}

function toAttributes(values: Record<string, string>): Record<string, AttributeValue> {
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { S: value }]));
}

function fromAttributes(item: Record<string, AttributeValue>): RecordItem {
    const entries = Object.entries(item).map(([name, value]) => {
        if (value.S === undefined) throw new Error(`Attribute "${name}" is not a string; saga records hold strings only.`);
        return [name, value.S];
    });
    return Object.fromEntries(entries) as RecordItem;
}

/** What an EXPRESS start writes: the saga's record, open, with its input and deadline. */
export interface SagaClaim {
    sagaId: string;
    /** The execution input, as JSON text. */
    input: string;
    startedAt: Date;
    /** The machine's TimeoutSeconds: no execution of the saga runs past startedAt plus this. */
    timeoutSeconds: number;
}

/**
 * Records an EXPRESS saga before its execution starts: written only where no record has the id
 * (the table, not Step Functions, decides one saga per id). Answers the record written, or the one
 * that was there (read back consistently: the local DynamoDB ignores ReturnValuesOnConditionCheckFailure).
 */
export async function claimSaga(claim: SagaClaim): Promise<{ created: boolean; record: RecordItem | undefined }> {
    const deadline = new Date(claim.startedAt.getTime() + claim.timeoutSeconds * 1000).toISOString();
    const item: RecordItem = {
        pk: claim.sagaId,
        sk: OUTCOME_RECORD_SK,
        type: OUTCOME_RECORD_TYPE,
        outcome: ExpressOutcomes.running,
        [SagaRecordFields.workflowType]: "EXPRESS",
        [SagaRecordFields.input]: claim.input,
        [SagaRecordFields.startedAt]: claim.startedAt.toISOString(),
        [SagaRecordFields.deadline]: deadline,
        [OpenSagaIndex.shard]: openShardOf(claim.sagaId),
        [OpenSagaIndex.due]: deadline,
    };
    try {
        await dynamo.send(new PutItemCommand({ TableName: tableName(), Item: toAttributes(item), ConditionExpression: "attribute_not_exists(pk)" }));
        return { created: true, record: item };
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return { created: false, record: await getRecord({ pk: claim.sagaId, sk: OUTCOME_RECORD_SK }) };
}
