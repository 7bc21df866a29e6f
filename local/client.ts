// Boots the local cloud (`npm start`'s) with the real program on a free port, and talks to it the
// way a user does: over HTTP only, through the API, the status route, the local inspection
// endpoints and the Step Functions API. The end-to-end tests, the benchmarks and the chaos run
// drive the cloud through it. `spawnCloud` runs it as `npm start` does, in a process of its own,
// for what only a process can show: being killed, or stopped by a signal.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { LocalCloud, LocalCloudOptions, startLocalCloud } from "./cloud";
import { OPERATOR_CREDENTIALS } from "./iam/operator";
import { NodeSha256 } from "./iam/node-sha256";
import { signRequest, SigningName } from "./iam/signing";

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
    return { cloud, client: new SagaClient(String(cloud.outputs.apiUrl), cloud.url, cloud.settings.config["aws:region"] ?? "us-east-1"), lines };
}

export interface CloudProcessOptions {
    /** --data; in memory when absent. */
    dataDir?: string;
    /** --port; default 0, a free one. */
    port?: number;
    /** --config key=value, each. */
    config?: Record<string, string>;
    /** --retry-interval; default 0. */
    retryIntervalMs?: number;
    /** --repair-retry-interval; default retryIntervalMs (npm start's own default, 15 s, is for people watching). */
    repairRetryIntervalMs?: number;
    /** --grace, in seconds; default main.ts's. */
    graceSeconds?: number;
    /** --function-logs; default "off". */
    functionLogs?: string;
    /** --function-log-format json: each function line as the function wrote it. */
    rawFunctionLogs?: boolean;
    /** Each line the process writes (stdout and stderr), as it comes. */
    onLine?(line: string): void;
    /** How long start-up may take; default 60 s. */
    startTimeoutMs?: number;
    /** Lowers the process's limit of open files (`ulimit -n`, through bash) before it starts. */
    openFileLimit?: number;
}

/** The local cloud of `npm start` in a process of its own. */
export interface CloudProcess {
    url: string;
    outputs: Record<string, unknown>;
    /** The region of the stack (from its state machine's ARN). */
    region: string;
    client: SagaClient;
    child: ChildProcess;
    /** Every line it wrote so far. */
    lines: string[];
    /** Settles when the process has ended and its output has been read. */
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    /** Resolves with the first line (already written, or to come) that matches. */
    line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * Starts the local cloud as `npm start -- ...` would (local/main.ts, in a process of its own), and
 * resolves once it serves: its URL from the banner's `Endpoint:` line, its outputs from GET /_local.
 */
export async function spawnCloud(options: CloudProcessOptions = {}): Promise<CloudProcess> {
    const args = [
        "-r",
        require.resolve("ts-node/register/transpile-only"),
        path.join(PROJECT_ROOT, "local", "main.ts"),
        "--port",
        String(options.port ?? 0),
        "--retry-interval",
        String(options.retryIntervalMs ?? 0),
        "--repair-retry-interval",
        String(options.repairRetryIntervalMs ?? options.retryIntervalMs ?? 0),
        "--function-logs",
        options.functionLogs ?? "off",
        ...(options.dataDir ? ["--data", options.dataDir] : []),
        ...(options.graceSeconds !== undefined ? ["--grace", String(options.graceSeconds)] : []),
        ...(options.rawFunctionLogs ? ["--function-log-format", "json"] : []),
        ...Object.entries(options.config ?? {}).flatMap(([key, value]) => ["--config", `${key}=${value}`]),
    ];
    const [command, commandArgs] =
        options.openFileLimit !== undefined ? ["bash", ["-c", `ulimit -n ${Math.floor(options.openFileLimit)} && exec "$0" "$@"`, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(command, commandArgs, { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } });
    const lines: string[] = [];
    const waiting = new Set<{ pattern: RegExp; found(line: string): void }>();
    const take = (line: string) => {
        lines.push(line);
        options.onLine?.(line);
        for (const waiter of waiting) if (waiter.pattern.test(line)) waiter.found(line);
    };
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on("line", take);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
    const line = (pattern: RegExp, timeoutMs = 30_000) =>
        new Promise<string>((resolve, reject) => {
            const already = lines.find((candidate) => pattern.test(candidate));
            if (already !== undefined) return resolve(already);
            const recent = () => lines.slice(-30).join("\n");
            let settled = false;
            const finish = (found: string | undefined, error?: Error) => {
                if (settled) return;
                settled = true;
                waiting.delete(waiter);
                clearTimeout(timer);
                if (error) reject(error);
                else resolve(found!);
            };
            const waiter = { pattern, found: (found: string) => finish(found) };
            const timer = setTimeout(() => finish(undefined, new Error(`The local cloud wrote no line matching ${pattern} in ${timeoutMs} ms. It wrote:\n${recent()}`)), timeoutMs);
            waiting.add(waiter);
            // Its last lines may still be on their way when it exits.
            void exited.then(() => setTimeout(() => finish(undefined, new Error(`The local cloud exited before writing a line matching ${pattern}. It wrote:\n${recent()}`)), 100));
        });
    const endpoint = await line(/^Endpoint: http:\/\/\S+/, options.startTimeoutMs ?? 60_000).catch((error: unknown) => {
        child.kill("SIGKILL");
        throw error;
    });
    const url = /^Endpoint: (http:\/\/\S+)/.exec(endpoint)![1];
    const overview = (await (await fetch(`${url}/_local`)).json()) as { outputs: Record<string, unknown> };
    const region = String(overview.outputs.stateMachineArn ?? "").split(":")[3] || "us-east-1";
    return { url, outputs: overview.outputs, region, client: new SagaClient(String(overview.outputs.apiUrl), url, region), child, lines, exited, line };
}

export interface Answer<T = any> {
    status: number;
    body: T;
}

export interface StatusReport {
    outcome: string;
    /** The execution's own outcome, when a repair took over. */
    repairedFrom: string | null;
    status: string;
    error: string | null;
    cause: any;
    records: Record<string, string>[];
}

/**
 * fetch, with the request signed (SigV4) by the operator's credentials for `service`, as the
 * AWS CLI or `curl --aws-sigv4` would sign it: what the local cloud requires by default (--iam).
 */
export async function operatorFetch(url: string, service: SigningName, region: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const method = init.method ?? "GET";
    const headers = await signRequest({ method, url, headers: init.headers ?? {}, body: init.body }, OPERATOR_CREDENTIALS, region, service, NodeSha256);
    return fetch(url, { method, headers, body: init.body });
}

export class SagaClient {
    constructor(
        /** The program's apiUrl output, e.g. http://127.0.0.1:41234/v1/ */
        readonly apiUrl: string,
        readonly cloudUrl: string,
        /** The stack's region: the scope of its requests' signatures. */
        readonly region: string,
    ) {}

    /** A start request: GET <api>?<query>. */
    start(query: Record<string, string>): Promise<Answer> {
        return this.get(`${this.apiUrl}?${new URLSearchParams(query)}`);
    }

    /** A start request with the saga's input: POST <api>?<query> with `body` as JSON. */
    async startWith(query: Record<string, string>, body: unknown): Promise<Answer> {
        const response = await operatorFetch(`${this.apiUrl}?${new URLSearchParams(query)}`, "execute-api", this.region, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
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

    /** PUT /_local/faults: from their next attempt on, compensations fail with this probability. */
    async setCompensationFailureRate(rate: number): Promise<Answer> {
        const response = await fetch(`${this.cloudUrl}/_local/faults`, {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ compensationFailureRate: rate }),
        });
        return { status: response.status, body: await response.json() };
    }

    /** A Step Functions API call (AWS JSON 1.0), as the SDK or the CLI would send it. */
    async stepFunctions(operation: string, request: object): Promise<Answer> {
        const response = await operatorFetch(this.cloudUrl, "states", this.region, {
            method: "POST",
            headers: { "x-amz-target": `AWSStepFunctions.${operation}`, "content-type": "application/x-amz-json-1.0" },
            body: JSON.stringify(request),
        });
        return { status: response.status, body: await response.json() };
    }

    /** A GET, signed for the API (the local endpoints ignore the signature). */
    async get(url: string): Promise<Answer> {
        const response = await operatorFetch(url, "execute-api", this.region);
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
