// DynamoDB on this machine: dynalite (the DynamoDB API on LevelDB), in memory, or in a data
// folder so tables and items survive a restart. Tables are created from the inputs of the
// program's aws.dynamodb.Table resources. Requests reach dynalite through a guard that answers
// what dynalite cannot take as DynamoDB answers it, and admits each request by its signature and
// its caller's policies (see guardDynalite).
import {
    CreateTableCommand,
    CreateTableCommandInput,
    DescribeTableCommand,
    DynamoDBClient,
    ResourceInUseException,
    TagResourceCommand,
} from "@aws-sdk/client-dynamodb";
import { EventEmitter } from "node:events";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { IncomingMessage, RequestListener, Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import * as vm from "node:vm";
import { tableArn } from "../../components/model/arns";
import type { ActionRequest, IamGate } from "../iam/gate";
import { jsonDepthPast } from "../json-depth";
import { StoreLock, Transactions } from "./transactions";
import { Answer, awsJson, awsJsonAuthError, failRequest, readBody, RequestAborted, RequestTooLarge, send, sendBeforeBodyEnds, ServiceShape, STEP_FUNCTIONS_SHAPE } from "../http";

// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: Record<string, unknown>) => Server = require("dynalite");

/** DynamoDB's largest request: 16 MiB (what BatchWriteItem may carry); DynamoDB answers a larger one 413. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/**
 * Deeper JSON than any valid request has: DynamoDB nests attribute values 32 levels at most (two
 * JSON levels each), under a few levels of request. dynalite would recurse over it and overflow its stack.
 */
const MAX_JSON_DEPTH = 100;

/** DynamoDB's answers for what is not an operation's error (dynalite answers those). */
export const DYNAMODB_SHAPE: ServiceShape = { ...STEP_FUNCTIONS_SHAPE, name: "DynamoDB" };

type Inputs = Record<string, any>;

export class LocalDynamoDb {
    private constructor(
        private readonly server: Server,
        private readonly client: DynamoDBClient,
        /** dynalite's request handler, guarded: the local cloud's port serves DynamoDB requests through it. */
        readonly handle: RequestListener,
        /** dynalite's own endpoint, which only the local cloud knows. */
        private readonly endpoint: string,
        /** Held by each request while a transaction is not running (local/dynamodb/transactions.ts). */
        private readonly lock: StoreLock,
        /** Each table's inputs as the program declares them (what DescribeTable and the backups describe). */
        private readonly declared: Map<string, Inputs>,
    ) {}

    /** In memory, or under `<dataDir>/dynamodb` when a data folder is given; `iam` admits each request. */
    static async start(iam: IamGate, dataDir?: string): Promise<LocalDynamoDb> {
        const store = dataDir ? path.join(dataDir, "dynamodb") : undefined;
        if (store) fs.mkdirSync(store, { recursive: true });
        const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(store ? { path: store } : {}) });
        // dynalite closes its store only when its own server closes, so it listens, on a free
        // port nobody is told about; requests reach it through the local cloud's port.
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", resolve);
        });
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
        const lock = new StoreLock();
        const call = (operation: string, request: object) => callDynalite(endpoint, operation, request);
        const keyOf = async (table: string) => {
            const described = await call("DescribeTable", { TableName: table });
            const schema = (described.body.Table as { KeySchema?: Array<{ AttributeName: string }> } | undefined)?.KeySchema;
            return schema?.map((key) => key.AttributeName);
        };
        const declared = new Map<string, Inputs>();
        const guarded = guardDynalite(server.listeners("request")[0] as RequestListener, iam, {
            lock,
            transactions: new Transactions(call, lock, keyOf),
            call: (operation, request) => lock.shared(() => call(operation, request)),
            declared: (table) => declared.get(table),
        });
        return new LocalDynamoDb(server, client, guarded, endpoint, lock, declared);
    }

    /**
     * One DynamoDB operation as the service answers it (AWS JSON: attribute values as they are
     * written, binary as base64), for callers the local cloud has already admitted (a state
     * machine's DynamoDB Task, authorized as its role): sent straight to dynalite, not through the
     * port's gate. dynalite checks that a request is signed, not its signature.
     */
    call(operation: string, request: object): Promise<{ statusCode: number; body: Record<string, unknown>; requestId: string }> {
        return this.lock.shared(() => callDynalite(this.endpoint, operation, request));
    }

    /** Creates the table, or checks that the one kept in the data folder has the same keys. */
    async createTable(name: string, inputs: Inputs): Promise<{ created: boolean }> {
        const request = createTableRequest(name, inputs);
        this.declared.set(name, inputs);
        try {
            await this.client.send(new CreateTableCommand(request));
            // Its tags, as ListTagsOfResource answers them (dynalite keeps them).
            const tags = Object.entries((inputs.tags ?? {}) as Record<string, unknown>).filter(([, value]) => typeof value === "string");
            if (tags.length > 0) {
                const { Table } = await this.client.send(new DescribeTableCommand({ TableName: name }));
                await this.client.send(new TagResourceCommand({ ResourceArn: Table!.TableArn!, Tags: tags.map(([Key, Value]) => ({ Key, Value: Value as string })) }));
            }
            return { created: true };
        } catch (error) {
            if (!(error instanceof ResourceInUseException)) throw error;
        }
        const { Table } = await this.client.send(new DescribeTableCommand({ TableName: name }));
        const keys = (schema: unknown) => JSON.stringify(schema);
        if (keys(Table?.KeySchema) !== keys(request.KeySchema)) {
            throw new Error(
                `The table ${name} in the data folder has the keys ${keys(Table?.KeySchema)}, the program declares ${keys(request.KeySchema)}: ` +
                    "start with another --data folder, or delete this one.",
            );
        }
        return { created: false };
    }

    async close(): Promise<void> {
        this.client.destroy();
        await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
    }
}

/** One operation sent straight to dynalite, signed as it checks (present, not verified). */
async function callDynalite(endpoint: string, operation: string, request: object): Promise<{ statusCode: number; body: Record<string, unknown>; requestId: string }> {
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
    const response = await fetch(endpoint, {
        method: "POST",
        headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": `DynamoDB_20120810.${operation}`,
            "x-amz-date": amzDate,
            authorization: `AWS4-HMAC-SHA256 Credential=local/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
        },
        body: JSON.stringify(request),
    });
    const text = await response.text();
    return { statusCode: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>), requestId: response.headers.get("x-amzn-requestid") ?? "" };
}

/** What the guard serves itself, before dynalite: the transactions, and the lock they take. */
export interface GuardExtras {
    lock: StoreLock;
    transactions: Transactions;
    /** One operation sent to dynalite (admitted already). */
    call(operation: string, request: object): Promise<{ statusCode: number; body: Record<string, unknown> }>;
    /** A table's inputs as the program declares them; undefined for a table it does not declare. */
    declared(table: string): Inputs | undefined;
}

/** The operations dynalite serves; DynamoDB answers any other UnknownOperationException. */
const DYNALITE_OPERATIONS = new Set([
    "BatchGetItem", "BatchWriteItem", "CreateTable", "DeleteItem", "DeleteTable", "DescribeTable", "DescribeTimeToLive", "GetItem",
    "ListTables", "ListTagsOfResource", "PutItem", "Query", "Scan", "TagResource", "UntagResource", "UpdateItem", "UpdateTable",
]);

/**
 * dynalite's request listener behind a guard, so that no request can take the process down:
 * - the body is read here, within DynamoDB's limit (413 past it), and a client that leaves
 *   mid-body is no error (dynalite rethrows a request's stream error: an uncaught exception);
 * - a JSON body that is no object (`null`, a number, an array), which dynalite reads properties
 *   of, gets DynamoDB's SerializationException; JSON nested deeper than any valid request, which
 *   dynalite recurses over, gets DynamoDB's ValidationException for nesting;
 * - a request DynamoDB would authorize (a JSON object) is admitted by `iam`: its signature, then
 *   its operation on each table it names (dynalite answers the rest, as DynamoDB does before auth);
 * - an expression over DynamoDB's 4 KB, or nested deeper than any valid one of that size, is
 *   refused as DynamoDB refuses it before dynalite's recursive parser overflows its stack on it;
 * - then the buffered body is replayed to dynalite within this call, so an error it throws while
 *   validating is this request's InternalFailure (500), logged. Errors it throws later, in its
 *   store's callbacks (`if (err) throw err`), reach the local server's last resort, which answers
 *   them on the same request (local/server.ts).
 */
export function guardDynalite(listener: RequestListener, iam: IamGate, extras?: GuardExtras): RequestListener {
    return (request, response) => {
        readBody(request, MAX_REQUEST_BYTES).then(
            async (body) => {
                const refusal = refusalOf(request, body) ?? (await authorizationRefusal(iam, request, body)) ?? expressionRefusal(body);
                if (refusal) return send(response, refusal);
                const operation = String(request.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
                const own = await servedHere(operation, body, extras, iam.arns);
                if (own) return send(response, own);
                // Held until dynalite has answered: a transaction waits for it, and it for a transaction.
                const release = extras ? await extras.lock.acquireShared() : () => undefined;
                response.once("close", release);
                // What dynalite reads of a request: its headers, method and URL, and the body as events.
                const replayed = Object.assign(new EventEmitter(), { headers: request.headers, method: request.method, url: request.url, socket: request.socket });
                listener(replayed as unknown as IncomingMessage, response);
                if (body.length > 0) replayed.emit("data", body);
                replayed.emit("end");
            },
            (error) => {
                if (error instanceof RequestAborted) return;
                if (!(error instanceof RequestTooLarge)) throw error;
                // readBody answered it in the server's scope; here when called without one.
                if (!response.headersSent) sendBeforeBodyEnds(request, response, DYNAMODB_SHAPE.tooLarge(MAX_REQUEST_BYTES));
            },
        ).catch((error) => failRequest(error));
    };
}

/** The answer to an operation dynalite does not serve and the local cloud does; undefined for dynalite's. */
async function servedHere(operation: string, body: Buffer, extras: GuardExtras | undefined, arns: { account: string; region: string }): Promise<Answer | undefined> {
    const parsed = jsonObject(body);
    if (!parsed || !extras) return undefined;
    if (operation === "TransactWriteItems") return extras.transactions.write(parsed);
    if (operation === "TransactGetItems") return extras.transactions.get(parsed);
    if ((operation === "PutItem" || operation === "UpdateItem" || operation === "DeleteItem") && parsed.ReturnValuesOnConditionCheckFailure === "ALL_OLD") {
        return extras.transactions.withOldItemOnFailure(operation, parsed);
    }
    if (operation === "DescribeTable" || operation === "DescribeContinuousBackups") {
        const described = await extras.call("DescribeTable", { TableName: parsed.TableName });
        const table = described.body.Table as Record<string, unknown> | undefined;
        if (described.statusCode !== 200 || !table) {
            if (operation === "DescribeTable") return answerOf(described.statusCode, described.body);
            return awsJson(400, "com.amazonaws.dynamodb.v20120810#TableNotFoundException", "message", `Table not found: ${String(parsed.TableName)}`);
        }
        const inputs = extras.declared(String(table.TableName)) ?? {};
        if (operation === "DescribeContinuousBackups") {
            const recovering = inputs.pointInTimeRecovery?.enabled === true;
            const now = Date.now() / 1000;
            return answerOf(200, {
                ContinuousBackupsDescription: {
                    ContinuousBackupsStatus: "ENABLED",
                    PointInTimeRecoveryDescription: recovering
                        ? { PointInTimeRecoveryStatus: "ENABLED", RecoveryPeriodInDays: inputs.pointInTimeRecovery?.recoveryPeriodInDays ?? 35, EarliestRestorableDateTime: Number(table.CreationDateTime ?? now), LatestRestorableDateTime: now - 300 }
                        : { PointInTimeRecoveryStatus: "DISABLED" },
                },
            });
        }
        const encrypted = inputs.serverSideEncryption?.enabled === true;
        // The AWS managed key (aws/dynamodb) unless the program names its own.
        const managedKey = createHash("sha256").update(`${arns.account}:${arns.region}:aws/dynamodb`).digest("hex");
        const keyArn =
            inputs.serverSideEncryption?.kmsKeyArn ??
            `arn:aws:kms:${arns.region}:${arns.account}:key/${managedKey.slice(0, 8)}-${managedKey.slice(8, 12)}-${managedKey.slice(12, 16)}-${managedKey.slice(16, 20)}-${managedKey.slice(20, 32)}`;
        return answerOf(200, {
            Table: {
                ...table,
                ...(encrypted ? { SSEDescription: { Status: "ENABLED", SSEType: "KMS", KMSMasterKeyArn: keyArn } } : {}),
                DeletionProtectionEnabled: inputs.deletionProtectionEnabled === true,
            },
        });
    }
    if (!DYNALITE_OPERATIONS.has(operation)) return awsJson(400, "com.amazon.coral.service#UnknownOperationException", "message", "Unknown operation exception");
    return undefined;
}

function answerOf(statusCode: number, body: object): Answer {
    return { statusCode, headers: { "content-type": "application/x-amz-json-1.0" }, body: JSON.stringify(body) };
}

/** DynamoDB's answer to a request its caller may not make (AccessDenied, or no valid signature); undefined when admitted. */
async function authorizationRefusal(iam: IamGate, request: IncomingMessage, body: Buffer): Promise<Answer | undefined> {
    const parsed = jsonObject(body);
    if (!parsed) return undefined; // dynalite answers SerializationException, before any authorization
    const operation = String(request.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
    const authenticated = await iam.authenticate(request, body, "dynamodb", `DynamoDB ${operation}`);
    if ("problem" in authenticated) return awsJsonAuthError(authenticated.problem);
    const denied = iam.authorize(authenticated.caller, dynamoDbRequests(operation, parsed, iam.arns));
    return denied && awsJsonAuthError(denied);
}

/**
 * What a DynamoDB request asks IAM for: `dynamodb:<Operation>` on each table it names (an index
 * of it for a Query or Scan with IndexName, as `table/<name>/index/<index>`), or on `*`.
 */
export function dynamoDbRequests(operation: string, request: Record<string, unknown>, { account, region }: { account: string; region: string }): ActionRequest[] {
    const action = `dynamodb:${operation}`;
    const arnOf = (name: string) => (name.startsWith("arn:") ? name : tableArn({ region, account }, name));
    // A transaction asks for each of its actions on its table, as DynamoDB authorizes it.
    if ((operation === "TransactWriteItems" || operation === "TransactGetItems") && Array.isArray(request.TransactItems)) {
        const requests = request.TransactItems.flatMap((entry: unknown) =>
            Object.entries(typeof entry === "object" && entry !== null ? entry : {})
                .filter(([kind, spec]) => Object.hasOwn(TRANSACTION_ACTIONS, kind) && typeof (spec as { TableName?: unknown } | null)?.TableName === "string")
                .map(([kind, spec]) => ({ action: `dynamodb:${TRANSACTION_ACTIONS[kind]}`, resource: arnOf((spec as { TableName: string }).TableName) })),
        );
        if (requests.length > 0) return requests;
    }
    if (typeof request.TableName === "string") {
        const index = typeof request.IndexName === "string" ? `/index/${request.IndexName}` : "";
        return [{ action, resource: `${arnOf(request.TableName)}${index}` }];
    }
    if (typeof request.ResourceArn === "string") return [{ action, resource: request.ResourceArn }];
    const tables = request.RequestItems;
    if (typeof tables === "object" && tables !== null && Object.keys(tables).length > 0) {
        return Object.keys(tables).map((name) => ({ action, resource: arnOf(name) }));
    }
    return [{ action, resource: "*" }];
}

/** The action IAM checks for each kind of a transaction's items. */
const TRANSACTION_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem", Get: "GetItem" };

function jsonObject(body: Buffer): Record<string, unknown> | undefined {
    try {
        const parsed: unknown = JSON.parse(body.toString("utf8"));
        return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** DynamoDB's answer to a body dynalite cannot take, or undefined to let dynalite answer it. */
function refusalOf(request: IncomingMessage, body: Buffer): Answer | undefined {
    const contentType = String(request.headers["content-type"] ?? "").split(";")[0].trim();
    // Other requests dynalite refuses before it looks at the body.
    if (request.method !== "POST" || body.length === 0 || (contentType !== "application/json" && contentType !== "application/x-amz-json-1.0")) return undefined;
    if (jsonDepthPast(body, MAX_JSON_DEPTH) !== undefined) {
        return awsJson(400, "com.amazon.coral.validate#ValidationException", "message", "Nesting Levels have exceeded supported limits");
    }
    // An object, if it is JSON at all (dynalite parses it, and answers SerializationException if not).
    if (body[body.findIndex((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)] === 0x7b) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(body.toString("utf8"));
    } catch {
        return undefined; // dynalite answers SerializationException
    }
    const found = parsed === null ? "null" : Array.isArray(parsed) ? "a list" : `a ${typeof parsed}`;
    return awsJson(400, "com.amazon.coral.service#SerializationException", "Message", `The request must be a JSON object (a structure), not ${found}.`);
}

/** DynamoDB's largest expression string, in UTF-8 bytes (each of a request's expressions). */
export const MAX_EXPRESSION_BYTES = 4096;
const EXPRESSIONS = ["ConditionExpression", "KeyConditionExpression", "FilterExpression", "UpdateExpression", "ProjectionExpression"];
/**
 * Deeper than any expression within 4 KB nests without redundant parentheses (each level takes at
 * least `NOT (` and `)`, around `a=:v`); dynalite's parser overflowed its stack at about 2,000
 * levels of `(`, and took 680 levels of `NOT (` in its stride.
 */
const MAX_EXPRESSION_NESTING = Math.floor((MAX_EXPRESSION_BYTES - 4) / 6);

/**
 * DynamoDB's answer to an expression it refuses for its size or nesting, or undefined to let
 * dynalite parse it: over 4 KB, AWS's own message; nested deeper than a valid expression of that
 * size can be, balanced parentheses are redundant ones (AWS's message), unbalanced ones a syntax
 * error in AWS's form (the token where it breaks, and what precedes it).
 */
function expressionRefusal(body: Buffer): Answer | undefined {
    const request = body.includes("Expression") ? jsonObject(body) : undefined;
    if (!request) return undefined;
    for (const field of EXPRESSIONS) {
        const expression = request[field];
        if (typeof expression !== "string") continue;
        const invalid = (message: string) => awsJson(400, "com.amazon.coral.validate#ValidationException", "message", `Invalid ${field}: ${message}`);
        const size = Buffer.byteLength(expression);
        if (size > MAX_EXPRESSION_BYTES) return invalid(`Expression size has exceeded the maximum allowed size; expression size: ${size}`);
        let depth = 0;
        let deepest = 0;
        for (let i = 0; i < expression.length; i++) {
            if (expression[i] === "(") deepest = Math.max(deepest, ++depth);
            else if (expression[i] === ")" && --depth < 0) {
                if (deepest <= MAX_EXPRESSION_NESTING) break; // shallow: dynalite answers its syntax error
                return invalid(`Syntax error; token: ")", near: "${expression.slice(Math.max(0, i - 1), i + 1)}"`);
            }
        }
        if (deepest <= MAX_EXPRESSION_NESTING) continue;
        if (depth === 0) return invalid("The expression has redundant parentheses;");
        return invalid(`Syntax error; token: "<EOF>", near: "${expression.slice(-2)}"`);
    }
    return undefined;
}

/**
 * dynalite parses expressions (ConditionExpression, UpdateExpression, ...) with parsers generated
 * by PEG.js without its result cache, and they backtrack exponentially over parentheses: an
 * unclosed `((((((pk = :v` took seconds, one more level minutes, with the whole local cloud
 * blocked. The same parsers with the cache PEG.js generates on request (each rule's result kept
 * per input position, and per silent mode, so even the error messages are the same) take
 * linear time. Installed on dynalite's parser modules once, whoever loads dynalite in this process.
 */
function memoizeExpressionParsers(): void {
    for (const name of ["conditionParser", "updateParser", "projectionParser"]) {
        const file = require.resolve(`dynalite/db/${name}`);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const parser = require(file) as { parse: unknown; memoized?: boolean };
        if (parser.memoized) continue;
        const source = fs.readFileSync(file, "utf8");
        const rules = [...source.matchAll(/^ {2}function (peg\$parse[A-Z]\w*)\(\) \{$/gm)].map((match) => match[1]);
        const header = "function peg$parse(input, options) {\n";
        if (rules.length === 0 || !source.includes(header)) {
            throw new Error(`dynalite's ${file} is not the PEG.js parser local/dynamodb/service.ts knows how to memoize; check the dynalite version.`);
        }
        const cache =
            `  var peg$memo$cache = new Map();\n` +
            `  function peg$memo(rule, parse) {\n` +
            `    var key = (peg$currPos * ${rules.length} + rule) * 2 + (peg$silentFails > 0 ? 1 : 0), cached = peg$memo$cache.get(key);\n` +
            `    if (cached !== undefined) { peg$currPos = cached.nextPos; return cached.result; }\n` +
            `    var result = parse();\n` +
            `    peg$memo$cache.set(key, { nextPos: peg$currPos, result: result });\n` +
            `    return result;\n` +
            `  }\n`;
        let memoized = source.replace(header, header + cache);
        rules.forEach((rule, index) => {
            memoized = memoized.replace(`  function ${rule}() {\n`, `  function ${rule}() { return peg$memo(${index}, ${rule}$uncached); }\n  function ${rule}$uncached() {\n`);
        });
        const compiled = { exports: {} as { parse?: unknown } };
        vm.compileFunction(memoized, ["module", "exports", "require"], { filename: file })(compiled, compiled.exports, require);
        parser.parse = compiled.exports.parse;
        parser.memoized = true;
    }
}
memoizeExpressionParsers();

/** CreateTable from the inputs of an aws.dynamodb.Table. */
export function createTableRequest(name: string, inputs: Inputs): CreateTableCommandInput {
    const keySchema = (hashKey: string, rangeKey?: string) => [
        { AttributeName: hashKey, KeyType: "HASH" as const },
        ...(rangeKey ? [{ AttributeName: rangeKey, KeyType: "RANGE" as const }] : []),
    ];
    const projection = (index: Inputs) => ({
        ProjectionType: index.projectionType,
        ...(index.nonKeyAttributes ? { NonKeyAttributes: index.nonKeyAttributes } : {}),
    });
    const provisioned = inputs.billingMode !== "PAY_PER_REQUEST";
    const throughput = (spec: Inputs) =>
        provisioned ? { ProvisionedThroughput: { ReadCapacityUnits: spec.readCapacity ?? 1, WriteCapacityUnits: spec.writeCapacity ?? 1 } } : {};
    const gsis: Inputs[] = inputs.globalSecondaryIndexes ?? [];
    const lsis: Inputs[] = inputs.localSecondaryIndexes ?? [];
    return {
        TableName: name,
        AttributeDefinitions: (inputs.attributes ?? []).map((a: Inputs) => ({ AttributeName: a.name, AttributeType: a.type })),
        KeySchema: keySchema(inputs.hashKey, inputs.rangeKey),
        BillingMode: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST",
        ...throughput(inputs),
        ...(gsis.length > 0
            ? { GlobalSecondaryIndexes: gsis.map((g) => ({ IndexName: g.name, KeySchema: keySchema(g.hashKey, g.rangeKey), Projection: projection(g), ...throughput(g) })) }
            : {}),
        ...(lsis.length > 0
            ? { LocalSecondaryIndexes: lsis.map((l) => ({ IndexName: l.name, KeySchema: keySchema(inputs.hashKey, l.rangeKey), Projection: projection(l) })) }
            : {}),
    };
}
