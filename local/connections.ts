// How many connections the local cloud holds, and for how long, so that no client can starve it.
// Each connection costs an open file; with the common limit of 1,024, 1,100 idle connections took
// every one, and the functions' own requests failed with EMFILE. So:
// - clients may hold at most a quarter of the process's open files (at least 16, at most 1,024)
//   as connections; one more is answered 503 and closed at once;
// - a connection that sends no request head within 10 s, or no whole request within 60 s, is
//   closed (408), and a keep-alive connection idle for 5 s after an answer is closed;
// - the functions reach the services through a door of their own (a Unix socket, or a named pipe
//   on Windows, that only they are told of: lambda/runtime.ts), not counted among the clients',
//   so the sagas already running always finish, whatever the clients hold.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import * as os from "node:os";
import type { Socket } from "node:net";
import * as path from "node:path";

export interface ConnectionLimits {
    /** Connections clients may hold at once (the functions' own are not counted). */
    maxClientConnections: number;
    /** How long a connection may take to send a request's head (Node's headersTimeout). */
    headersTimeoutMs: number;
    /** How long it may take to send a whole request (Node's requestTimeout). */
    requestTimeoutMs: number;
    /** How long a keep-alive connection may stay idle after an answer. */
    keepAliveTimeoutMs: number;
    /** What the limits were derived from, for messages: the open-file limit, when known. */
    openFiles?: number;
}

/** The process's limit of open files (after Node raised it to what it may), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
    try {
        const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
        if (line !== undefined) return line === "unlimited" ? Infinity : Number(line);
    } catch {
        // Not Linux: ask the shell, whose limit is this process's (inherited).
    }
    if (process.platform === "win32") return undefined;
    try {
        const text = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 2000 }).trim();
        return text === "unlimited" ? Infinity : Number(text) || undefined;
    } catch {
        return undefined;
    }
}

/** A quarter of the open files (what is left is the functions', the stores' and the runtime's), from 16 to 1,024. */
export function clientConnectionLimit(openFiles: number | undefined): number {
    if (openFiles === undefined) return 1024;
    return Math.min(1024, Math.max(16, Math.floor(openFiles / 4)));
}

export function defaultConnectionLimits(openFiles = openFileLimit()): ConnectionLimits {
    return { maxClientConnections: clientConnectionLimit(openFiles), headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, openFiles };
}

/** The answer to a connection over the limit, written before it is closed: the client may not have sent anything yet. */
export function overLimitAnswer(limits: ConnectionLimits): Buffer {
    const why = limits.openFiles !== undefined && Number.isFinite(limits.openFiles) ? ` (a quarter of its ${limits.openFiles} open files)` : "";
    const body = JSON.stringify({
        message:
            `The local cloud holds ${limits.maxClientConnections} connections from clients, its limit${why}: this one is refused. ` +
            "Close connections you do not use (idle ones close after a few seconds), or raise the limit of open files (ulimit -n) and start it again.",
    });
    const head = [
        "HTTP/1.1 503 Service Unavailable",
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Retry-After: 1",
        "X-Content-Type-Options: nosniff",
        "Connection: close",
    ];
    return Buffer.from(`${head.join("\r\n")}\r\n\r\n${body}`);
}

/** Where the functions' door listens: a socket file in the temporary folder (a named pipe on Windows), unique to this process and port. */
export function functionDoorPath(port: number): string {
    const name = `saga-local-${process.pid}-${port}`;
    return process.platform === "win32" ? `\\\\?\\pipe\\${name}` : path.join(os.tmpdir(), `${name}.sock`);
}

const DOOR_FILE = /^saga-local-(\d+)-\d+\.sock$/;

/** Removes the socket files of local clouds that are gone (killed before they could remove their own). */
export function removeAbandonedDoors(directory = os.tmpdir()): void {
    if (process.platform === "win32") return;
    let names: string[];
    try {
        names = readdirSync(directory);
    } catch {
        return;
    }
    for (const name of names) {
        const pid = Number(DOOR_FILE.exec(name)?.[1]);
        if (!pid || pid === process.pid || processExists(pid)) continue;
        try {
            unlinkSync(path.join(directory, name));
        } catch {
            // Removed meanwhile, or not ours to remove.
        }
    }
}

function processExists(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: it exists, as another user's.
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * The connections of one server: the clients' counted against the limit (one over it answered
 * 503 and closed), the functions' (marked as they come through their door) never.
 */
export class ConnectionGate {
    private clients = 0;
    private readonly refused = new WeakSet<Socket>();
    private readonly functions = new WeakSet<Socket>();

    constructor(readonly limits: ConnectionLimits) {}

    /** Connections clients hold now. */
    get clientConnections(): number {
        return this.clients;
    }

    /** A connection through the functions' door: not a client's. */
    fromFunction(socket: Socket): void {
        this.functions.add(socket);
    }

    /** Takes a new connection in, or answers it 503 and closes it when clients hold the limit. */
    admit(socket: Socket): void {
        if (this.functions.has(socket)) return;
        if (this.clients >= this.limits.maxClientConnections) {
            this.refused.add(socket);
            socket.end(overLimitAnswer(this.limits), () => socket.destroy());
            // A client that reads nothing must not hold the file either.
            setTimeout(() => socket.destroy(), 1000).unref();
            return;
        }
        this.clients++;
        socket.once("close", () => this.clients--);
    }

    /** Whether a request came on a refused connection (it was answered already: 503). */
    isRefused(socket: Socket): boolean {
        return this.refused.has(socket);
    }
}
