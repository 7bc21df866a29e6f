// An SQS queue on this machine: what the state machines send (the saga's failure records) and what
// the functions send through the SQS API (local/sqs/api.ts), kept in memory, or also in a file of
// the data folder (one JSON line per message), and inspected over HTTP (GET /_local/queues), not
// consumed. A FIFO queue keeps SQS's deduplication: a message whose deduplication id was sent in
// the last 5 minutes is accepted and not enqueued again.
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { UnpersistedWrite } from "../data-folder";
import { appendRecord, hasFields, readRecords } from "../jsonl";

/** A message attribute as the SQS API carries it. */
export interface MessageAttribute {
    DataType: string;
    StringValue?: string;
    /** Base64, as the JSON protocol carries binary values. */
    BinaryValue?: string;
}

export interface QueueMessage {
    messageId: string;
    md5OfBody: string;
    sentAt: string;
    /** The body as sent. */
    body: string;
    /** The body parsed, when it is JSON (the failure records are). */
    json?: unknown;
    attributes?: Record<string, MessageAttribute>;
    md5OfMessageAttributes?: string;
    /** FIFO queues: the group, the deduplication id and the sequence number SQS gave the message. */
    messageGroupId?: string;
    messageDeduplicationId?: string;
    sequenceNumber?: string;
    delaySeconds?: number;
}

/** What may come with a body; SendMessage validates it first (local/sqs/api.ts). */
export interface SendOptions {
    attributes?: Record<string, MessageAttribute>;
    messageGroupId?: string;
    messageDeduplicationId?: string;
    delaySeconds?: number;
}

export interface QueueSummary {
    name: string;
    url: string;
    arn: string;
    fifo: boolean;
    count: number;
    messages: QueueMessage[];
}

export interface QueueSettings {
    fifo?: boolean;
    /** FIFO: the body's SHA-256 is the deduplication id when the sender gives none. */
    contentBasedDeduplication?: boolean;
    /** Where the messages are kept across restarts; in memory only when absent. */
    file?: string;
    /** Told of a message cut short by a crash, dropped at start (it was never sent). */
    warn?(line: string): void;
    /** Told when a write fails (the message is then refused, 503). */
    onWriteFailed?(error: unknown): void;
}

/** How long SQS remembers a FIFO message's deduplication id. */
export const DEDUPLICATION_INTERVAL_MS = 5 * 60 * 1000;

export class LocalQueue {
    readonly fifo: boolean;
    readonly contentBasedDeduplication: boolean;
    private readonly messages: QueueMessage[] = [];
    private readonly file?: string;
    private readonly onWriteFailed?: (error: unknown) => void;
    private sequence = 0n;

    constructor(
        readonly name: string,
        readonly url: string,
        readonly arn: string,
        settings: QueueSettings = {},
    ) {
        this.fifo = settings.fifo ?? false;
        this.contentBasedDeduplication = settings.contentBasedDeduplication ?? false;
        this.file = settings.file;
        this.onWriteFailed = settings.onWriteFailed;
        if (this.file && fs.existsSync(this.file)) {
            // A message cut short by a crash while it was appended was never sent: dropped; a damaged one stops the start (local/jsonl.ts).
            const check = hasFields({ messageId: "string", md5OfBody: "string", sentAt: "string", body: "string" });
            for (const message of readRecords(this.file, { holds: `the messages of the queue ${name}`, check, warn: settings.warn })) this.messages.push(message as QueueMessage);
            const last = this.messages.at(-1)?.sequenceNumber;
            if (last) this.sequence = BigInt(last);
        }
    }

    /** Enqueues a message; a FIFO duplicate within the deduplication interval answers the original instead. */
    send(body: string, options: SendOptions = {}): QueueMessage {
        const deduplicationId = this.fifo ? (options.messageDeduplicationId ?? (this.contentBasedDeduplication ? sha256(body) : undefined)) : undefined;
        const duplicate = deduplicationId === undefined ? undefined : this.recentlySent(deduplicationId);
        if (duplicate) return duplicate;
        const message: QueueMessage = {
            messageId: randomUUID(),
            md5OfBody: md5(body),
            sentAt: new Date().toISOString(),
            body,
            ...parsed(body),
            ...(options.attributes && Object.keys(options.attributes).length > 0
                ? { attributes: options.attributes, md5OfMessageAttributes: md5OfMessageAttributes(options.attributes) }
                : {}),
            ...(this.fifo ? { messageGroupId: options.messageGroupId, messageDeduplicationId: deduplicationId, sequenceNumber: this.nextSequenceNumber() } : {}),
            ...(options.delaySeconds ? { delaySeconds: options.delaySeconds } : {}),
        };
        // Kept before it is acknowledged: a message the data folder cannot keep is refused (503).
        if (this.file) this.write(`a message to the queue ${this.name}`, () => appendRecord(this.file!, message));
        this.messages.push(message);
        return message;
    }

    /** Removes every message; answers how many there were. */
    purge(): number {
        if (this.file) this.write(`the purge of the queue ${this.name}`, () => fs.writeFileSync(this.file!, ""));
        return this.messages.splice(0).length;
    }

    private write(what: string, write: () => void): void {
        try {
            write();
        } catch (error) {
            this.onWriteFailed?.(error);
            throw new UnpersistedWrite(what, error);
        }
    }

    summary(): QueueSummary {
        return { name: this.name, url: this.url, arn: this.arn, fifo: this.fifo, count: this.messages.length, messages: [...this.messages] };
    }

    private recentlySent(deduplicationId: string): QueueMessage | undefined {
        const since = Date.now() - DEDUPLICATION_INTERVAL_MS;
        return this.messages.find((m) => m.messageDeduplicationId === deduplicationId && Date.parse(m.sentAt) >= since);
    }

    // SQS's sequence numbers are large, increasing and not consecutive; 20 digits here.
    private nextSequenceNumber(): string {
        this.sequence = this.sequence === 0n ? BigInt(Date.now()) * 1_000_000n : this.sequence + 1n;
        return this.sequence.toString().padStart(20, "0");
    }
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The MD5 SQS answers for a message's attributes (the SDKs check it): over the attributes sorted
 * by name, each as its name, its data type (both length-prefixed), a transport byte (1 for the
 * String and Number types, 2 for Binary) and its value (length-prefixed).
 */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttribute>): string {
    const hash = createHash("md5");
    const field = (bytes: Buffer) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length);
        hash.update(length);
        hash.update(bytes);
    };
    for (const name of Object.keys(attributes).sort()) {
        const attribute = attributes[name];
        field(Buffer.from(name, "utf8"));
        field(Buffer.from(attribute.DataType, "utf8"));
        if (attribute.DataType.startsWith("Binary")) {
            hash.update(Buffer.from([2]));
            field(Buffer.from(attribute.BinaryValue ?? "", "base64"));
        } else {
            hash.update(Buffer.from([1]));
            field(Buffer.from(attribute.StringValue ?? "", "utf8"));
        }
    }
    return hash.digest("hex");
}

function parsed(body: string): { json?: unknown } {
    try {
        return { json: JSON.parse(body) };
    } catch {
        return {};
    }
}
