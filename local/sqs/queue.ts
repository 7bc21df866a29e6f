// An SQS queue on this machine: what the state machines send (the saga's failure records) and what
// the functions send through the SQS API (local/sqs/api.ts), kept in memory, or also in a file of
// the data folder (one JSON line per message; a deleted message's line is gone, the file rewritten
// whole and renamed into place), inspected over HTTP (GET /_local/queues) and consumed as on SQS:
// a received message is invisible for its visibility timeout, then received again (its receive
// count grows) unless deleted with its receipt handle. A FIFO queue keeps SQS's deduplication (a
// message whose deduplication id was sent in the last 5 minutes is accepted and not enqueued
// again) and its order: a group with a message in flight gives no other message until it is gone.
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { UnpersistedWrite } from "../data-folder";
import { appendRecord, encodeLine, hasFields, readRecords } from "../jsonl";

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
    /** Each message; one received since it was sent says how often and whether it is in flight now. */
    messages: Array<QueueMessage & { receiveCount?: number; inFlight?: boolean }>;
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
    /** The queue's attributes as the program declares them (SQS's defaults otherwise). */
    visibilityTimeoutSeconds?: number;
    delaySeconds?: number;
    messageRetentionSeconds?: number;
    maximumMessageSize?: number;
    receiveWaitTimeSeconds?: number;
}

/** A message received: the message, the handle that deletes it, how often it was received. */
export interface Delivery {
    message: QueueMessage;
    receiptHandle: string;
    receiveCount: number;
    firstReceivedAt: number;
}

/** What SQS keeps of a message between receives (not persisted: a restart makes it visible again). */
interface InFlight {
    receiptHandle: string;
    visibleAt: number;
    receiveCount: number;
    firstReceivedAt: number;
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
    private readonly received = new Map<string, InFlight>();
    private readonly waiting = new Set<() => void>();
    readonly visibilityTimeoutSeconds: number;
    readonly delaySeconds: number;
    readonly messageRetentionSeconds: number;
    readonly maximumMessageSize: number;
    readonly receiveWaitTimeSeconds: number;
    readonly createdAt = Date.now();
    /** When the last PurgeQueue was (SQS allows one a minute). */
    lastPurgeAt?: number;

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
        this.visibilityTimeoutSeconds = settings.visibilityTimeoutSeconds ?? 30;
        this.delaySeconds = settings.delaySeconds ?? 0;
        this.messageRetentionSeconds = settings.messageRetentionSeconds ?? 345_600;
        this.maximumMessageSize = settings.maximumMessageSize ?? 1_048_576;
        this.receiveWaitTimeSeconds = settings.receiveWaitTimeSeconds ?? 0;
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
            ...((options.delaySeconds ?? this.delaySeconds) > 0 ? { delaySeconds: options.delaySeconds ?? this.delaySeconds } : {}),
        };
        // Kept before it is acknowledged: a message the data folder cannot keep is refused (503).
        if (this.file) this.write(`a message to the queue ${this.name}`, () => appendRecord(this.file!, message));
        this.messages.push(message);
        this.wake();
        return message;
    }

    /**
     * Receives up to `max` visible messages, each then invisible for `visibilitySeconds` under a
     * new receipt handle. Messages past the retention period are dropped first, as SQS drops them.
     */
    receive(max: number, visibilitySeconds: number, now = Date.now()): Delivery[] {
        this.expire(now);
        const busyGroups = new Set<string>();
        if (this.fifo) {
            for (const message of this.messages) {
                if ((this.received.get(message.messageId)?.visibleAt ?? 0) > now) busyGroups.add(String(message.messageGroupId));
            }
        }
        const deliveries: Delivery[] = [];
        for (const message of this.messages) {
            if (deliveries.length >= max) break;
            if (!this.isVisible(message, now)) {
                // FIFO: a group's later messages wait behind one that is not yet visible.
                if (this.fifo) busyGroups.add(String(message.messageGroupId));
                continue;
            }
            if (this.fifo && busyGroups.has(String(message.messageGroupId))) continue;
            const before = this.received.get(message.messageId);
            const inFlight: InFlight = {
                receiptHandle: receiptHandleOf(this.name, message.messageId),
                visibleAt: now + visibilitySeconds * 1000,
                receiveCount: (before?.receiveCount ?? 0) + 1,
                firstReceivedAt: before?.firstReceivedAt ?? now,
            };
            this.received.set(message.messageId, inFlight);
            deliveries.push({ message, receiptHandle: inFlight.receiptHandle, receiveCount: inFlight.receiveCount, firstReceivedAt: inFlight.firstReceivedAt });
        }
        return deliveries;
    }

    /**
     * Deletes the message a receipt handle of this queue names (undefined when the handle is not
     * one): true when it was there, false when it was deleted already (SQS answers both alike).
     */
    delete(receiptHandle: string): boolean | undefined {
        const messageId = messageIdOf(this.name, receiptHandle);
        if (messageId === undefined) return undefined;
        const index = this.messages.findIndex((message) => message.messageId === messageId);
        if (index === -1) return false;
        const [removed] = this.messages.splice(index, 1);
        this.received.delete(messageId);
        try {
            this.rewrite();
        } catch (error) {
            // Not kept: not deleted either, so what is answered is what a restart finds.
            this.messages.splice(index, 0, removed);
            throw error;
        }
        this.wake();
        return true;
    }

    /**
     * Makes a message in flight visible again after `seconds` (from now): "not a handle", "not in
     * flight" (received under another handle since, deleted, or visible again), or "changed".
     */
    changeVisibility(receiptHandle: string, seconds: number, now = Date.now()): "invalid" | "not-in-flight" | "changed" {
        const messageId = messageIdOf(this.name, receiptHandle);
        if (messageId === undefined) return "invalid";
        const inFlight = this.received.get(messageId);
        if (!inFlight || inFlight.receiptHandle !== receiptHandle || inFlight.visibleAt <= now) return "not-in-flight";
        inFlight.visibleAt = now + seconds * 1000;
        this.wake();
        return "changed";
    }

    /** Counts as GetQueueAttributes gives them: visible, in flight, delayed. */
    counts(now = Date.now()): { visible: number; inFlight: number; delayed: number } {
        this.expire(now);
        let visible = 0;
        let inFlight = 0;
        let delayed = 0;
        for (const message of this.messages) {
            if (Date.parse(message.sentAt) + (message.delaySeconds ?? 0) * 1000 > now) delayed++;
            else if ((this.received.get(message.messageId)?.visibleAt ?? 0) > now) inFlight++;
            else visible++;
        }
        return { visible, inFlight, delayed };
    }

    /** Resolves when a message may have become receivable (one sent, deleted, made visible), or after `ms`. */
    changed(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const done = () => {
                clearTimeout(timer);
                this.waiting.delete(done);
                resolve();
            };
            const timer = setTimeout(done, ms);
            this.waiting.add(done);
        });
    }

    /** Removes every message; answers how many there were. */
    purge(): number {
        if (this.file) this.write(`the purge of the queue ${this.name}`, () => fs.writeFileSync(this.file!, ""));
        this.received.clear();
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
        const now = Date.now();
        return {
            name: this.name,
            url: this.url,
            arn: this.arn,
            fifo: this.fifo,
            count: this.messages.length,
            messages: this.messages.map((message) => {
                const inFlight = this.received.get(message.messageId);
                return inFlight ? { ...message, receiveCount: inFlight.receiveCount, inFlight: inFlight.visibleAt > now } : message;
            }),
        };
    }

    private isVisible(message: QueueMessage, now: number): boolean {
        if (Date.parse(message.sentAt) + (message.delaySeconds ?? 0) * 1000 > now) return false;
        return (this.received.get(message.messageId)?.visibleAt ?? 0) <= now;
    }

    /** Drops the messages older than the retention period, as SQS does. */
    private expire(now: number): void {
        const oldest = now - this.messageRetentionSeconds * 1000;
        const kept = this.messages.filter((message) => Date.parse(message.sentAt) >= oldest);
        if (kept.length === this.messages.length) return;
        for (const message of this.messages) if (!kept.includes(message)) this.received.delete(message.messageId);
        const before = [...this.messages];
        this.messages.splice(0, this.messages.length, ...kept);
        try {
            this.rewrite();
        } catch {
            // Not kept: they stay until a write succeeds, as on disk.
            this.messages.splice(0, this.messages.length, ...before);
        }
    }

    /** The file holds exactly the messages: written beside it, then renamed over it (never half written). */
    private rewrite(): void {
        if (!this.file) return;
        const next = `${this.file}.next`;
        this.write(`the messages of the queue ${this.name}`, () => {
            fs.writeFileSync(next, this.messages.map((message) => encodeLine(message)).join(""));
            fs.renameSync(next, this.file!);
        });
    }

    private wake(): void {
        for (const done of [...this.waiting]) done();
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

/** A receipt handle: the queue and the message, and what makes each receive's handle its own. */
function receiptHandleOf(queue: string, messageId: string): string {
    return Buffer.from(JSON.stringify({ q: queue, m: messageId, r: randomUUID() })).toString("base64url");
}

/** The message a receipt handle of this queue names; undefined when it is not one. */
function messageIdOf(queue: string, receiptHandle: string): string | undefined {
    try {
        const decoded = JSON.parse(Buffer.from(receiptHandle, "base64url").toString("utf8")) as { q?: unknown; m?: unknown };
        return decoded.q === queue && typeof decoded.m === "string" ? decoded.m : undefined;
    } catch {
        return undefined;
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
