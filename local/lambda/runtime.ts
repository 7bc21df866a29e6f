// One Lambda execution environment, run inside a worker thread (its own process.env, its own
// module-scope clients): loads the function's code archive from memory, then answers invocations
// posted by LocalFunction. Bundled by esbuild at start-up and run as an `eval` worker, so it must
// import nothing but Node's own modules (and types).
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import * as http from "node:http";
import { createRequire } from "node:module";
import * as net from "node:net";
import * as path from "node:path";
import * as vm from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import type { FromRuntime, RuntimeData, ServiceDoor, ToRuntime } from "./function";

const data = workerData as RuntimeData;
/** Where Lambda unpacks the archive; stack traces name the files as they would be on Lambda. */
const TASK_ROOT = "/var/task";
// Anything else the archive does not hold comes from the program's node_modules; the AWS SDK v3,
// which Lambda's Node.js runtime provides to every function, from the local cloud's own
// dependencies first, so a program need not install a client its code never imports (the
// component's start function uses @aws-sdk/client-sfn).
const projectRequire = createRequire(path.join(data.projectRoot, "index.js"));
const runtimeRequire = createRequire(path.join(data.runtimeRoot, "index.js"));

function requirePackage(specifier: string): unknown {
    if (!specifier.startsWith("@aws-sdk/")) return projectRequire(specifier);
    try {
        return runtimeRequire(specifier);
    } catch (error) {
        if ((error as { code?: string }).code !== "MODULE_NOT_FOUND") throw error;
        // A client the local cloud does not have: the program's own, if it installed one.
        return projectRequire(specifier);
    }
}
const loaded = new Map<string, { exports: unknown }>();

function fileIn(from: string, specifier: string): string | undefined {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    return [base, `${base}.js`, `${base}.cjs`, `${base}.json`, `${base}/index.js`].find((file) => file in data.files);
}

function load(file: string): unknown {
    const cached = loaded.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    loaded.set(file, module);
    if (file.endsWith(".json")) {
        module.exports = JSON.parse(data.files[file]);
        return module.exports;
    }
    const filename = path.posix.join(TASK_ROOT, file);
    const compiled = vm.compileFunction(data.files[file], ["exports", "require", "module", "__filename", "__dirname"], { filename });
    const require = (specifier: string) => {
        const local = specifier.startsWith(".") ? fileIn(file, specifier) : undefined;
        return local ? load(local) : requirePackage(specifier);
    };
    compiled.call(module.exports, module.exports, require, module, filename, path.posix.dirname(filename));
    return module.exports;
}

type Handler = (event: unknown, context: object, callback?: (error: unknown, result?: unknown) => void) => unknown;

/** `index.reserve` -> the export `reserve` of `index.js`, as the Node.js runtime resolves it. */
function resolveHandler(): Handler {
    const at = data.handler.lastIndexOf(".");
    const [modulePath, exportName] = at > 0 ? [data.handler.slice(0, at), data.handler.slice(at + 1)] : [data.handler, "handler"];
    const file = [`${modulePath}.js`, `${modulePath}.cjs`].find((candidate) => candidate in data.files);
    if (!file) throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: "Runtime.ImportModuleError" });
    const handler = (load(file) as Record<string, unknown>)[exportName];
    if (typeof handler !== "function") {
        throw Object.assign(new Error(`${data.handler} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
    }
    return handler as Handler;
}

function describeError(thrown: unknown): { errorType: string; errorMessage: string; trace: string[] } {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    return { errorType: error.name || "Error", errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
}

const post = (message: FromRuntime) => parentPort!.postMessage(message);

/**
 * The invocation each write belongs to: what the code writes to stdout or stderr while it answers
 * one (console.log included) is also posted with its request id, so the local cloud keeps each
 * invocation's own lines, even when invocations overlap. The streams themselves are unchanged.
 */
const invocation = new AsyncLocalStorage<string>();
for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        const requestId = invocation.getStore();
        if (requestId !== undefined) post({ type: "log", requestId, text: typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8") });
        return write(chunk, ...rest);
    }) as typeof stream.write;
}

function call(handler: Handler, event: unknown, context: object): Promise<unknown> {
    // A handler with three parameters answers through its callback, as on Lambda.
    if (handler.length >= 3) {
        return new Promise((resolve, reject) => {
            const returned = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
            if (returned instanceof Promise) returned.then(resolve, reject);
        });
    }
    return Promise.resolve(handler(event, context));
}

async function invoke(handler: Handler, message: Extract<ToRuntime, { type: "invoke" }>): Promise<void> {
    const deadline = Date.now() + data.timeoutSeconds * 1000;
    const context = {
        functionName: data.functionName,
        functionVersion: "$LATEST",
        invokedFunctionArn: data.functionArn,
        memoryLimitInMB: String(data.memorySize),
        awsRequestId: message.requestId,
        logGroupName: `/aws/lambda/${data.functionName}`,
        logStreamName: "local",
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    try {
        const result = await invocation.run(message.requestId, () => call(handler, JSON.parse(message.event), context));
        post({ type: "result", id: message.id, payload: JSON.stringify(result ?? null) });
    } catch (error) {
        post({ type: "error", id: message.id, ...describeError(error) });
    }
}

/**
 * Math.random as a seeded generator (mulberry32), so random failure injection repeats run after
 * run. Replaced before the code loads, since code may keep a reference to Math.random.
 */
function seedMathRandom(seed: string): void {
    let state = createHash("sha256").update(seed).digest().readUInt32LE(0);
    Math.random = () => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
}

/**
 * The function's connections to the local cloud's port (its AWS SDK clients', through any
 * http.Agent) go to the cloud's door for the functions instead: the same server, not counted among
 * the clients', so no client holding the port's connections can starve a running saga.
 */
function throughServiceDoor(door: ServiceDoor): void {
    const hosts = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
    const createConnection = http.Agent.prototype.createConnection;
    http.Agent.prototype.createConnection = function (this: http.Agent, options: net.NetConnectOpts & { host?: string; port?: number | string }, callback?: () => void) {
        if (hosts.has(String(options.host).toLowerCase()) && Number(options.port) === door.port) return net.createConnection({ path: door.path }, callback);
        return createConnection.call(this, options, callback as never);
    } as typeof createConnection;
}

if (data.serviceDoor) throughServiceDoor(data.serviceDoor);
if (data.randomSeed !== undefined) seedMathRandom(`${data.randomSeed}/${data.functionName}`);

let handler: Handler | undefined;
try {
    handler = resolveHandler();
    post({ type: "ready" });
} catch (error) {
    post({ type: "init-error", ...describeError(error) });
}

parentPort!.on("message", (message: ToRuntime) => {
    if (message.type === "invoke" && handler) void invoke(handler, message);
    if (message.type === "environment") Object.assign(process.env, message.variables);
});
