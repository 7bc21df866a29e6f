// Boots the local cloud (`npm start`'s) with the real program on a free port, and talks to it the
// way a user does: over HTTP only, through the API, the status route, the local inspection
// endpoints and the Step Functions API. The end-to-end tests, the benchmarks and the chaos run
// drive the cloud through it.
import * as path from "node:path";
import { LocalCloud, LocalCloudOptions, startLocalCloud } from "./cloud";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface Booted {
    cloud: LocalCloud;
    client: SagaClient;
    /** Every line the local cloud logged. */
    lines: string[];
}

/** The reference program on a free port; retries wait 0 ms unless told otherwise. */
export async function bootCloud(options: LocalCloudOptions = {}): Promise<Booted> {
    const lines: string[] = [];
    const cloud = await startLocalCloud({ port: 0, programDir: PROJECT_ROOT, retryIntervalMs: 0, log: (line) => lines.push(line), ...options });
    return { cloud, client: new SagaClient(String(cloud.outputs.apiUrl), cloud.url), lines };
}

export interface Answer<T = any> {
    status: number;
    body: T;
}

export interface StatusReport {
    outcome: string;
    status: string;
    error: string | null;
    cause: any;
    records: Record<string, string>[];
}

export class SagaClient {
    constructor(
        /** The program's apiUrl output, e.g. http://127.0.0.1:41234/v1/ */
        readonly apiUrl: string,
        readonly cloudUrl: string,
    ) {}

    /** A start request: GET <api>?<query>. */
    start(query: Record<string, string>): Promise<Answer> {
        return this.get(`${this.apiUrl}?${new URLSearchParams(query)}`);
    }

    status(tripId: string): Promise<Answer<StatusReport>> {
        return this.get(`${this.apiUrl}trips/${encodeURIComponent(tripId)}`);
    }

    /** Asks the status route until the saga is no longer running. */
    async outcome(tripId: string, timeoutMs = 10_000): Promise<StatusReport> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const { status, body } = await this.status(tripId);
            if (status !== 200) throw new Error(`GET trips/${tripId} answered ${status}: ${JSON.stringify(body)}`);
            if (body.outcome !== "running") return body;
            if (Date.now() > deadline) throw new Error(`The saga ${tripId} was still running after ${timeoutMs} ms.`);
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    }

    /** The messages of every local queue (GET /_local/queues). */
    async queueMessages(): Promise<Record<string, any>[]> {
        const { body } = await this.get(`${this.cloudUrl}/_local/queues`);
        return body.queues.flatMap((queue: { messages: { json: Record<string, any> }[] }) => queue.messages.map((message) => message.json));
    }

    /** A Step Functions API call (AWS JSON 1.0), as the SDK or the CLI would send it. */
    async stepFunctions(operation: string, request: object): Promise<Answer> {
        const response = await fetch(this.cloudUrl, {
            method: "POST",
            headers: { "x-amz-target": `AWSStepFunctions.${operation}`, "content-type": "application/x-amz-json-1.0" },
            body: JSON.stringify(request),
        });
        return { status: response.status, body: await response.json() };
    }

    async get(url: string): Promise<Answer> {
        const response = await fetch(url);
        const text = await response.text();
        let body: unknown = text;
        try {
            body = JSON.parse(text);
        } catch {
            // Not JSON: the text is the body.
        }
        return { status: response.status, body };
    }
}

/** The type and status of each record, as the status route lists them (sorted by sort key). */
export const summaryOf = (records: Record<string, string>[]) => records.map(({ type, transaction_status }) => ({ type, transaction_status }));

/** Runs `task(0..count-1)` with at most `concurrency` under way at once; `onDone` after each. */
export async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>, onDone?: (done: number) => void): Promise<void> {
    let next = 0;
    let done = 0;
    const worker = async () => {
        while (next < count) {
            await task(next++);
            onDone?.(++done);
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
