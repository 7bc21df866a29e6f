// One small function per operation on the saga's single table. Every record of a saga lives under
// pk = the saga id; sk = `<TYPE>#<record id>`. Records hold string attributes only (amounts too:
// "450.00" keeps its two decimals, which a DynamoDB number would normalise away).
import {
    AttributeValue,
    ConditionalCheckFailedException,
    DeleteItemCommand,
    DynamoDBClient,
    GetItemCommand,
    paginateQuery,
    PutItemCommand,
    UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { createHash } from "node:crypto";
import { Env } from "../../components/conventions";
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
} as const;

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
export async function reserveRecord(item: RecordItem): Promise<{ created: boolean }> {
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
export async function confirmRecord(key: RecordKey): Promise<void> {
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

/** Deletes a record; idempotent: deleting what is already gone succeeds with `deleted: false`. */
export async function deleteRecord(key: RecordKey): Promise<{ deleted: boolean }> {
    const { Attributes } = await dynamo.send(
        new DeleteItemCommand({ TableName: tableName(), Key: keyAttributes(key), ReturnValues: "ALL_OLD" }),
    );
    return { deleted: Attributes !== undefined };
}

export type RefundOutcome = { refunded: true; refundedAt: string } | { refunded: false; reason: string };

/**
 * Marks a record refunded, keeping it as the audit trail of the money movement. Idempotent: a
 * repeat keeps the first refund's timestamp. With nothing recorded there is nothing to refund,
 * which succeeds without creating a row.
 */
export async function markRefunded(key: RecordKey, at: Date = new Date()): Promise<RefundOutcome> {
    try {
        const { Attributes } = await dynamo.send(
            new UpdateItemCommand({
                TableName: tableName(),
                Key: keyAttributes(key),
                UpdateExpression: "SET transaction_status = :refunded, refunded_at = if_not_exists(refunded_at, :now)",
                ConditionExpression: "attribute_exists(pk)",
                ExpressionAttributeValues: toAttributes({ ":refunded": RecordStatus.refunded, ":now": at.toISOString() }),
                ReturnValues: "ALL_NEW",
            }),
        );
        return { refunded: true, refundedAt: Attributes?.refunded_at?.S ?? at.toISOString() };
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return { refunded: false, reason: `No ${labelOf(key)} was recorded: nothing to refund.` };
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
