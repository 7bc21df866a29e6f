// A Pulumi plugin run as the engine runs one: a child process that serves gRPC on 127.0.0.1 and
// prints its port as the first line of stdout. The policy CI run starts the policy pack (an
// analyzer plugin) this way, and the tests start the component package (a provider plugin).
import { ChildProcess, spawn } from "node:child_process";
import { constants, setPriority } from "node:os";
import type * as grpc from "@grpc/grpc-js";

export interface PluginProcess {
    child: ChildProcess;
    port: number;
    /** What the plugin has printed on stderr so far, for error messages. */
    stderr(): string;
}

export interface PluginOptions {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** Run at the lowest CPU priority (niceness 19): a plugin started ahead of need, in the background. */
    lowestPriority?: boolean;
}

/**
 * Starts `args` under this Node.js, and waits for the port. `what` names the plugin in errors. Like
 * the engine, takes the first line of stdout as the port and gives up on anything else.
 */
export async function startPlugin(what: string, args: string[], options: PluginOptions): Promise<PluginProcess> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    if (options.lowestPriority) atLowestPriority(child);
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const port = await new Promise<number>((resolve, reject) => {
        let stdout = "";
        const fail = (error: Error) => {
            clearTimeout(timer);
            child.kill();
            reject(new Error(`${error.message}\n${what}'s stderr:\n${stderr}`));
        };
        const timer = setTimeout(() => fail(new Error(`${what} printed no port within ${timeoutMs} ms.`)), timeoutMs);
        child.once("error", fail);
        child.once("exit", (code) => fail(new Error(`${what} exited with code ${code} before printing its port.`)));
        const onData = (chunk: Buffer) => {
            stdout += chunk;
            const end = stdout.indexOf("\n");
            if (end < 0) return;
            child.stdout!.off("data", onData);
            child.removeAllListeners("exit");
            clearTimeout(timer);
            const line = stdout.slice(0, end).trim();
            if (!/^\d+$/.test(line)) fail(new Error(`${what}'s first line of stdout is not a port: ${JSON.stringify(line)}`));
            else resolve(Number(line));
        };
        child.stdout!.on("data", onData);
    });
    // Later output goes to the engine's log; here, drain it.
    child.stdout!.resume();
    return { child, port, stderr: () => stderr };
}

/** Lowers a just-started child to the lowest CPU priority (niceness 19); its own children inherit it. */
export function atLowestPriority(child: ChildProcess): void {
    if (child.pid !== undefined) setPriority(child.pid, constants.priority.PRIORITY_LOW);
}

/** Ends the plugin and waits until it has exited. */
export async function stopPlugin(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill();
    await exited;
}

type Unary<Req, Res> = (request: Req, callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown;

/** One unary gRPC call, as a promise. */
export function callUnary<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => method(request, (error, response) => (error ? reject(error) : resolve(response))));
}
