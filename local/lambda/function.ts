// A Lambda function on this machine: its code archive runs in a worker thread of its own, with
// the environment the function declares (like a Lambda execution environment, started at the
// first invocation unless loaded before), and is invoked by message. Errors come back as Lambda
// reports them: errorType, errorMessage, trace.
import * as esbuild from "esbuild";
import { createHash, randomUUID } from "node:crypto";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import type { Credentials } from "../iam/operator";

/** The local cloud's package root, whose dependencies include the AWS SDK v3 clients it provides to functions. */
const RUNTIME_ROOT = path.resolve(__dirname, "..", "..");

// The messages between a LocalFunction and the runtime in its worker (runtime.ts).

/** What a worker is started with. */
export interface RuntimeData {
    /** The code archive, file path -> text (e.g. `index.js`). */
    files: Record<string, string>;
    /** Lambda's `handler` setting, e.g. `index.reserve`. */
    handler: string;
    functionName: string;
    functionArn: string;
    memorySize: number;
    timeoutSeconds: number;
    /** Where modules the archive does not hold are resolved from: the program's directory. */
    projectRoot: string;
    /** The local cloud's own directory: the AWS SDK v3 the runtime provides, as Lambda's Node.js runtime does. */
    runtimeRoot: string;
    /** Seeds Math.random before the code loads; unseeded when absent. */
    randomSeed?: number;
    /** The local cloud's own door for the functions: its connections to `port` on this machine go to `path` instead (runtime.ts). */
    serviceDoor?: ServiceDoor;
}

/** Where a function's connections to the local cloud's port go instead (local/connections.ts). */
export interface ServiceDoor {
    port: number;
    path: string;
}

export type ToRuntime = { type: "invoke"; id: number; requestId: string; event: string } | { type: "environment"; variables: Record<string, string> };

export interface RuntimeError {
    errorType: string;
    errorMessage: string;
    trace: string[];
}

export type FromRuntime =
    | { type: "ready" }
    | { type: "log"; requestId: string; text: string }
    | ({ type: "init-error" } & RuntimeError)
    | { type: "result"; id: number; payload: string }
    | ({ type: "error"; id: number } & RuntimeError);

export interface FunctionSpec {
    name: string;
    arn: string;
    /** The code archive: file path -> text. */
    files: Record<string, string>;
    /** Lambda's `handler` setting, e.g. `index.reserve`. */
    handler: string;
    /** The variables the function declares. */
    environment: Record<string, string>;
    timeoutSeconds: number;
    memorySize: number;
    /** Lambda's `architectures[0]`: what its duration is billed at (local/metrics.ts). */
    architecture: "x86_64" | "arm64";
    /** Why this machine cannot run the function (e.g. a Python runtime); then every invocation fails with it. */
    unrunnable?: Unrunnable;
    /** Its role's credentials, which Lambda puts in the environment (AWS_ACCESS_KEY_ID, ...). */
    credentials: Credentials;
}

/** A function that is deployed but cannot run here: the error its invocations answer, and the start-up warning. */
export interface Unrunnable {
    errorType: string;
    errorMessage: string;
    warning: string;
}

export interface FunctionHost {
    projectRoot: string;
    /** What the local cloud sets in every function: region, endpoints. Wins over the function's own. */
    environment: Record<string, string>;
    /** One line the function's code wrote to stdout or stderr. */
    onLog(functionName: string, line: string): void;
    /** Seeds every function's Math.random (each from the seed and its name); unseeded when absent. */
    randomSeed?: number;
    /** The local cloud's door for the functions (its port's connections go there); none: they connect to the port. */
    serviceDoor?: ServiceDoor;
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: RuntimeError };

/** One invocation as the local cloud remembers it: when, for which event, what its code wrote. */
export interface InvocationRecord {
    requestId: string;
    /** Epoch ms. */
    startedAt: number;
    endedAt?: number;
    /** SHA-256 (hex) of the event as sent (JSON): tells apart invocations that overlap in time. */
    eventSha256: string;
    /** errorType of a failed invocation. */
    error?: string;
    /** Each line the code wrote while answering it, in order (at most MAX_RECORDED_LINES). */
    lines: { at: number; text: string }[];
}

/** The newest invocations remembered per function, and lines per invocation: enough to read a saga's, bounded for a long run. */
export const MAX_RECORDED_INVOCATIONS = 500;
export const MAX_RECORDED_LINES = 200;

type Pending = { resolve(result: InvokeResult): void; timer: NodeJS.Timeout };

const STOPPED: RuntimeError = { errorType: "Runtime.ExitError", errorMessage: "The local cloud stopped.", trace: [] };

let runtimeCode: string | undefined;
/** The worker's code: runtime.ts bundled once per process (workers cannot load TypeScript). */
function runtimeSource(): string {
    runtimeCode ??= esbuild.buildSync({
        entryPoints: [path.join(__dirname, "runtime.ts")],
        bundle: true,
        platform: "node",
        format: "cjs",
        target: "node20",
        write: false,
        logLevel: "silent",
    }).outputFiles[0].text;
    return runtimeCode;
}

export class LocalFunction {
    private worker?: Worker;
    private ready?: Promise<RuntimeError | undefined>;
    private readonly pending = new Map<number, Pending>();
    private nextId = 0;
    private isStopped = false;
    /** The newest invocations, oldest first (see InvocationRecord). */
    readonly invocations: InvocationRecord[] = [];
    private readonly byRequest = new Map<string, InvocationRecord>();

    constructor(
        readonly spec: FunctionSpec,
        private readonly host: FunctionHost,
    ) {}

    /** Once the local cloud has stopped it: it neither starts nor runs again. */
    get stopped(): boolean {
        return this.isStopped;
    }

    /** Starts the execution environment and loads the code; resolves to the init error, if any. */
    start(): Promise<RuntimeError | undefined> {
        if (this.ready) return this.ready;
        if (this.isStopped) return Promise.resolve(STOPPED);
        const unrunnable = this.spec.unrunnable;
        // No environment to start: every invocation reports why, as an init error would.
        if (unrunnable) return (this.ready = Promise.resolve({ errorType: unrunnable.errorType, errorMessage: unrunnable.errorMessage, trace: [] }));
        const data: RuntimeData = {
            files: this.spec.files,
            handler: this.spec.handler,
            functionName: this.spec.name,
            functionArn: this.spec.arn,
            memorySize: this.spec.memorySize,
            timeoutSeconds: this.spec.timeoutSeconds,
            projectRoot: this.host.projectRoot,
            runtimeRoot: RUNTIME_ROOT,
            randomSeed: this.host.randomSeed,
            serviceDoor: this.host.serviceDoor,
        };
        const worker = new Worker(runtimeSource(), {
            eval: true,
            // Not this process's flags: under `node -r ts-node/register` every environment would load
            // TypeScript (about a second each) for code that is already JavaScript.
            execArgv: [],
            workerData: data,
            env: {
                ...this.spec.environment,
                ...this.host.environment,
                AWS_ACCESS_KEY_ID: this.spec.credentials.accessKeyId,
                AWS_SECRET_ACCESS_KEY: this.spec.credentials.secretAccessKey,
                ...(this.spec.credentials.sessionToken ? { AWS_SESSION_TOKEN: this.spec.credentials.sessionToken } : {}),
                AWS_LAMBDA_FUNCTION_NAME: this.spec.name,
                AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
                AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.spec.memorySize),
                LAMBDA_TASK_ROOT: "/var/task",
            },
            stdout: true,
            stderr: true,
            // Lambda's memory setting bounds the whole environment; the heap is the part a worker can bound.
            resourceLimits: { maxOldGenerationSizeMb: Math.max(this.spec.memorySize, 128) },
        });
        this.worker = worker;
        this.forwardLines(worker.stdout);
        this.forwardLines(worker.stderr);
        this.ready = new Promise((resolve) => {
            worker.on("message", (message: FromRuntime) => {
                if (message.type === "log") return this.record(message.requestId, message.text);
                if (message.type === "ready") resolve(undefined);
                else if (message.type === "init-error") resolve(message);
                else this.settle(message.id, message.type === "result" ? { ok: true, payload: JSON.parse(message.payload) } : { ok: false, error: message });
            });
            const crashed = (reason: string) => {
                const error = { errorType: "Runtime.ExitError", errorMessage: `The execution environment stopped: ${reason}`, trace: [] };
                resolve(error);
                for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error });
                // The next invocation starts a fresh environment, as Lambda would.
                if (this.worker === worker) [this.worker, this.ready] = [undefined, undefined];
            };
            worker.on("error", (error) => crashed(error.message));
            worker.on("exit", (code) => crashed(`exit code ${code}`));
        });
        return this.ready;
    }

    /** Invokes the function with an event (sent as JSON, as Lambda does). */
    async invoke(event: unknown): Promise<InvokeResult> {
        if (this.isStopped) return { ok: false, error: STOPPED };
        const initError = await this.start();
        if (initError) return { ok: false, error: initError };
        const id = this.nextId++;
        const requestId = randomUUID();
        const eventText = JSON.stringify(event ?? null);
        const record: InvocationRecord = { requestId, startedAt: Date.now(), eventSha256: createHash("sha256").update(eventText).digest("hex"), lines: [] };
        this.invocations.push(record);
        this.byRequest.set(requestId, record);
        if (this.invocations.length > MAX_RECORDED_INVOCATIONS) this.byRequest.delete(this.invocations.shift()!.requestId);
        return new Promise<InvokeResult>((resolve) => {
            // A timed-out invocation is answered as Lambda answers it; its code is not interrupted.
            const timer = setTimeout(() => {
                const message = `${requestId} Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`;
                this.settle(id, { ok: false, error: { errorType: "Sandbox.Timedout", errorMessage: message, trace: [] } });
            }, this.spec.timeoutSeconds * 1000);
            this.pending.set(id, {
                resolve: (result) => {
                    Object.assign(record, { endedAt: Date.now() }, result.ok ? {} : { error: result.error.errorType });
                    resolve(result);
                },
                timer,
            });
            this.worker!.postMessage({ type: "invoke", id, requestId, event: eventText });
        });
    }

    /**
     * Changes variables of the function's environment from its next invocation on (what Lambda's
     * UpdateFunctionConfiguration does, without a new environment: the code sees it in process.env).
     */
    updateEnvironment(variables: Record<string, string>): void {
        this.spec.environment = { ...this.spec.environment, ...variables };
        this.worker?.postMessage({ type: "environment", variables } satisfies ToRuntime);
    }

    async stop(): Promise<void> {
        this.isStopped = true;
        const worker = this.worker;
        [this.worker, this.ready] = [undefined, undefined];
        for (const id of [...this.pending.keys()]) {
            this.settle(id, { ok: false, error: STOPPED });
        }
        await worker?.terminate();
    }

    private settle(id: number, result: InvokeResult): void {
        const pending = this.pending.get(id);
        if (!pending) return;
        this.pending.delete(id);
        clearTimeout(pending.timer);
        pending.resolve(result);
    }

    /** Keeps what an invocation's code wrote, line by line. */
    private record(requestId: string, text: string): void {
        const record = this.byRequest.get(requestId);
        if (!record) return;
        const at = Date.now();
        for (const line of text.split("\n")) {
            if (line !== "" && record.lines.length < MAX_RECORDED_LINES) record.lines.push({ at, text: line });
        }
    }

    private forwardLines(stream: Readable): void {
        createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => this.host.onLog(this.spec.name, line));
    }
}
