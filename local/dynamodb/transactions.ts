// DynamoDB's transactions (TransactWriteItems, TransactGetItems), which dynalite does not serve,
// built on its single-item operations with the isolation DynamoDB promises: a transaction runs
// alone (every other request to the table store waits for it, and it for them: a lock, shared by
// ordinary requests, taken whole by a transaction), so nobody sees it half done.
// A write transaction first reads each item it names and checks each condition without changing
// anything (a condition is checked by writing the item back as it is, or deleting an absent one,
// under that condition); when any fails, nothing is written and the answer is
// TransactionCanceledException with a reason per item, as DynamoDB gives it. Then it writes each
// action; should one be refused (an UpdateExpression DynamoDB rejects), what it wrote is put back
// as it was and the refusal answered. A crash of the local cloud between those writes can leave a
// transaction partly applied in a data folder (docs/local-cloud.md says so).
// A ClientRequestToken makes a write transaction idempotent for 10 minutes, as on DynamoDB.
import { createHash } from "node:crypto";
import { awsJson, type Answer } from "../http";

/** One DynamoDB operation sent to dynalite (already admitted). */
export type DynaliteCall = (operation: string, request: object) => Promise<{ statusCode: number; body: Record<string, unknown> }>;

/** DynamoDB's largest transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
const IDEMPOTENCY_MS = 10 * 60 * 1000;

type Item = Record<string, unknown>;
type Request = Record<string, unknown>;

/** Shared by ordinary requests, exclusive for a transaction. */
export class StoreLock {
    private readers = 0;
    private writer = false;
    private readonly queue: Array<{ exclusive: boolean; start: () => void }> = [];

    /** Runs `act` beside other shared ones, never during an exclusive one. */
    shared<T>(act: () => Promise<T>): Promise<T> {
        return this.acquire(false).then((release) => act().finally(release));
    }

    /** Runs `act` alone. */
    exclusive<T>(act: () => Promise<T>): Promise<T> {
        return this.acquire(true).then((release) => act().finally(release));
    }

    /** Waits for a shared hold; answers its release (for a request that ends when its response does). */
    acquireShared(): Promise<() => void> {
        return this.acquire(false);
    }

    private acquire(exclusive: boolean): Promise<() => void> {
        return new Promise((resolve) => {
            this.queue.push({
                exclusive,
                start: () => {
                    let released = false;
                    resolve(() => {
                        if (released) return;
                        released = true;
                        if (exclusive) this.writer = false;
                        else this.readers--;
                        this.next();
                    });
                },
            });
            this.next();
        });
    }

    private next(): void {
        while (this.queue.length > 0 && !this.writer) {
            const head = this.queue[0];
            if (head.exclusive && this.readers > 0) return;
            this.queue.shift();
            if (head.exclusive) this.writer = true;
            else this.readers++;
            head.start();
            if (head.exclusive) return;
        }
    }
}

const validation = (message: string): Answer => awsJson(400, "com.amazon.coral.validate#ValidationException", "message", message);

interface Action {
    kind: "Put" | "Update" | "Delete" | "ConditionCheck";
    table: string;
    key: Item;
    spec: Request;
}

export class Transactions {
    private readonly tokens = new Map<string, { digest: string; at: number; answer: Answer }>();

    constructor(
        private readonly call: DynaliteCall,
        private readonly lock: StoreLock,
        /** The key attribute names of a table (from DescribeTable), to name each Put's item. */
        private readonly keyOf: (table: string) => Promise<string[] | undefined>,
    ) {}

    /** TransactWriteItems as DynamoDB answers it. */
    async write(request: Request): Promise<Answer> {
        const token = typeof request.ClientRequestToken === "string" ? request.ClientRequestToken : undefined;
        const digest = createHash("sha256").update(JSON.stringify({ ...request, ClientRequestToken: undefined })).digest("hex");
        if (token !== undefined) {
            const now = Date.now();
            for (const [old, entry] of this.tokens) if (now - entry.at > IDEMPOTENCY_MS) this.tokens.delete(old);
            const seen = this.tokens.get(token);
            if (seen) {
                if (seen.digest !== digest) {
                    return awsJson(400, "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException", "message", "The request uses the same client token as a previous, but non-identical request.");
                }
                return seen.answer;
            }
        }
        const answer = await this.lock.exclusive(() => this.writeAlone(request));
        if (token !== undefined && answer.statusCode === 200) this.tokens.set(token, { digest, at: Date.now(), answer });
        return answer;
    }

    /** TransactGetItems as DynamoDB answers it. */
    async get(request: Request): Promise<Answer> {
        const items = request.TransactItems;
        const invalid = checkCount(items);
        if (invalid) return invalid;
        const gets: Request[] = [];
        for (const entry of items as unknown[]) {
            const get = (entry as Request | null)?.Get;
            if (typeof get !== "object" || get === null) return validation("1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null");
            gets.push(get as Request);
        }
        const duplicate = await this.duplicateItem(gets.map((get) => ({ kind: "ConditionCheck", table: String(get.TableName), key: (get.Key ?? {}) as Item, spec: get })));
        if (duplicate) return duplicate;
        return this.lock.exclusive(async () => {
            const responses: Item[] = [];
            for (const get of gets) {
                const read = await this.call("GetItem", { ...get, ConsistentRead: true });
                if (read.statusCode !== 200) return { statusCode: read.statusCode, headers: { "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(read.body) };
                responses.push(read.body.Item ? { Item: read.body.Item } : {});
            }
            return ok({ Responses: responses });
        });
    }

    private async writeAlone(request: Request): Promise<Answer> {
        const items = request.TransactItems;
        const invalid = checkCount(items);
        if (invalid) return invalid;
        const actions: Action[] = [];
        for (const [index, entry] of (items as unknown[]).entries()) {
            const kinds = (["Put", "Update", "Delete", "ConditionCheck"] as const).filter((kind) => typeof (entry as Request | null)?.[kind] === "object" && (entry as Request)[kind] !== null);
            if (kinds.length !== 1) {
                return validation(
                    `TransactItems can only contain one of Check, Put, Update or Delete (item ${index + 1} has ${kinds.length === 0 ? "none" : kinds.join(" and ")})`,
                );
            }
            const spec = (entry as Request)[kinds[0]] as Request;
            if (typeof spec.TableName !== "string") return validation(`1 validation error detected: Value null at 'transactItems.${index + 1}.member.${lowerFirst(kinds[0])}.tableName' failed to satisfy constraint: Member must not be null`);
            const key = kinds[0] === "Put" ? await this.keyOfItem(spec.TableName, (spec.Item ?? {}) as Item) : ((spec.Key ?? {}) as Item);
            if (key === undefined) return awsJson(400, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message", "Requested resource not found");
            actions.push({ kind: kinds[0], table: spec.TableName, key, spec });
        }
        const duplicate = await this.duplicateItem(actions);
        if (duplicate) return duplicate;

        // Each item as it is now, and each condition checked without changing anything.
        const before: Array<Item | undefined> = [];
        const reasons: Array<Record<string, unknown>> = [];
        for (const action of actions) {
            const read = await this.call("GetItem", { TableName: action.table, Key: action.key, ConsistentRead: true });
            if (read.statusCode !== 200) return passOn(read);
            const old = read.body.Item as Item | undefined;
            before.push(old);
            if (typeof action.spec.ConditionExpression !== "string") {
                reasons.push({ Code: "None" });
                continue;
            }
            const condition = {
                TableName: action.table,
                ConditionExpression: action.spec.ConditionExpression,
                ...(action.spec.ExpressionAttributeNames ? { ExpressionAttributeNames: action.spec.ExpressionAttributeNames } : {}),
                ...(action.spec.ExpressionAttributeValues ? { ExpressionAttributeValues: action.spec.ExpressionAttributeValues } : {}),
            };
            const checked = old ? await this.call("PutItem", { ...condition, Item: old }) : await this.call("DeleteItem", { ...condition, Key: action.key });
            if (checked.statusCode === 200) {
                reasons.push({ Code: "None" });
            } else if (String(checked.body.__type).endsWith("ConditionalCheckFailedException")) {
                const withItem = action.spec.ReturnValuesOnConditionCheckFailure === "ALL_OLD" && old;
                reasons.push({ Code: "ConditionalCheckFailed", Message: "The conditional request failed", ...(withItem ? { Item: old } : {}) });
            } else {
                return passOn(checked);
            }
        }
        if (reasons.some((reason) => reason.Code !== "None")) {
            return {
                statusCode: 400,
                headers: { "content-type": "application/x-amz-json-1.0" },
                body: JSON.stringify({
                    __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(", ")}]`,
                    CancellationReasons: reasons,
                }),
            };
        }

        // Then the writes; one refused puts back what the others wrote.
        const written: number[] = [];
        for (const [index, action] of actions.entries()) {
            if (action.kind === "ConditionCheck") continue;
            const { ConditionExpression: _condition, ReturnValuesOnConditionCheckFailure: _returned, ...spec } = action.spec;
            const names = spec.ExpressionAttributeNames;
            const values = spec.ExpressionAttributeValues;
            // The condition's own names and values may be unused by the write, which DynamoDB then refuses: only those the write uses.
            const write =
                action.kind === "Put"
                    ? { TableName: action.table, Item: spec.Item }
                    : action.kind === "Delete"
                      ? { TableName: action.table, Key: action.key }
                      : {
                            TableName: action.table,
                            Key: action.key,
                            UpdateExpression: spec.UpdateExpression,
                            ...used(String(spec.UpdateExpression ?? ""), names as Item | undefined, values as Item | undefined),
                        };
            const done = await this.call(action.kind === "Put" ? "PutItem" : action.kind === "Delete" ? "DeleteItem" : "UpdateItem", write);
            if (done.statusCode !== 200) {
                for (const undo of written.reverse()) {
                    const old = before[undo];
                    await (old ? this.call("PutItem", { TableName: actions[undo].table, Item: old }) : this.call("DeleteItem", { TableName: actions[undo].table, Key: actions[undo].key }));
                }
                return passOn(done);
            }
            written.push(index);
        }
        return ok({});
    }

    /**
     * A PutItem, UpdateItem or DeleteItem with `ReturnValuesOnConditionCheckFailure: ALL_OLD`
     * (which dynalite ignores): alone, so that the item its ConditionalCheckFailedException
     * carries is the one the condition was checked against.
     */
    withOldItemOnFailure(operation: "PutItem" | "UpdateItem" | "DeleteItem", request: Request): Promise<Answer> {
        return this.lock.exclusive(async () => {
            const { ReturnValuesOnConditionCheckFailure: _returned, ...write } = request;
            const done = await this.call(operation, write);
            if (done.statusCode === 200 || !String(done.body.__type).endsWith("ConditionalCheckFailedException")) return passOn(done);
            const table = String(request.TableName);
            const key = operation === "PutItem" ? await this.keyOfItem(table, (request.Item ?? {}) as Item) : (request.Key as Item);
            const read = key && (await this.call("GetItem", { TableName: table, Key: key, ConsistentRead: true }));
            const item = read && read.statusCode === 200 ? read.body.Item : undefined;
            return passOn({ statusCode: done.statusCode, body: { ...done.body, ...(item ? { Item: item } : {}) } });
        });
    }

    /** A Put's key: its item's key attributes; undefined when the table does not exist. */
    private async keyOfItem(table: string, item: Item): Promise<Item | undefined> {
        const names = await this.keyOf(table);
        return names && Object.fromEntries(names.filter((name) => name in item).map((name) => [name, item[name]]));
    }

    private async duplicateItem(actions: Action[]): Promise<Answer | undefined> {
        const seen = new Set<string>();
        for (const action of actions) {
            const identity = JSON.stringify([action.table, Object.keys(action.key).sort().map((name) => [name, action.key[name]])]);
            if (seen.has(identity)) return validation("Transaction request cannot include multiple operations on one item");
            seen.add(identity);
        }
        return undefined;
    }
}

function checkCount(items: unknown): Answer | undefined {
    if (!Array.isArray(items)) return validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
    if (items.length === 0) return validation("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
    if (items.length > MAX_TRANSACTION_ITEMS) {
        return validation(`1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ITEMS}`);
    }
    return undefined;
}

/** The expression attribute names and values an expression uses. */
function used(expression: string, names: Item | undefined, values: Item | undefined): Request {
    const pick = (map: Item | undefined, pattern: RegExp) => {
        if (!map) return undefined;
        const wanted = new Set(expression.match(pattern) ?? []);
        const kept = Object.entries(map).filter(([name]) => wanted.has(name));
        return kept.length > 0 ? Object.fromEntries(kept) : undefined;
    };
    const keptNames = pick(names, /#[A-Za-z0-9_]+/g);
    const keptValues = pick(values, /:[A-Za-z0-9_]+/g);
    return { ...(keptNames ? { ExpressionAttributeNames: keptNames } : {}), ...(keptValues ? { ExpressionAttributeValues: keptValues } : {}) };
}

const lowerFirst = (text: string) => text[0].toLowerCase() + text.slice(1);

function ok(body: object): Answer {
    return { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(body) };
}

function passOn(answer: { statusCode: number; body: Record<string, unknown> }): Answer {
    return { statusCode: answer.statusCode, headers: { "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(answer.body) };
}
