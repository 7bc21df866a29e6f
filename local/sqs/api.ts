// The SQS API the functions call, as @aws-sdk/client-sqs and the AWS CLI send it: AWS JSON 1.0
// (POST /, `X-Amz-Target: AmazonSQS.<Operation>`), on the local cloud's one port, so a function's
// SQS client (AWS_ENDPOINT_URL_SQS) reaches the program's queues unchanged; and the query protocol
// older clients speak (boto3 before 1.34, AWS CLI v2 before 2.15: form-encoded `Action=...`, XML
// answers; local/sqs/query.ts). Served: SendMessage, GetQueueUrl, ListQueues, ReceiveMessage (long
// polling up to 20 s), DeleteMessage, ChangeMessageVisibility, GetQueueAttributes and PurgeQueue,
// with SQS's checks and error shapes, each request signed and allowed first (local/iam). A queue is
// named by its local URL (/_local/queues/<name>, also GET /_local/queues to inspect it) or by an
// AWS-style one (/<account>/<name>).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Answer, readBody, RequestAborted, RequestTooLarge, send, sendBeforeBodyEnds, ServiceShape } from "../http";
import { queueArn } from "../../components/model/arns";
import type { ActionRequest, IamGate } from "../iam/gate";
import type { AuthProblem, AuthProblemCode } from "../iam/problems";
import { UnpersistedWrite } from "../data-folder";
import { md5OfMessageAttributes } from "./queue";
import type { LocalQueue, MessageAttribute, SendOptions } from "./queue";
import { queryAnswer, queryErrorAnswer, queryRequest } from "./query";

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

/** The same, to a request over the query protocol: XML. */
export const SQS_QUERY_SHAPE: ServiceShape = {
    name: "SQS",
    tooLarge: (limit) => queryErrorAnswer(413, "RequestEntityTooLarge", `Request size exceeds ${limit} bytes.`, randomUUID()),
    internalFailure: () => queryErrorAnswer(500, "InternalError", "Internal error of the local cloud; see its log.", randomUUID()),
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
/** What an operation knows of its request beyond its members. */
export interface OperationContext {
    /** The account the queues belong to (an AWS-style queue URL names it). */
    account: string;
    /** Resolves when the caller has gone (a long poll then stops). */
    gone: Promise<void>;
}
type Operation = (queues: LocalQueue[], request: Request, context: OperationContext) => object | Promise<object>;

/** How long ReceiveMessage waits at most (SQS: 20 s). */
const MAX_WAIT_SECONDS = 20;
/** SQS's longest visibility timeout: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;
/** The system attributes ReceiveMessage gives when asked (AttributeNames / MessageSystemAttributeNames). */
const MESSAGE_SYSTEM_ATTRIBUTES = [
    "ApproximateFirstReceiveTimestamp",
    "ApproximateReceiveCount",
    "SenderId",
    "SentTimestamp",
    "MessageDeduplicationId",
    "MessageGroupId",
    "SequenceNumber",
];
/** The queue attributes GetQueueAttributes answers. */
const QUEUE_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
];

const receiptHandleInvalid = (handle: string) =>
    new SqsError("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`);

const OPERATIONS: Record<string, Operation> = {
    SendMessage(queues, request, context) {
        const queue = queueOf(queues, request, context);
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
    async ReceiveMessage(queues, request, context) {
        const queue = queueOf(queues, request, context);
        const max = integerIn(request, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.") ?? 1;
        const visibility = integerIn(request, "VisibilityTimeout", 0, MAX_VISIBILITY_SECONDS, `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided.`) ?? queue.visibilityTimeoutSeconds;
        const wait = integerIn(request, "WaitTimeSeconds", 0, MAX_WAIT_SECONDS, `Must be >= 0 and <= ${MAX_WAIT_SECONDS}, if provided.`) ?? queue.receiveWaitTimeSeconds;
        const systemNames = [...stringList(request, "AttributeNames"), ...stringList(request, "MessageSystemAttributeNames")];
        for (const name of systemNames) {
            if (name !== "All" && !MESSAGE_SYSTEM_ATTRIBUTES.includes(name) && name !== "AWSTraceHeader") throw new SqsError("InvalidAttributeName", "InvalidAttributeName", `Unknown Attribute ${name}.`);
        }
        const attributeNames = stringList(request, "MessageAttributeNames");
        const deadline = Date.now() + wait * 1000;
        let gone = false;
        void context.gone.then(() => (gone = true));
        let deliveries = queue.receive(max, visibility);
        // Long polling: answered as soon as a message can be received, or empty at the deadline.
        while (deliveries.length === 0 && !gone && Date.now() < deadline) {
            await Promise.race([queue.changed(Math.min(deadline - Date.now(), 250)), context.gone]);
            deliveries = queue.receive(max, visibility);
        }
        const senderId = context.account;
        return {
            ...(deliveries.length > 0
                ? {
                      Messages: deliveries.map(({ message, receiptHandle, receiveCount, firstReceivedAt }) => {
                          const system: Record<string, string | undefined> = {
                              ApproximateFirstReceiveTimestamp: String(firstReceivedAt),
                              ApproximateReceiveCount: String(receiveCount),
                              SenderId: senderId,
                              SentTimestamp: String(Date.parse(message.sentAt)),
                              MessageDeduplicationId: message.messageDeduplicationId,
                              MessageGroupId: message.messageGroupId,
                              SequenceNumber: message.sequenceNumber,
                          };
                          const wanted = Object.entries(system).filter(([name, value]) => value !== undefined && (systemNames.includes("All") || systemNames.includes(name)));
                          const attributes = selectAttributes(message.attributes, attributeNames);
                          return {
                              MessageId: message.messageId,
                              ReceiptHandle: receiptHandle,
                              MD5OfBody: message.md5OfBody,
                              Body: message.body,
                              ...(wanted.length > 0 ? { Attributes: Object.fromEntries(wanted) } : {}),
                              ...(attributes ? { MessageAttributes: attributes, MD5OfMessageAttributes: md5OfMessageAttributes(attributes) } : {}),
                          };
                      }),
                  }
                : {}),
        };
    },
    DeleteMessage(queues, request, context) {
        const queue = queueOf(queues, request, context);
        const handle = requiredString(request, "ReceiptHandle");
        if (unlessUnpersisted(() => queue.delete(handle)) === undefined) throw receiptHandleInvalid(handle);
        return {};
    },
    ChangeMessageVisibility(queues, request, context) {
        const queue = queueOf(queues, request, context);
        const handle = requiredString(request, "ReceiptHandle");
        if (request.VisibilityTimeout === undefined || request.VisibilityTimeout === null) throw missing("VisibilityTimeout");
        const seconds = integerIn(request, "VisibilityTimeout", 0, MAX_VISIBILITY_SECONDS, `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`)!;
        const changed = queue.changeVisibility(handle, seconds);
        if (changed === "invalid") throw receiptHandleInvalid(handle);
        if (changed === "not-in-flight") {
            throw new SqsError(
                "MessageNotInflight",
                "AWS.SimpleQueueService.MessageNotInflight",
                `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
            );
        }
        return {};
    },
    GetQueueAttributes(queues, request, context) {
        const queue = queueOf(queues, request, context);
        const names = stringList(request, "AttributeNames");
        for (const name of names) {
            if (name !== "All" && !QUEUE_ATTRIBUTES.includes(name) && !["Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit"].includes(name)) {
                throw new SqsError("InvalidAttributeName", "InvalidAttributeName", `Unknown Attribute ${name}.`);
            }
        }
        const counts = queue.counts();
        const created = String(Math.floor(queue.createdAt / 1000));
        const all: Record<string, string | undefined> = {
            ApproximateNumberOfMessages: String(counts.visible),
            ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
            ApproximateNumberOfMessagesDelayed: String(counts.delayed),
            CreatedTimestamp: created,
            LastModifiedTimestamp: created,
            DelaySeconds: String(queue.delaySeconds),
            MaximumMessageSize: String(queue.maximumMessageSize),
            MessageRetentionPeriod: String(queue.messageRetentionSeconds),
            QueueArn: queue.arn,
            ReceiveMessageWaitTimeSeconds: String(queue.receiveWaitTimeSeconds),
            VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
            SqsManagedSseEnabled: "false",
            FifoQueue: queue.fifo ? "true" : undefined,
            ContentBasedDeduplication: queue.fifo ? String(queue.contentBasedDeduplication) : undefined,
        };
        const wanted = Object.entries(all).filter(([name, value]) => value !== undefined && (names.includes("All") || names.includes(name)));
        return wanted.length > 0 ? { Attributes: Object.fromEntries(wanted) } : {};
    },
    PurgeQueue(queues, request, context) {
        const queue = queueOf(queues, request, context);
        const now = Date.now();
        if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < 60_000) {
            throw new SqsError(
                "PurgeQueueInProgress",
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
                403,
            );
        }
        unlessUnpersisted(() => queue.purge());
        queue.lastPurgeAt = now;
        return {};
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

/** The account and queue an AWS-style queue URL's path names (/<account>/<name>), if it is one. */
export function awsQueuePath(pathname: string): { account: string; name: string } | undefined {
    const match = /^\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/.exec(pathname);
    return match ? { account: match[1], name: match[2] } : undefined;
}

/**
 * The queue a request's QueueUrl names: this URL, its path on another name of this host, or an
 * AWS-style URL (/<account>/<name>, any host: the endpoint is this one) of this account.
 */
function queueOf(queues: LocalQueue[], request: Request, context: OperationContext): LocalQueue {
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
    const aws = awsQueuePath(path);
    const samePath = aws
        ? aws.account === context.account
            ? queues.find((queue) => queue.name === aws.name)
            : undefined
        : queues.find((queue) => new URL(queue.url).pathname === path);
    if (!samePath) throw queueDoesNotExist();
    return samePath;
}

/** An integer member within [min, max] (undefined when absent), else SQS's InvalidParameterValue. */
function integerIn(request: Request, field: string, min: number, max: number, reason: string): number | undefined {
    const value = request[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw invalid(`Value ${String(value)} for parameter ${field} is invalid. Reason: ${reason}`);
    }
    return value;
}

function requiredString(request: Request, field: string): string {
    const value = optionalString(request, field);
    if (value === undefined || value === "") throw missing(field);
    return value;
}

function stringList(request: Request, field: string): string[] {
    const value = request[field];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) throw serialization(field, "a list of strings");
    return value as string[];
}

/** The message attributes ReceiveMessage was asked for: All, .*, names, or prefixes (name.*). */
function selectAttributes(attributes: Record<string, MessageAttribute> | undefined, names: string[]): Record<string, MessageAttribute> | undefined {
    if (!attributes || names.length === 0) return undefined;
    const chosen = Object.entries(attributes).filter(([name]) =>
        names.some((wanted) => wanted === "All" || wanted === ".*" || wanted === name || (wanted.endsWith(".*") && name.startsWith(wanted.slice(0, -1)))),
    );
    return chosen.length > 0 ? Object.fromEntries(chosen) : undefined;
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

/** How a request came and is answered: AWS JSON, or the query protocol (form or query string in, XML out). */
type Protocol = "json" | { query: URL };

/** An SQS request over AWS JSON (`X-Amz-Target: AmazonSQS.<Operation>`). */
export function handleSqsRequest(queues: LocalQueue[], iam: IamGate, request: IncomingMessage, response: ServerResponse): Promise<void> {
    return serveSqs(queues, iam, request, response, "json");
}

/** An SQS request over the query protocol: `Action=...` in a form-encoded POST or a GET's query string. */
export function handleSqsQueryRequest(queues: LocalQueue[], iam: IamGate, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    return serveSqs(queues, iam, request, response, { query: url });
}

/** Whether a request without X-Amz-Target is SQS's query protocol: `Action` at / or at a queue's AWS-style path. */
export function isSqsQueryRequest(method: string | undefined, headers: IncomingMessage["headers"], url: URL): boolean {
    if (url.pathname !== "/" && !awsQueuePath(url.pathname)) return false;
    if (method === "GET") return url.searchParams.has("Action");
    return method === "POST" && String(headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
}

async function serveSqs(queues: LocalQueue[], iam: IamGate, request: IncomingMessage, response: ServerResponse, protocol: Protocol): Promise<void> {
    const requestId = randomUUID();
    const reply = (statusCode: number, operation: string, body: object) => {
        const text = protocol === "json" ? JSON.stringify(body) : queryAnswer(operation, body, requestId);
        response.writeHead(statusCode, {
            "content-type": protocol === "json" ? "application/x-amz-json-1.0" : "text/xml",
            "content-length": Buffer.byteLength(text),
            "x-amzn-requestid": requestId,
        });
        response.end(text);
    };
    const refuse = (problem: AuthProblem) =>
        protocol === "json"
            ? send(response, sqsAuthError(problem))
            : send(response, queryErrorAnswer(403, AUTH_QUERY_ERRORS[problem.code], problem.message, requestId));
    let operation = protocol === "json" ? String(request.headers["x-amz-target"]).slice(SQS_TARGET_PREFIX.length) : "";
    try {
        // Refused before the body is read: an operation not served.
        if (protocol === "json") handlerOf(operation);
        const raw = await readBody(request, MAX_REQUEST_BYTES);
        const form = protocol === "json" ? undefined : new URLSearchParams(request.method === "GET" ? protocol.query.search : raw.toString("utf8"));
        if (form) operation = form.get("Action") ?? "";
        const authenticated = await iam.authenticate(request, raw, "sqs", `SQS ${operation || "(no Action)"}`);
        if ("problem" in authenticated) return refuse(authenticated.problem);
        if (form && operation === "") throw new SqsError("MissingAction", "MissingAction", "No action was supplied with this request.");
        handlerOf(operation);
        const parsed = form ? queryRequest(form) : jsonRequest(raw);
        // A request posted to a queue's own URL (as older clients do) names its queue by its path.
        const path = protocol === "json" ? new URL(request.url ?? "/", "http://local").pathname : protocol.query.pathname;
        if (parsed.QueueUrl === undefined && awsQueuePath(path)) parsed.QueueUrl = `http://local${path}`;
        const denied = iam.authorize(authenticated.caller, [sqsRequest(operation, parsed, iam.arns)]);
        if (denied) return refuse(denied);
        const gone = new Promise<void>((resolve) => response.once("close", () => resolve()));
        const result = await handlerOf(operation)(queues, parsed, { account: iam.arns.account, gone });
        if (response.writableEnded || response.destroyed) return;
        reply(200, operation, result);
    } catch (error) {
        if (error instanceof RequestAborted) return; // nobody left to answer
        if (error instanceof RequestTooLarge) {
            // readBody answered it in the server's scope; here when called without one.
            if (!response.headersSent) sendBeforeBodyEnds(request, response, SQS_SHAPE.tooLarge(MAX_REQUEST_BYTES));
            return;
        }
        if (!(error instanceof SqsError)) throw error; // the server's safety net logs it and answers SQS's InternalError
        if (protocol !== "json") return send(response, queryErrorAnswer(error.statusCode, error.code, error.message, requestId));
        response.writeHead(error.statusCode, {
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-requestid": requestId,
            "x-amzn-query-error": `${error.code};Sender`,
        });
        response.end(JSON.stringify({ __type: `com.amazonaws.sqs#${error.type}`, message: error.message }));
    }
}

function handlerOf(operation: string): Operation {
    const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
    if (!handler) {
        throw new SqsError(
            "UnsupportedOperation",
            "AWS.SimpleQueueService.UnsupportedOperation",
            `The local cloud does not serve ${operation}; it serves ${Object.keys(OPERATIONS).join(", ")} (and GET /_local/queues to read the messages).`,
        );
    }
    return handler;
}

function jsonRequest(raw: Buffer): Request {
    const text = raw.toString("utf8");
    let parsed: unknown;
    try {
        parsed = text.trim() === "" ? {} : JSON.parse(text);
    } catch (error) {
        throw new SqsError("SerializationException", "SerializationException", (error as Error).message);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw serialization("the request", "a JSON object");
    return parsed as Request;
}
