// How many connections the local cloud holds, and for how long (local/connections.ts): clients
// hold at most their share of the open files, one more is answered 503 and closed, silent and
// idle ones are closed on time, and the functions' door is never counted. With a server of its
// own and limits small enough to watch; the whole cloud under a lowered `ulimit -n` is
// tests/system/connection-limits.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, Socket } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { clientConnectionLimit, ConnectionLimits, removeAbandonedDoors } from "../local/connections";
import { LocalServer } from "../local/server";

const LIMITS: ConnectionLimits = { maxClientConnections: 3, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200, openFiles: 12 };

/** A connection and what it receives until it closes. */
function open(target: { port: number } | { path: string }): { socket: Socket; received: () => string; closed: Promise<void>; connected: Promise<void> } {
    const socket = "port" in target ? connect(target.port, "127.0.0.1") : connect(target.path);
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("error", () => undefined);
    return {
        socket,
        received: () => text,
        closed: new Promise((resolve) => socket.on("close", () => resolve())),
        connected: new Promise((resolve) => socket.on("connect", () => resolve())),
    };
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}

describe("the local cloud's connections (local/connections.ts)", () => {
    let server: LocalServer;
    beforeEach(async () => (server = await LocalServer.listen(0, () => undefined, LIMITS)));
    afterEach(async () => server?.close());

    it("lets clients hold a quarter of the open files, from 16 to 1,024", () => {
        assert.deepEqual([10, 256, 1024, 20_000, Infinity, undefined].map(clientConnectionLimit), [16, 64, 256, 1024, 1024, 1024]);
    });

    it("answers a client connection over the limit 503 at once and closes it; the functions' door is never counted", async () => {
        const held = [open({ port: server.port }), open({ port: server.port }), open({ port: server.port })];
        await Promise.all(held.map((c) => c.connected));
        await until("three connections counted", () => server.clientConnections === 3);
        const over = open({ port: server.port });
        await over.closed;
        assert.match(over.received(), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
        assert.match(over.received(), /"message":"The local cloud holds 3 connections from clients, its limit \(a quarter of its 12 open files\): this one is refused\./);
        // The functions' door takes them in, and serves them (503: nothing is deployed on this server).
        const door = open({ path: server.functionDoor });
        await door.connected;
        door.socket.write(`GET /_local HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
        await until("the door's answer", () => door.received().includes("still deploying"));
        assert.equal(server.clientConnections, 3);
        for (const c of [...held, door]) c.socket.destroy();
    });

    it("closes a connection that sends nothing (408) and one idle after an answer, so the next client is served", async () => {
        const silent = [open({ port: server.port }), open({ port: server.port }), open({ port: server.port })];
        const started = Date.now();
        await Promise.all(silent.map((c) => c.closed));
        assert.ok(Date.now() - started < 5000, `closed after ${Date.now() - started} ms`);
        assert.match(silent[0].received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
        await until("no connection counted", () => server.clientConnections === 0);

        const kept = open({ port: server.port });
        await kept.connected;
        kept.socket.write(`GET /_local HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
        await kept.closed;
        assert.match(kept.received(), /still deploying/);
        await until("the idle connection uncounted", () => server.clientConnections === 0);
    });

    it("removes the socket files of clouds that are gone, and only those", () => {
        if (process.platform === "win32") return;
        const directory = mkdtempSync(path.join(os.tmpdir(), "doors-"));
        try {
            const gone = spawnSync(process.execPath, ["-e", ""]).pid;
            const files = { gone: `saga-local-${gone}-3000.sock`, mine: `saga-local-${process.pid}-3001.sock`, living: `saga-local-${process.ppid}-3002.sock`, other: "other.sock" };
            for (const file of Object.values(files)) writeFileSync(path.join(directory, file), "");
            removeAbandonedDoors(directory);
            assert.deepEqual(readdirSync(directory).sort(), [files.living, files.mine, files.other].sort());
        } finally {
            rmSync(directory, { recursive: true, force: true });
        }
    });

    it("removes the door's socket file when it stops", async () => {
        if (process.platform === "win32") return;
        assert.ok(existsSync(server.functionDoor));
        await server.close();
        assert.ok(!existsSync(server.functionDoor));
    });
});
