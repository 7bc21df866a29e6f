// An SQS queue on this machine, for what the state machine sends (the saga's failure queue): kept
// in memory, or also in a file of the data folder (one JSON line per message), and inspected over
// HTTP (GET /_local/queues), not consumed. Nothing here serves the SQS API itself: no handler of
// the program reads a queue.
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";

export interface QueueMessage {
    messageId: string;
    md5OfBody: string;
    sentAt: string;
    /** The body as sent. */
    body: string;
    /** The body parsed, when it is JSON (the failure records are). */
    json?: unknown;
}

export interface QueueSummary {
    name: string;
    url: string;
    arn: string;
    count: number;
    messages: QueueMessage[];
}

export class LocalQueue {
    private readonly messages: QueueMessage[] = [];

    constructor(
        readonly name: string,
        readonly url: string,
        readonly arn: string,
        /** Where the messages are kept across restarts; in memory only when absent. */
        private readonly file?: string,
    ) {
        if (file && fs.existsSync(file)) {
            for (const line of fs.readFileSync(file, "utf8").split("\n")) if (line.trim() !== "") this.messages.push(JSON.parse(line));
        }
    }

    send(body: string): QueueMessage {
        const message: QueueMessage = {
            messageId: randomUUID(),
            md5OfBody: createHash("md5").update(body).digest("hex"),
            sentAt: new Date().toISOString(),
            body,
            ...parsed(body),
        };
        this.messages.push(message);
        if (this.file) fs.appendFileSync(this.file, `${JSON.stringify(message)}\n`);
        return message;
    }

    /** Removes every message; answers how many there were. */
    purge(): number {
        if (this.file) fs.writeFileSync(this.file, "");
        return this.messages.splice(0).length;
    }

    summary(): QueueSummary {
        return { name: this.name, url: this.url, arn: this.arn, count: this.messages.length, messages: [...this.messages] };
    }
}

function parsed(body: string): { json?: unknown } {
    try {
        return { json: JSON.parse(body) };
    } catch {
        return {};
    }
}
