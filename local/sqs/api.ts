// The SQS API the functions call, as @aws-sdk/client-sqs and the AWS CLI send it: AWS JSON 1.0
// (POST /, `X-Amz-Target: AmazonSQS.<Operation>`), on the local cloud's one port, so a function's
// SQS client (AWS_ENDPOINT_URL_SQS) reaches the program's queues unchanged. Served: SendMessage,
// GetQueueUrl and ListQueues, with SQS's checks and error shapes, each request signed and
// allowed first (local/iam); the messages are inspected at GET /_local/queues (local/sqs/queue.ts),
// nothing here consumes them.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Answer, readBody, RequestAborted, RequestTooLarge, send, sendBeforeBodyEnds, ServiceShape } from "../http";
import { queueArn } from "../../components/model/arns";
import type { ActionRequest, IamGate } from "../iam/gate";
import type { AuthProblem, AuthProblemCode } from "../iam/problems";
import { UnpersistedWrite } from "../data-folder";
import type { LocalQueue, MessageAttribute, SendOptions } from "./queue";

export const SQS_TARGET_PREFIX = "AmazonSQS.";

/** SQS's largest message, body and attributes together (1 MiB since August 2025). */
export const MAX_MESSAGE_BYTES = 1_048_576;
/**
 * The largest request body read: a largest message with every character escaped in its JSON
 * string (a quote or a backslash takes two bytes), and room for the other members. The message
 * itself is checked against MAX_MESSAGE_BYTES once parsed, as SQS counts it.
 */
export const MAX_REQUEST_BYTES = 2 * MAX_MESSAGE_BYTES + 64 * 1024;
const MAX_DELAY_SECONDS = 900;
const MAX_ATTRIBUTES = 10;

/**
 * An error as SQS answers it over JSON: `__type` names the error shape, the header
 * `x-amzn-query-error` carries the query protocol's code (what the SDKs report as `Code`).
 */
export class SqsError extends Error {
    constructor(
        /** The shape, e.g. QueueDoesNotExist. */
        readonly type: string,
        /** The query-protocol code, e.g. AWS.SimpleQueueService.NonExistentQueue. */
        readonly code: string,
        message: string,
        readonly statusCode = 400,
    ) {
        super(message);
        this.name = type;
    }
}

/** An SQS error answer: AWS JSON with `__type`, and the query protocol's code in `x-amzn-query-error`. */
function sqsAnswer(statusCode: number, type: string, queryError: string, message: string): Answer {
    return {
        statusCode,
        headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID(), "x-amzn-query-error": queryError },
        body: JSON.stringify({ __type: type, message }),
    };
}

/** SQS's answers for what is not an operation's error. */
export const SQS_SHAPE: ServiceShape = {
    name: "SQS",
    tooLarge: (limit) => sqsAnswer(413, "com.amazon.coral.service#RequestEntityTooLargeException", "RequestEntityTooLarge;Sender", `Request size exceeds ${limit} bytes.`),
    internalFailure: () => sqsAnswer(500, "com.amazonaws.sqs#InternalError", "InternalError;Receiver", "Internal error of the local cloud; see its log."),
};

/** A message the data folder could not keep: SQS's 503, so the sender knows it was not taken. */
function unlessUnpersisted<T>(act: () => T): T {
    try {
        return act();
    } catch (error) {
        if (error instanceof UnpersistedWrite) throw new SqsError("ServiceUnavailable", "ServiceUnavailable", error.message, 503);
        throw error;
    }
}

const queueDoesNotExist = () => new SqsError("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");
const missing = (parameter: string) => new SqsError("MissingParameter", "MissingParameter", `The request must contain the parameter ${parameter}.`);
const invalid = (message: string) => new SqsError("InvalidParameterValue", "InvalidParameterValue", message);
const notThisQueueType = (parameter: string, value: unknown) =>
    invalid(`Value ${String(value)} for parameter ${parameter} is invalid. Reason: The request include parameter that is not valid for this queue type.`);

type Request = Record<string, unknown>;
type Operation = (queues: LocalQueue[], request: Request) => object;

const OPERATIONS: Record<string, Operation> = {
    SendMessage(queues, request) {
        const queue = queueOf(queues, request);
        const body = request.MessageBody;
        if (body === undefined || body === null || body === "") throw missing("MessageBody");
        if (typeof body !== "string") throw serialization("MessageBody", "a string");
        const message = unlessUnpersisted(() => queue.send(body, sendOptions(queue, request, body)));
        return {
            MessageId: message.messageId,
            MD5OfMessageBody: message.md5OfBody,
            ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
            ...(message.sequenceNumber ? { SequenceNumber: message.sequenceNumber } : {}),
        };
    },
    GetQueueUrl(queues, request) {
        const name = optionalString(request, "QueueName");
        if (!name) throw missing("QueueName");
        const queue = queues.find((candidate) => candidate.name === name);
        if (!queue) throw queueDoesNotExist();
        return { QueueUrl: queue.url };
    },
    ListQueues(queues, request) {
        const prefix = optionalString(request, "QueueNamePrefix") ?? "";
        const max = request.MaxResults;
        if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 1 && (max as number) <= 1000)) {
            throw invalid(`Value ${String(max)} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
        }
        const matching = queues.filter((queue) => queue.name.startsWith(prefix)).map((queue) => queue.url).sort();
        const token = optionalString(request, "NextToken");
        const start = token === undefined ? 0 : Number(Buffer.from(token, "base64url").toString());
        if (!Number.isInteger(start) || start < 0) throw invalid("Invalid NextToken value.");
        // Without MaxResults SQS answers at most 1000 and no token.
        const end = max === undefined ? Math.min(matching.length, 1000) : start + (max as number);
        const page = matching.slice(start, end);
        return {
            ...(page.length > 0 ? { QueueUrls: page } : {}),
            ...(max !== undefined && end < matching.length ? { NextToken: Buffer.from(String(end)).toString("base64url") } : {}),
        };
    },
};

/** The queue a request's QueueUrl names: this URL, or its path on another name of this host. */
function queueOf(queues: LocalQueue[], request: Request): LocalQueue {
    const url = optionalString(request, "QueueUrl");
    if (!url) throw missing("QueueUrl");
    const exact = queues.find((queue) => queue.url === url);
    if (exact) return exact;
    let path: string;
    try {
        path = new URL(url).pathname;
    } catch {
        throw new SqsError("InvalidAddress", "InvalidAddress", `The address ${url} is not valid for this endpoint.`, 404);
    }
    const samePath = queues.find((queue) => new URL(queue.url).pathname === path);
    if (!samePath) throw queueDoesNotExist();
    return samePath;
}

/** The checked extras of a SendMessage: attributes, FIFO parameters, delay. */
function sendOptions(queue: LocalQueue, request: Request, body: string): SendOptions {
    const invalidCharacter = firstInvalidCharacter(body);
    if (invalidCharacter !== undefined) {
        throw new SqsError(
            "InvalidMessageContents",
            "InvalidMessageContents",
            `Invalid binary character '#x${invalidCharacter.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
        );
    }
    const attributes = messageAttributes(request.MessageAttributes);
    const size = Buffer.byteLength(body, "utf8") + attributesSize(attributes);
    if (size > MAX_MESSAGE_BYTES) throw invalid(`One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);

    const delay = request.DelaySeconds;
    if (delay !== undefined && !(Number.isInteger(delay) && (delay as number) >= 0 && (delay as number) <= MAX_DELAY_SECONDS)) {
        throw invalid(`Value ${String(delay)} for parameter DelaySeconds is invalid. Reason: must be between 0 and ${MAX_DELAY_SECONDS}, if provided.`);
    }
    const groupId = optionalString(request, "MessageGroupId");
    const deduplicationId = optionalString(request, "MessageDeduplicationId");
    for (const [parameter, value] of [["MessageGroupId", groupId], ["MessageDeduplicationId", deduplicationId]] as const) {
        if (value !== undefined && !/^[\x21-\x7e]{1,128}$/.test(value)) {
            throw invalid(`Value ${value} for parameter ${parameter} is invalid. Reason: ${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
        }
    }
    if (queue.fifo) {
        if (delay !== undefined && delay !== 0) throw notThisQueueType("DelaySeconds", delay);
        if (groupId === undefined) throw missing("MessageGroupId");
        if (deduplicationId === undefined && !queue.contentBasedDeduplication) {
            throw invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
        }
    } else if (deduplicationId !== undefined) {
        throw notThisQueueType("MessageDeduplicationId", deduplicationId);
    }
    return {
        ...(attributes ? { attributes } : {}),
        ...(groupId !== undefined ? { messageGroupId: groupId } : {}),
        ...(deduplicationId !== undefined ? { messageDeduplicationId: deduplicationId } : {}),
        ...(typeof delay === "number" && delay > 0 ? { delaySeconds: delay } : {}),
    };
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$/;

/** The message attributes, checked as SQS checks them; undefined when there are none. */
function messageAttributes(value: unknown): Record<string, MessageAttribute> | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) throw serialization("MessageAttributes", "a map");
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return undefined;
    if (entries.length > MAX_ATTRIBUTES) throw invalid(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`);
    // No prototype: `__proto__` is a valid attribute name, and is kept as one.
    const checked: Record<string, MessageAttribute> = Object.create(null);
    for (const [name, raw] of entries) {
        if (!ATTRIBUTE_NAME.test(name) || /^(AWS\.|Amazon\.)/i.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
            throw invalid(`Message (user) attribute name '${name}' is invalid: use up to 256 letters, digits, '_', '-' and '.', not starting with AWS. or Amazon., with no leading, trailing or repeated period.`);
        }
        const attribute = (raw ?? {}) as Partial<Record<keyof MessageAttribute, unknown>>;
        if (typeof attribute.DataType !== "string" || attribute.DataType === "") {
            throw invalid(`The message attribute '${name}' must contain non-empty message attribute type.`);
        }
        if (!DATA_TYPE.test(attribute.DataType)) {
            throw invalid(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
        }
        const kind = attribute.DataType.split(".")[0];
        if (kind === "Binary") {
            if (typeof attribute.BinaryValue !== "string" || attribute.BinaryValue === "") {
                throw invalid(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
            }
            checked[name] = { DataType: attribute.DataType, BinaryValue: attribute.BinaryValue };
            continue;
        }
        if (typeof attribute.StringValue !== "string" || attribute.StringValue === "") {
            throw invalid(`The message attribute '${name}' with type '${kind}' must use field 'String'.`);
        }
        if (kind === "Number" && !Number.isFinite(Number(attribute.StringValue))) {
            throw invalid(`Can't cast the value of message (user) attribute '${name}' to a number.`);
        }
        checked[name] = { DataType: attribute.DataType, StringValue: attribute.StringValue };
    }
    return checked;
}

/** What attributes count towards the message size: names, types and values. */
function attributesSize(attributes: Record<string, MessageAttribute> | undefined): number {
    return Object.entries(attributes ?? {}).reduce(
        (sum, [name, a]) =>
            sum +
            Buffer.byteLength(name) +
            Buffer.byteLength(a.DataType) +
            (a.BinaryValue !== undefined ? Buffer.from(a.BinaryValue, "base64").length : Buffer.byteLength(a.StringValue ?? "")),
        0,
    );
}

/** The first character SQS refuses in a body (its code point), if any. */
function firstInvalidCharacter(body: string): number | undefined {
    for (const character of body) {
        const code = character.codePointAt(0)!;
        const allowed =
            code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
        if (!allowed) return code;
    }
    return undefined;
}

function optionalString(request: Request, field: string): string | undefined {
    const value = request[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw serialization(field, "a string");
    return value;
}

const serialization = (field: string, expected: string) =>
    new SqsError("SerializationException", "SerializationException", `Start of structure or map found where not expected, or a value of the wrong type: ${field} must be ${expected}.`);

/** SQS's query error code for each refusal before an operation (what the SDK reports as `Code`). */
const AUTH_QUERY_ERRORS: Record<AuthProblemCode, string> = {
    MissingAuthenticationToken: "MissingAuthenticationToken",
    IncompleteSignature: "IncompleteSignature",
    InvalidSignature: "SignatureDoesNotMatch",
    UnrecognizedClient: "InvalidClientTokenId",
    AccessDenied: "AccessDenied",
};

/** A request refused before its operation, as SQS answers it: 403. */
export function sqsAuthError(refusal: AuthProblem): Answer {
    return sqsAnswer(403, `com.amazon.coral.service#${refusal.code}Exception`, `${AUTH_QUERY_ERRORS[refusal.code]};Sender`, refusal.message);
}

/**
 * What an SQS request asks IAM for: the operation on the queue its QueueUrl (or QueueName) names,
 * else on `*`. SQS spells actions in lower case in its messages (`sqs:sendmessage`).
 */
export function sqsRequest(operation: string, request: Request, { account, region }: { account: string; region: string }): ActionRequest {
    const action = `sqs:${operation.toLowerCase()}`;
    const arnOf = (name: string, owner = account) => queueArn({ region, account: owner }, name);
    if (typeof request.QueueName === "string") return { action, resource: arnOf(request.QueueName) };
    if (typeof request.QueueUrl !== "string") return { action, resource: "*" };
    let segments: string[];
    try {
        segments = new URL(request.QueueUrl).pathname.split("/").filter((segment) => segment !== "");
    } catch {
        return { action, resource: "*" }; // the operation answers InvalidAddress
    }
    const name = segments[segments.length - 1] ?? "";
    // An AWS queue URL names its owner: https://sqs.<region>.amazonaws.com/<account>/<name>.
    const owner = segments.length === 2 && /^\d{12}$/.test(segments[0]) ? segments[0] : account;
    return { action, resource: arnOf(name, owner) };
}

export async function handleSqsRequest(queues: LocalQueue[], iam: IamGate, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const operation = String(request.headers["x-amz-target"]).slice(SQS_TARGET_PREFIX.length);
    const reply = (statusCode: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body);
        response.writeHead(statusCode, {
            "content-type": "application/x-amz-json-1.0",
            "content-length": Buffer.byteLength(text),
            "x-amzn-requestid": randomUUID(),
            ...headers,
        });
        response.end(text);
    };
    try {
        const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
        if (!handler) {
            throw new SqsError(
                "UnsupportedOperation",
                "AWS.SimpleQueueService.UnsupportedOperation",
                `The local cloud does not serve ${operation}; it serves ${Object.keys(OPERATIONS).join(", ")} (and GET /_local/queues to read the messages).`,
            );
        }
        const raw = await readBody(request, MAX_REQUEST_BYTES);
        const authenticated = await iam.authenticate(request, raw, "sqs", `SQS ${operation}`);
        if ("problem" in authenticated) return send(response, sqsAuthError(authenticated.problem));
        const text = raw.toString("utf8");
        let parsed: unknown;
        try {
            parsed = text.trim() === "" ? {} : JSON.parse(text);
        } catch (error) {
            throw new SqsError("SerializationException", "SerializationException", (error as Error).message);
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw serialization("the request", "a JSON object");
        const denied = iam.authorize(authenticated.caller, [sqsRequest(operation, parsed as Request, iam.arns)]);
        if (denied) return send(response, sqsAuthError(denied));
        reply(200, handler(queues, parsed as Request));
    } catch (error) {
        if (error instanceof RequestAborted) return; // nobody left to answer
        if (error instanceof RequestTooLarge) {
            // readBody answered it in the server's scope; here when called without one.
            if (!response.headersSent) sendBeforeBodyEnds(request, response, SQS_SHAPE.tooLarge(MAX_REQUEST_BYTES));
            return;
        }
        if (!(error instanceof SqsError)) throw error; // the server's safety net logs it and answers SQS's InternalError
        reply(error.statusCode, { __type: `com.amazonaws.sqs#${error.type}`, message: error.message }, { "x-amzn-query-error": `${error.code};Sender` });
    }
}
