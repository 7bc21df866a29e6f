// `npm start -- --data <dir>`: the table's records, the finished executions and the failure
// queue's messages survive a restart of the local cloud, so the status route still reports an
// earlier trip, its trip id stays taken, as it would on AWS, and its failures stay recorded. A
// stop lets the running sagas end, then closes the port. Over HTTP only.
//
// Then that folder, populated by two clouds and sealed by the last one's stop, is damaged on copies
// of it, one way per case (broader than the thirty cases of the issue): every start either comes up
// consistent or refuses with one line (DataFolderError) naming the damaged file and what it held,
// before the program deploys; nothing damaged is loaded, no saga id is given out again. And a
// folder made read-only under a running cloud: what it cannot keep is refused (503), not
// acknowledged and then lost.
import "../support/aws-env";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bootCloud, PROJECT_ROOT, summaryOf } from "../../local/client";
import { startLocalCloud } from "../../local/cloud";
import { DataFolderError } from "../../local/data-folder";
import { atLowestPriority } from "../../harness/plugin-process";
import { encodeLine } from "../../local/jsonl";
import { unseal, withoutChecksum } from "../support/data-folder";

/**
 * Makes the folder read-only (a read-only bind mount over it as root, where permissions do not
 * stop writes; its permissions otherwise); answers what makes it writable again, or undefined
 * when this machine allows neither (the test then says so and checks no more).
 */
function readOnly(dir: string): (() => void) | undefined {
    if (process.getuid?.() !== 0) {
        execFileSync("chmod", ["-R", "a-w", dir]);
        return () => execFileSync("chmod", ["-R", "u+w", dir]);
    }
    try {
        execFileSync("mount", ["--bind", dir, dir], { stdio: "pipe" });
    } catch (error) {
        console.log(`      (not checked: a read-only folder needs a bind mount here, and mount refused: ${String((error as Error).message).split("\n")[0]})`);
        return undefined;
    }
    try {
        execFileSync("mount", ["-o", "remount,bind,ro", dir], { stdio: "pipe" });
    } catch (error) {
        execFileSync("umount", [dir]);
        throw error;
    }
    return () => execFileSync("umount", [dir]);
}

/**
 * `npm start -- --data <dir>` on a folder whose stepfunctions folder is a file, in a process of its
 * own: what it wrote on stderr and its exit code. Its seconds of start-up run from the run's
 * beginning at the lowest CPU priority (a root-level hook), on what the tests before leave idle.
 */
function startOnDamaged(): Promise<{ code: number | null; stderr: string }> {
    const dir = mkdtempSync(path.join(tmpdir(), "saga-damaged-start-"));
    fs.writeFileSync(path.join(dir, "stepfunctions"), "not a folder");
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(PROJECT_ROOT, "local", "main.ts"), "--port", "0", "--data", dir], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
    });
    atLowestPriority(child);
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    return new Promise((resolve) =>
        child.on("close", (code) => {
            rmSync(dir, { recursive: true, force: true });
            resolve({ code, stderr });
        }),
    );
}
let npmStartOnDamaged: ReturnType<typeof startOnDamaged> | undefined;
before(() => void (npmStartOnDamaged ??= startOnDamaged()));

function assertPortClosed(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        socket.on("connect", () => reject(new Error(`port ${port} still accepts connections`)));
        socket.on("error", () => resolve());
    });
}

describe("the local cloud with a data folder", function () {
    let dataDir: string;
    before(() => {
        dataDir = mkdtempSync(path.join(tmpdir(), "saga-local-"));
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it("keeps a booking, its execution and the recorded compensation failures across a restart", async () => {
        const first = await bootCloud({ dataDir, config: { "saga:compensationFailureRate": "1" } });
        try {
            assert.equal((await first.client.start({ tripID: "kept-trip" })).status, 202);
            assert.equal((await first.client.outcome("kept-trip")).outcome, "succeeded");
            await first.client.start({ tripID: "broken-trip", runType: "failPayment" });
            assert.equal((await first.client.outcome("broken-trip")).error, "Saga.CompensationFailed");
            // Its repair fails as well (every compensation does) up to the horizon: needs_attention.
            await first.cloud.idle();
            // Stopped while a saga runs: the saga ends within the grace period, then the port closes.
            assert.equal((await first.client.start({ tripID: "running-at-stop" })).status, 202);
        } finally {
            await first.cloud.stop({ graceMs: 10_000 });
        }
        await assert.rejects(fetch(first.cloud.url));
        await assertPortClosed(Number(new URL(first.cloud.url).port));

        const second = await bootCloud({ dataDir });
        try {
            assert.equal(second.cloud.outputs.tableName, first.cloud.outputs.tableName, "the same physical names on every start");
            const { status, body } = await second.client.status("kept-trip");
            assert.deepEqual([status, body.outcome], [200, "succeeded"]);
            assert.deepEqual(summaryOf(body.records), [
                { type: "Flight", transaction_status: "confirmed" },
                { type: "Hotel", transaction_status: "confirmed" },
                { type: "Payment", transaction_status: "confirmed" },
            ]);
            assert.equal((await second.client.start({ tripID: "kept-trip" })).status, 409);
            const broken = (await second.client.status("broken-trip")).body as unknown as Record<string, unknown>;
            assert.deepEqual([broken.outcome, broken.repairedFrom], ["needs_attention", "compensation_failed"]);
            assert.deepEqual(second.cloud.resumed, [], "the saga running at the stop had ended");
            assert.equal((await second.client.status("running-at-stop")).body.outcome, "succeeded");
            // Each queue kept its messages: the failure records, and what the repair sent for a person.
            for (const output of ["failureQueueUrl", "needsAttentionQueueUrl"]) {
                const { body } = await second.client.get(`${second.cloud.url}/_local/queues/${String(second.cloud.outputs[output]).split("/").pop()}`);
                const kept = (body.messages as { json: Record<string, string> }[]).map(({ json }) => [json.sagaId, json.step]);
                assert.deepEqual(kept, [["broken-trip", "Payment"], ["broken-trip", "Flight"], ["broken-trip", "Hotel"]], output);
            }
            // The first cloud's stop sealed the folder; this start found it as sealed.
            const { body: data } = await second.client.get(`${second.cloud.url}/_local/data`);
            assert.deepEqual([data.seal, data.dropped, data.unwritable], ["verified", [], undefined]);
        } finally {
            await second.cloud.stop();
        }
    });

    describe("damaged on a copy, one way per case", () => {
        const copies: string[] = [];
        after(() => {
            for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
        });
        /** A copy of the populated, sealed folder; `unsealed`: as a crash leaves it (no seal). */
        function copy(options: { unsealed?: boolean } = {}): string {
            const dir = mkdtempSync(path.join(tmpdir(), "saga-damaged-"));
            copies.push(dir);
            fs.cpSync(dataDir, dir, { recursive: true });
            if (options.unsealed) unseal(dir);
            return dir;
        }
        const at = (dir: string, ...parts: string[]) => path.join(dir, ...parts);
        const lines = (file: string) => fs.readFileSync(file, "utf8").split("\n").slice(0, -1);
        const queueFile = (dir: string) => at(dir, "sqs", fs.readdirSync(at(dir, "sqs")).find((name) => name.includes("failure"))!);
        /** Starts a cloud on the folder: it must refuse, before deploying, with one line matching each pattern. */
        async function refuses(dir: string, ...patterns: RegExp[]): Promise<void> {
            const logged: string[] = [];
            const started = Date.now();
            const error = await startLocalCloud({ dataDir: dir, programDir: PROJECT_ROOT, port: 0, log: (line) => logged.push(line) }).then(
                async (cloud) => {
                    await cloud.stop();
                    return undefined;
                },
                (error: unknown) => error,
            );
            assert.ok(error instanceof DataFolderError, `refused with a DataFolderError, not ${error instanceof Error ? error.stack : error}`);
            assert.doesNotMatch(error.message, /\n/, "one line");
            for (const pattern of patterns) assert.match(error.message, pattern);
            assert.ok(Date.now() - started < 5000, "refused at once, before the program deploys");
        }

        it("a line of a record file that is null, {}, or cut in the middle, or a byte of one changed: refused, naming the file, the line and what it held", async () => {
            const closed = (dir: string) => at(dir, "stepfunctions", "executions.jsonl");
            let dir = copy({ unsealed: true });
            const kept = lines(closed(dir));
            fs.writeFileSync(closed(dir), [kept[0], "null", ...kept.slice(1)].join("\n") + "\n");
            await refuses(dir, /executions\.jsonl line 2 of \d+ \(of closed executions\) has no checksum/);

            dir = copy({ unsealed: true });
            fs.appendFileSync(closed(dir), encodeLine({}));
            await refuses(dir, /executions\.jsonl line \d+ .* is no record of closed executions: its executionArn is missing/);

            dir = copy({ unsealed: true });
            const changed = lines(closed(dir));
            changed[1] = changed[1].replace('"status":"SUCCEEDED"', '"status":"SUCCEEDEX"').replace('"status":"FAILED"', '"status":"FAILEX"');
            fs.writeFileSync(closed(dir), changed.join("\n") + "\n");
            await refuses(dir, /line 2 of \d+ \(of closed executions\) fails its checksum; it held executionArn arn:aws:states:/);

            // A queue's message, and an event journal's line.
            dir = copy({ unsealed: true });
            const messages = lines(queueFile(dir));
            fs.writeFileSync(queueFile(dir), [messages[0].slice(0, 60), ...messages.slice(1)].join("\n") + "\n");
            await refuses(dir, /sqs\/.*failure.*\.jsonl line 1 of \d+ \(of the messages of the queue .*\) is not JSON; it held messageId /);
            dir = copy({ unsealed: true });
            fs.writeFileSync(at(dir, "events", "pending.jsonl"), `${encodeLine({ event: { id: "e1" } })}{}\n`);
            await refuses(dir, /pending\.jsonl line 2 of 2 \(of the events not yet delivered\) has no checksum/);
            dir = copy({ unsealed: true });
            fs.writeFileSync(at(dir, "events", "pending.jsonl"), encodeLine(null));
            await refuses(dir, /pending\.jsonl line 1 of 1 .* is no record of the events not yet delivered: null, not an object/);
        });

        it("emptied or cut record files: refused (their saga ids stay taken), after a clean stop (the seal) and after a crash (the manifest's count)", async () => {
            let dir = copy();
            fs.writeFileSync(at(dir, "stepfunctions", "executions.jsonl"), "");
            await refuses(dir, /executions\.jsonl changed since the local cloud last stopped .* it had \d+ bytes then \(the closed executions\), it has 0 bytes now/);
            dir = copy({ unsealed: true });
            fs.writeFileSync(at(dir, "stepfunctions", "executions.jsonl"), "");
            await refuses(dir, /executions\.jsonl holds 0 closed execution\(s\), and the data folder recorded at least \d+ .* the saga ids of the missing ones would be free again/);
            dir = copy({ unsealed: true });
            const closed = lines(at(dir, "stepfunctions", "executions.jsonl"));
            fs.writeFileSync(at(dir, "stepfunctions", "executions.jsonl"), closed.slice(0, -2).join("\n") + "\n");
            await refuses(dir, new RegExp(`holds ${closed.length - 2} closed execution\\(s\\), and the data folder recorded at least ${closed.length}`));
            // A queue emptied, a definition cut short, a file removed or added: named by the seal.
            dir = copy();
            fs.writeFileSync(queueFile(dir), "");
            await refuses(dir, /sqs\/.*failure.*jsonl changed since .* \(the messages of the queue .*\), it has 0 bytes now/);
            dir = copy();
            const definition = at(dir, "stepfunctions", "definitions", fs.readdirSync(at(dir, "stepfunctions", "definitions"))[0]);
            fs.truncateSync(definition, 100);
            await refuses(dir, /definitions\/[0-9a-f]{64}\.json changed since .*\(a definition executions run on\), it has 100 bytes now/);
            dir = copy();
            fs.rmSync(at(dir, "events", "pending.jsonl"));
            await refuses(dir, /pending\.jsonl changed since .*it is gone/);
            dir = copy();
            fs.writeFileSync(at(dir, "sqs", "stray.jsonl"), encodeLine({ messageId: "m", md5OfBody: "x", sentAt: "2026-01-01", body: "{}" }));
            await refuses(dir, /stray\.jsonl was added since the local cloud last stopped/);
        });

        it("the table store: deleted (recreated empty), replaced, its log cut, its CURRENT or MANIFEST damaged: refused instead of served empty or hanging", async () => {
            let dir = copy({ unsealed: true });
            fs.rmSync(at(dir, "dynamodb"), { recursive: true });
            await refuses(dir, /dynamodb has no table booking-table-\w+, which the program created in this folder \(its table store was deleted or replaced/);
            dir = copy();
            fs.writeFileSync(at(dir, "dynamodb", "CURRENT"), "MANIFEST-999999\n");
            await refuses(dir, /dynamodb cannot be read by LevelDB \(.*\); it held the DynamoDB tables/);
            dir = copy();
            const manifest = fs.readdirSync(at(dir, "dynamodb")).find((name) => name.startsWith("MANIFEST-"))!;
            fs.writeFileSync(at(dir, "dynamodb", manifest), "x".repeat(40));
            await refuses(dir, /dynamodb cannot be read by LevelDB/);
            // The table's items cut: its log (the writes since the store's last compaction) emptied.
            dir = copy();
            const log = fs.readdirSync(at(dir, "dynamodb")).find((name) => name.endsWith(".log") && fs.statSync(at(dir, "dynamodb", name)).size > 0);
            const tables = fs.readdirSync(at(dir, "dynamodb")).filter((name) => name.endsWith(".ldb"));
            for (const file of log ? [log] : tables) fs.rmSync(at(dir, "dynamodb", file));
            await refuses(dir, /dynamodb (changed since the local cloud last stopped .*: the table booking-table-\w+ held \d+ item\(s\) then|has no table booking-table|cannot be read by LevelDB)/);
        });

        it("left by a crash by an older cloud (no manifest, no checksums) with writes cut short: comes up, reads it, says what it dropped; read-only while running: 503, not acknowledged", async () => {
            const dir = copy({ unsealed: true });
            fs.rmSync(at(dir, "data-folder.json"));
            const withoutChecksums = (file: string) => lines(file).map(withoutChecksum);
            const closedFile = at(dir, "stepfunctions", "executions.jsonl");
            const closed = withoutChecksums(closedFile);
            fs.writeFileSync(closedFile, `${closed.join("\n")}\n{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:x:torn","na`);
            const messages = withoutChecksums(queueFile(dir));
            fs.writeFileSync(queueFile(dir), `${messages.join("\n")}\n{"messageId":"torn","bo`);

            const booted = await bootCloud({ dataDir: dir });
            try {
                const { body: data } = await booted.client.get(`${booted.cloud.url}/_local/data`);
                assert.equal(data.dropped.length, 2, JSON.stringify(data.dropped));
                assert.match(data.dropped[0].what, /^Step Functions: .*executions\.jsonl ended with a line cut short/);
                assert.match(data.dropped[1].what, /^SQS: .*failure.*\.jsonl ended with a line cut short/);
                assert.ok(booted.lines.some((line) => /executions\.jsonl ended with a line cut short/.test(line)), "reported at start");
                assert.deepEqual(summaryOf((await booted.client.status("kept-trip")).body.records).length, 3);
                assert.equal((await booted.client.start({ tripID: "kept-trip" })).status, 409);
                assert.equal((await booted.client.queueMessages()).filter((message) => message.sagaId === "broken-trip").length, messages.length * 2);
                // The manifest now counts what the folder holds.
                assert.equal(JSON.parse(fs.readFileSync(at(dir, "data-folder.json"), "utf8")).closedExecutions, closed.length);

                const writable = readOnly(dir);
                if (!writable) return; // said why in readOnly
                let refused: Awaited<ReturnType<typeof booted.client.start>>[];
                try {
                    refused = [await booted.client.start({ tripID: "while-read-only" }), await booted.client.start({ tripID: "while-read-only-2" })];
                    const direct = await booted.client.stepFunctions("StartExecution", { stateMachineArn: booted.cloud.outputs.stateMachineArn, name: "direct-read-only" });
                    assert.deepEqual([direct.status, direct.body.__type], [503, "com.amazonaws.swf.service.v2.model#ServiceUnavailable"]);
                    assert.match(direct.body.message, /could not keep the execution direct-read-only in its data folder \(EROFS: read-only file system\)/);
                    const { body } = await booted.client.get(`${booted.cloud.url}/_local/data`);
                    assert.match(body.unwritable.reason, /EROFS/);
                } finally {
                    writable();
                }
                // The first start learned of it from the write that failed (the start function answered 500, started nothing); the next got 503 at once.
                assert.deepEqual(refused.map((answer) => answer.status), [500, 503]);
                assert.match(refused[1].body.message, /cannot write its data folder \(EROFS: read-only file system\): it takes no new requests until it can/);
                assert.ok(booted.lines.some((line) => /The data folder .* cannot be written \(EROFS/.test(line)));
                // Writable again: taken again, and nothing refused was kept.
                const deadline = Date.now() + 5000;
                while ((await booted.client.start({ tripID: "after-read-only" })).status !== 202) assert.ok(Date.now() < deadline, "taken again once writable");
                const names = (await booted.client.stepFunctions("ListExecutions", { stateMachineArn: booted.cloud.outputs.stateMachineArn, maxResults: 1000 })).body.executions.map((e: { name: string }) => e.name);
                assert.deepEqual(names.filter((name: string) => /read-only/.test(name)), ["after-read-only"]);
            } finally {
                await booted.cloud.stop();
            }
        });

        it("npm start on a damaged folder: one line on stderr, no stack trace, a non-zero exit", async () => {
            const { code, stderr } = await (npmStartOnDamaged ??= startOnDamaged());
            assert.equal(code, 1);
            assert.match(stderr, /^The data folder is damaged: .*stepfunctions is a file \(12 bytes\) where the local cloud keeps a folder \(the Step Functions executions\)\. Restore it from a copy, or start with another --data folder .*\n$/);
        });

        it("a file where a folder belongs, a folder where a file belongs, a damaged manifest, a folder that is a file", async () => {
            for (const folder of ["stepfunctions", "stepfunctions/running", "dynamodb", "events", "sqs"]) {
                const dir = copy();
                fs.rmSync(at(dir, folder), { recursive: true });
                fs.writeFileSync(at(dir, folder), "not a folder");
                await refuses(dir, new RegExp(`${folder} is a file \\(12 bytes\\) where the local cloud keeps a folder`));
            }
            let dir = copy();
            fs.rmSync(at(dir, "stepfunctions", "executions.jsonl"));
            fs.mkdirSync(at(dir, "stepfunctions", "executions.jsonl"));
            await refuses(dir, /executions\.jsonl is a folder where the local cloud keeps a file \(the closed executions\)/);
            dir = copy();
            fs.writeFileSync(at(dir, "data-folder.json"), '{"format":1,"tables":[');
            await refuses(dir, /data-folder\.json is not JSON; it held what the data folder holds/);
            dir = copy();
            fs.writeFileSync(at(dir, "data-folder.json"), "{}");
            await refuses(dir, /data-folder\.json is not the manifest the local cloud writes/);
            const file = path.join(copy(), "a-file");
            fs.writeFileSync(file, "");
            await refuses(file, /cannot be created|is a file, not a folder/);
        });
    });
});
