// With a data folder, the local Step Functions service keeps every execution as it runs, and a new
// service on the same folder (the local cloud started again after a crash or a stop) resumes the
// open ones where they were, as Step Functions continues after an outage: the state they were in,
// with its input, its retries already made, its context object, its time limit counted from the
// start; a line cut short by the crash is dropped. A small machine whose Tasks the test scripts;
// a "crash" is a service left as it is, its data folder read by the next one, as a killed
// process leaves it (every write is synchronous). Also: a queue's file cut short the same way, and
// one local cloud per data folder.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { buildSync } from "esbuild";
import * as fs from "node:fs";
import { hostname, tmpdir } from "node:os";
import { createInterface } from "node:readline";
import * as path from "node:path";
import { DataDirInUseError, DataLock } from "../local/data-lock";
import { DataFolderDamaged } from "../local/data-folder";
import { encodeLine } from "../local/jsonl";
import { withoutChecksum } from "./support/data-folder";
import type { ExecutionRecord } from "../local/sfn/record";
import { SfnError, StepFunctionsService } from "../local/sfn/service";
import { ExecutionStore, StoreLedger } from "../local/sfn/store";
import { LAMBDA_INVOKE, lambdaTaskError } from "../local/sfn/tasks";
import { LocalQueue } from "../local/sqs/queue";
import { allowEveryCall } from "./support/iam";
import { until } from "./support/until";

const MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:resume-probe";
const DEFINITION = {
    StartAt: "Work",
    TimeoutSeconds: 600,
    States: {
        Work: {
            Type: "Task",
            Resource: LAMBDA_INVOKE,
            Parameters: { FunctionName: "work", "Payload.$": "$" },
            ResultSelector: { "result.$": "$.Payload" },
            ResultPath: "$.work",
            Retry: [{ ErrorEquals: ["Flaky"], MaxAttempts: 3 }],
            Catch: [{ ErrorEquals: ["States.ALL"], Next: "Undo", ResultPath: "$.failure" }],
            Next: "Done",
        },
        // What the failure-recording Task of a saga reads: the context object.
        Undo: {
            Type: "Task",
            Resource: LAMBDA_INVOKE,
            Parameters: {
                FunctionName: "undo",
                Payload: { "name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id", "input.$": "$$.Execution.Input", "start.$": "$$.Execution.StartTime", "error.$": "$.failure.Error" },
            },
            ResultPath: null,
            Next: "Undone",
        },
        Done: { Type: "Succeed" },
        Undone: { Type: "Fail", Error: "Work.Undone" },
    },
};

/** What a function does on its nth call (1-based) with a payload. */
type Script = (call: number, payload: any) => Promise<unknown>;
/** Tasks held open; released (failed) when the test ends, so no engine timer outlives it. */
const holds = new Set<(error: Error) => void>();
const hold = () => new Promise<never>((_, reject) => holds.add(reject));
function releaseHolds(): void {
    for (const release of holds) release(lambdaTaskError("Released", "The test is over."));
    holds.clear();
}
const fail = (name: string) => Promise.reject(lambdaTaskError(name, `${name} on purpose.`));

/** A local cloud's Step Functions on a data folder: what is kept there is restored and resumed. */
function serviceOn(dataDir: string, scripts: Record<string, Script>, ledger?: StoreLedger) {
    const calls: Record<string, any[]> = { work: [], undo: [] };
    const warnings: string[] = [];
    const store = new ExecutionStore(dataDir, (line) => warnings.push(line), ledger);
    const service = new StepFunctionsService({
        region: "us-east-1",
        retryIntervalMs: 0,
        store,
        targets: {
            authorize: allowEveryCall,
            hasFunction: (name) => name in calls,
            invokeFunction(name, payload) {
                calls[name].push(payload);
                return (scripts[name] ?? hold)(calls[name].length, payload);
            },
            sendMessage: () => ({ MessageId: "unused" }),
        },
    });
    service.createStateMachine({ name: "resume-probe", arn: MACHINE, definition: JSON.stringify(DEFINITION), roleArn: "arn:aws:iam::000000000000:role/probe", type: "STANDARD" });
    service.restore(store.load());
    const { resumed } = service.resume();
    return { service, calls, warnings, resumed };
}

const arnOf = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:resume-probe:${name}`;
const journalOf = (dataDir: string) => {
    const dir = path.join(dataDir, "stepfunctions", "running");
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1, `one open execution's journal: ${files}`);
    return path.join(dir, files[0]);
};

/** The history as "Type State" lines, ids checked to run 1, 2, 3, ... */
function historyOf(record: ExecutionRecord): string[] {
    record.history.forEach((event, i) => assert.deepEqual([event.id, event.previousEventId], [i + 1, i], `event ${i + 1}: ${event.type}`));
    return record.history.map((event) => `${event.type}${event.stateEnteredEventDetails ? ` ${(event.stateEnteredEventDetails as { name: string }).name}` : ""}`);
}

describe("the local Step Functions service with a data folder: executions resume after a restart", () => {
    let dataDir: string;
    const stopped: StepFunctionsService[] = [];
    beforeEach(() => {
        dataDir = fs.mkdtempSync(path.join(tmpdir(), "saga-resume-"));
    });
    afterEach(async () => {
        // A "crashed" service still holds its Tasks: suspended, it writes nothing more.
        await Promise.all(stopped.splice(0).map((service) => service.stop()));
        releaseHolds();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("runs again the Task that was under way, with the retries already made counted, and the same context", async () => {
        const input = JSON.stringify({ order: 7 });
        // Two attempts fail, the third is under way when the process dies.
        const first = serviceOn(dataDir, { work: (call) => (call <= 2 ? fail("Flaky") : hold()), undo: hold });
        stopped.push(first.service);
        const started = first.service.startExecution(MACHINE, "order-7", input);
        await until("the third attempt", () => first.calls.work.length === 3);

        const second = serviceOn(dataDir, { work: () => fail("Flaky"), undo: async () => ({}) });
        assert.deepEqual(
            second.resumed.map(({ name, state, failedAttempts }) => ({ name, state, failedAttempts })),
            [{ name: "order-7", state: "Work", failedAttempts: 2 }],
        );
        await second.service.idle();
        const record = second.service.describeExecution(arnOf("order-7"));
        assert.deepEqual([record.status, record.error], ["FAILED", "Work.Undone"]);
        // MaxAttempts 3: four attempts in all, two before the restart; counted afresh it would be six.
        assert.equal(second.calls.work.length, 2);
        assert.deepEqual(historyOf(record), [
            "ExecutionStarted",
            "TaskStateEntered Work",
            ...Array.from({ length: 4 }, () => ["TaskScheduled", "TaskStarted", "TaskFailed"]).flat(),
            "TaskStateExited",
            "TaskStateEntered Undo",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "FailStateEntered Undone",
            "ExecutionFailed",
        ]);
        assert.deepEqual(second.calls.undo, [
            { name: "order-7", id: arnOf("order-7"), input: { order: 7 }, start: started.startDate.toISOString(), error: "Flaky" },
        ]);
        // Closed: kept for good, its journal gone.
        assert.deepEqual(fs.readdirSync(path.join(dataDir, "stepfunctions", "running")), []);
        const third = serviceOn(dataDir, {});
        assert.equal(third.service.describeExecution(arnOf("order-7")).status, "FAILED");
        assert.throws(() => third.service.startExecution(MACHINE, "order-7", input), (e: SfnError) => e.type === "ExecutionAlreadyExists");
    });

    it("acts on a failed attempt the history kept without running it again, and drops a line cut short", async () => {
        const first = serviceOn(dataDir, { work: () => fail("Fatal"), undo: hold });
        stopped.push(first.service);
        first.service.startExecution(MACHINE, "order-8", "{}");
        await until("the compensation", () => first.calls.undo.length === 1);
        await first.service.stop();
        // As if the process died right after writing the failure: the next line half written.
        const file = journalOf(dataDir);
        const lines = fs.readFileSync(file, "utf8").split("\n");
        assert.match(lines[2], /"TaskFailed"/);
        fs.writeFileSync(file, `${lines.slice(0, 3).join("\n")}\n${lines[3].slice(0, lines[3].length / 2)}`);

        const second = serviceOn(dataDir, { work: () => fail("NotAgain"), undo: async () => ({}) });
        assert.ok(second.warnings.some((line) => /cut short/.test(line)), second.warnings.join("\n"));
        await second.service.idle();
        const record = second.service.describeExecution(arnOf("order-8"));
        assert.deepEqual([record.status, record.error], ["FAILED", "Work.Undone"]);
        assert.equal(second.calls.work.length, 0, "the failed attempt is not run again");
        assert.equal(second.calls.undo[0].error, "Fatal");
        assert.equal(historyOf(record).filter((event) => event === "TaskFailed").length, 1);
        assert.equal(historyOf(record).filter((event) => event === "TaskStateEntered Undo").length, 1);

        // The same for the closed executions' file: a torn last line is dropped, what follows is whole.
        const closedFile = path.join(dataDir, "stepfunctions", "executions.jsonl");
        fs.appendFileSync(closedFile, '{"executionArn":"arn:aws:states:us-east-1:000000000000:execution:resume-probe:torn","na');
        const third = serviceOn(dataDir, {});
        assert.deepEqual(third.service.listExecutions(MACHINE).map((e) => e.name), ["order-8"]);
        assert.ok(fs.readFileSync(closedFile, "utf8").endsWith("\n"));
        assert.ok(!fs.readFileSync(closedFile, "utf8").includes(":torn"));

        // And for a queue's file: a message cut short was never sent.
        const queueFile = path.join(dataDir, "queue.jsonl");
        const queue = new LocalQueue("failures", "http://127.0.0.1:1/_local/queues/failures", "arn:aws:sqs:us-east-1:000000000000:failures", { file: queueFile });
        queue.send('{"step":"Hotel"}');
        fs.appendFileSync(queueFile, '{"messageId":"torn","bo');
        const reopened = new LocalQueue("failures", queue.url, queue.arn, { file: queueFile });
        reopened.send('{"step":"Flight"}');
        const kept = new LocalQueue("failures", queue.url, queue.arn, { file: queueFile });
        assert.deepEqual(kept.summary().messages.map((message) => message.body), ['{"step":"Hotel"}', '{"step":"Flight"}']);
    });

    it("keeps a running execution's name taken, and times it out at once when its time ran out while the cloud was down", async () => {
        const first = serviceOn(dataDir, { work: hold, undo: hold });
        first.service.startExecution(MACHINE, "order-9", '{"n":9}');
        await until("the first attempt", () => first.calls.work.length === 1);
        const { suspended, aborted } = await first.service.stop();
        assert.deepEqual([suspended.map((e) => e.name), aborted], [["order-9"], []]);

        const second = serviceOn(dataDir, { work: hold, undo: hold });
        stopped.push(second.service);
        assert.equal(second.calls.work.length, 1, "the Task under way runs again");
        const running = second.service.describeExecution(arnOf("order-9"));
        assert.equal(running.status, "RUNNING");
        assert.equal(second.service.startExecution(MACHINE, "order-9", '{"n":9}'), running, "the same name and input: the same execution");
        assert.throws(() => second.service.startExecution(MACHINE, "order-9", '{"n":10}'), (e: SfnError) => e.type === "ExecutionAlreadyExists");
        assert.deepEqual(second.service.listExecutions(MACHINE, "RUNNING").map((e) => e.name), ["order-9"]);
        await second.service.stop();

        // Started long ago: its 600 s have passed by the next start.
        const file = journalOf(dataDir);
        const [head, ...rest] = fs.readFileSync(file, "utf8").split("\n");
        // Each line is a record and its checksum (local/jsonl.ts): rewritten as the cloud writes one.
        const started = JSON.parse(withoutChecksum(head));
        started.execution.startDate = new Date(Date.now() - 3_600_000).toISOString();
        fs.writeFileSync(file, [encodeLine(started).trimEnd(), ...rest].join("\n"));
        const third = serviceOn(dataDir, { work: hold, undo: hold });
        await third.service.idle();
        const record = third.service.describeExecution(arnOf("order-9"));
        assert.deepEqual([record.status, record.error, third.calls.work.length], ["TIMED_OUT", "States.Timeout", 0]);
        assert.deepEqual(historyOf(record).slice(-1), ["ExecutionTimedOut"]);
    });

    it("refuses to load a running execution's journal that is damaged, or whose definition is, naming the file and the execution", async () => {
        const first = serviceOn(dataDir, { work: hold, undo: hold });
        first.service.startExecution(MACHINE, "order-11", '{"n":11}');
        await until("the first attempt", () => first.calls.work.length === 1);
        await first.service.stop();
        const file = journalOf(dataDir);
        const whole = fs.readFileSync(file, "utf8");
        const [head, ...rest] = whole.split("\n");
        const definition = path.join(dataDir, "stepfunctions", "definitions", fs.readdirSync(path.join(dataDir, "stepfunctions", "definitions"))[0]);
        const definitionText = fs.readFileSync(definition, "utf8");
        const refused = (damage: () => void, pattern: RegExp) => {
            damage();
            assert.throws(
                () => serviceOn(dataDir, {}),
                (error: Error) => error instanceof DataFolderDamaged && pattern.test(error.message) && !error.message.includes("\n"),
            );
            fs.writeFileSync(file, whole);
            fs.writeFileSync(definition, definitionText);
        };
        refused(() => fs.writeFileSync(file, `${head}\nnull\n${rest.join("\n")}`), /running\/\w+\.jsonl line 2 of \d+ \(of a running execution's journal\) has no checksum/);
        refused(() => fs.appendFileSync(file, encodeLine({})), /is no record of a running execution's journal: its events is missing/);
        refused(() => fs.appendFileSync(file, encodeLine(null)), /null, not an object/);
        const started = JSON.parse(withoutChecksum(head));
        refused(
            () => fs.writeFileSync(file, [encodeLine({ execution: { ...started.execution, input: '{"n":' } }).trimEnd(), ...rest].join("\n")),
            /line 1 of \d+ .* the execution it starts with: its input is not JSON; it held executionArn .*:order-11/,
        );
        refused(
            () => fs.appendFileSync(file, encodeLine({ events: [{ id: 9, type: "TaskStateEntered", timestamp: "2026-01-01T00:00:00Z", stateEnteredEventDetails: { name: "Work", input: "{not json" } }] })),
            /the input of the state entered by event 9 is not JSON/,
        );
        refused(() => fs.writeFileSync(definition, definitionText.slice(0, 50)), /definitions\/\w+\.json is damaged \(it is not JSON \(cut short or overwritten\)\); it held the definition the running execution order-11 runs on/);
        refused(() => fs.rmSync(definition), /definitions\/\w+\.json is missing; it held the definition the running execution order-11 runs on/);
        // Undamaged, it resumes.
        const resumed = serviceOn(dataDir, { work: hold, undo: hold });
        stopped.push(resumed.service);
        assert.deepEqual(resumed.resumed.map((e) => e.name), ["order-11"]);
    });

    it("counts the executions started and closed in the data folder's manifest: a running journal removed, or closed executions cut, are refused", async () => {
        // What local/data-folder.ts keeps in data-folder.json.
        const ledger = {
            closedExecutions: -1,
            startedExecutions: -1,
            countClosed(count: number) {
                this.closedExecutions = count;
            },
            countStarted(count: number) {
                this.startedExecutions = count;
            },
            failedWrite: () => undefined,
        };
        const first = serviceOn(dataDir, { work: async () => ({}), undo: hold }, ledger);
        first.service.startExecution(MACHINE, "order-14", "{}");
        await first.service.idle();
        first.service.startExecution(MACHINE, "order-15", "{}");
        first.service.startExecution(MACHINE, "order-16", "{}");
        await first.service.idle();
        await first.service.stop();
        assert.deepEqual([ledger.startedExecutions, ledger.closedExecutions], [3, 3]);
        // A crash while order-17 runs, then its journal removed: its records are gone, its name would be free again.
        const crashed = serviceOn(dataDir, { work: hold, undo: hold }, ledger);
        crashed.service.startExecution(MACHINE, "order-17", "{}");
        await until("order-17's first attempt", () => crashed.calls.work.length === 1);
        await crashed.service.stop();
        assert.equal(ledger.startedExecutions, 4);
        fs.rmSync(journalOf(dataDir));
        assert.throws(
            () => serviceOn(dataDir, {}, ledger),
            (error: Error) => error instanceof DataFolderDamaged && /running and executions\.jsonl hold 0 running and 3 closed execution\(s\), and the data folder recorded at least 4 started: the journal of a running execution was removed/.test(error.message),
        );
        const closedFile = path.join(dataDir, "stepfunctions", "executions.jsonl");
        fs.writeFileSync(closedFile, fs.readFileSync(closedFile, "utf8").split("\n").slice(1).join("\n"));
        assert.throws(() => serviceOn(dataDir, {}, ledger), /executions\.jsonl holds 2 closed execution\(s\), and the data folder recorded at least 3 written there/);
    });

    it("refuses a new execution whose journal cannot be written (503), and suspends one whose journal stops being writable", async () => {
        const first = serviceOn(dataDir, { work: hold, undo: hold });
        stopped.push(first.service);
        first.service.startExecution(MACHINE, "order-12", "{}");
        await until("the first attempt", () => first.calls.work.length === 1);
        // The running folder replaced by a file: no journal can be created there, nor appended to.
        const running = path.join(dataDir, "stepfunctions", "running");
        const journals = fs.readdirSync(running);
        fs.renameSync(running, `${running}.aside`);
        fs.writeFileSync(running, "");
        try {
            assert.throws(
                () => first.service.startExecution(MACHINE, "order-13", "{}"),
                (error: SfnError) => error.type === "ServiceUnavailable" && error.statusCode === 503 && /could not keep the execution order-13 in its data folder/.test(error.message),
            );
            assert.throws(() => first.service.describeExecution(arnOf("order-13")), (error: SfnError) => error.type === "ExecutionDoesNotExist");
            // order-12's Task fails: its failure cannot be written, so it stops where its journal ends.
            releaseHolds();
            await first.service.idle();
            assert.equal(first.service.describeExecution(arnOf("order-12")).status, "RUNNING");
            assert.equal(first.calls.undo.length, 0, "nothing ran past what was written");
            assert.ok(first.warnings.some((line) => /the execution stops where its journal ends/.test(line)), first.warnings.join("\n"));
        } finally {
            fs.rmSync(running);
            fs.renameSync(`${running}.aside`, running);
        }
        assert.deepEqual(fs.readdirSync(running), journals);
        const second = serviceOn(dataDir, { work: hold, undo: hold });
        stopped.push(second.service);
        assert.deepEqual(second.resumed.map((e) => e.name), ["order-12"]);
    });

    it("without a data folder keeps nothing: a stop aborts what runs", async () => {
        const service = new StepFunctionsService({
            region: "us-east-1",
            targets: { authorize: allowEveryCall, hasFunction: () => true, invokeFunction: hold, sendMessage: () => ({ MessageId: "unused" }) },
        });
        service.createStateMachine({ name: "resume-probe", arn: MACHINE, definition: JSON.stringify(DEFINITION), roleArn: "arn:aws:iam::000000000000:role/probe", type: "STANDARD" });
        service.startExecution(MACHINE, "order-10", "{}");
        const { suspended, aborted } = await service.stop();
        assert.deepEqual([suspended, aborted.map((e) => e.name)], [[], ["order-10"]]);
        assert.equal(service.describeExecution(arnOf("order-10")).status, "ABORTED");
    });
});

describe("one local cloud per data folder (its lock)", () => {
    let dataDir: string;
    beforeEach(() => {
        dataDir = fs.mkdtempSync(path.join(tmpdir(), "saga-lock-"));
    });
    afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const lockFiles = () => fs.readdirSync(dataDir).filter((name) => name.includes("lock"));

    it("refuses a second cloud, naming the first, and takes the folder back once it is released", () => {
        const lock = DataLock.acquire(dataDir);
        lock.describe("http://127.0.0.1:4321");
        assert.throws(
            () => DataLock.acquire(dataDir),
            (error: Error) => error instanceof DataDirInUseError && error.message.includes("in use by another local cloud in this process at http://127.0.0.1:4321"),
        );
        lock.release();
        DataLock.acquire(dataDir).release();
        // One file is left: the newest generation, marked released; nothing half written beside it.
        assert.deepEqual(lockFiles(), ["local-cloud.2.lock"]);
        assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, "local-cloud.2.lock"), "utf8")).released, true);
    });

    it("takes over a lock left by a process that has ended, one never written whole, and an older cloud's local-cloud.lock", () => {
        // PIDs go up to 2^22 on Linux: this one is not running.
        const dead = JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" });
        fs.writeFileSync(path.join(dataDir, "local-cloud.7.lock"), dead);
        DataLock.acquire(dataDir).release();
        assert.deepEqual(lockFiles(), ["local-cloud.8.lock"]);
        fs.writeFileSync(path.join(dataDir, "local-cloud.9.lock"), '{"pid":12');
        const lock = DataLock.acquire(dataDir);
        assert.deepEqual(lockFiles(), ["local-cloud.10.lock"]);
        assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, "local-cloud.10.lock"), "utf8")).pid, process.pid);
        lock.release();

        const legacy = fresh();
        fs.writeFileSync(path.join(legacy, "local-cloud.lock"), dead);
        DataLock.acquire(legacy).release();
        assert.deepEqual(fs.readdirSync(legacy), ["local-cloud.1.lock"]);
        // A live one of an older cloud is respected.
        fs.writeFileSync(path.join(legacy, "local-cloud.lock"), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" }));
        fs.rmSync(path.join(legacy, "local-cloud.1.lock"));
        assert.throws(() => DataLock.acquire(legacy), DataDirInUseError);
    });

    it("is won by exactly one of many processes starting at the same instant over a stale lock", async function () {
        // Each folder is a round, with a stale lock (the single file of before generations, so that
        // the old lock ran the same test: about 1 round in 20 was won twice).: every process goes through all of them as fast as it can, so
        // they contend for each at nearly the same moment.
        const rounds = Array.from({ length: 100 }, () => {
            const dir = fresh();
            fs.writeFileSync(path.join(dir, "local-cloud.lock"), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" }));
            return dir;
        });
        // Far enough ahead that every process has loaded when it comes.
        const instant = Date.now() + 500;
        const children = Array.from({ length: 8 }, () => spawn(process.execPath, [bundle("contender"), String(instant), ...rounds], { stdio: ["pipe", "pipe", "inherit"] }));
        const answers = (await Promise.all(children.map((child) => firstLine(child)))).map((line) => JSON.parse(line) as string[]);
        for (const child of children) child.stdin!.end();
        await Promise.all(children.map((child) => new Promise((resolve) => child.once("exit", resolve))));
        const notByOne = rounds.flatMap((_, round) => {
            const winners = answers.flatMap((mine, process) => (mine[round] === "refused" ? [] : [`process ${process}: ${mine[round]}`]));
            return winners.length === 1 ? [] : [`round ${round}: ${winners.join(", ") || "nobody"}`];
        });
        assert.deepEqual(notByOne, [], `${notByOne.length} of ${rounds.length} rounds not won by exactly one process`);
        for (const dir of rounds) assert.deepEqual(fs.readdirSync(dir), ["local-cloud.1.lock"]);
    });

    it("takes the folder of a cloud killed a moment ago that is still a zombie (not yet reaped), never a live cloud's", async () => {
        // Its parent never reaps it (sleep waits for nobody): once killed it stays a zombie.
        const parent = spawn("sh", ["-c", `"${process.execPath}" "${bundle("holder")}" "${dataDir}" & echo $!; exec sleep 30`], { stdio: ["ignore", "pipe", "inherit"] });
        try {
            const lines = createInterface({ input: parent.stdout! })[Symbol.asyncIterator]();
            const pid = Number((await lines.next()).value);
            assert.equal((await lines.next()).value, "held");
            assert.throws(
                () => DataLock.acquire(dataDir),
                (error: Error) => error instanceof DataDirInUseError && error.message.includes(`in use by the local cloud of process ${pid}`),
            );
            process.kill(pid, "SIGKILL");
            await until("the killed process to be a zombie", () => /^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8")));
            // kill(pid, 0) still succeeds on it, as on the issue's restart right after a crash.
            assert.equal(process.kill(pid, 0), true);
            DataLock.acquire(dataDir).release();
        } finally {
            parent.kill("SIGKILL");
        }
    });

    const made: string[] = [];
    after(() => {
        for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    });
    function fresh(): string {
        const dir = fs.mkdtempSync(path.join(tmpdir(), "saga-lock-"));
        made.push(dir);
        return dir;
    }
    /** A fixture of tests/fixtures/data-lock bundled into one file that plain node starts in a few ms. */
    const bundled = new Map<string, string>();
    function bundle(name: string): string {
        if (!bundled.has(name)) {
            const outfile = path.join(fresh(), `${name}.js`);
            buildSync({ entryPoints: [path.join(__dirname, "fixtures", "data-lock", `${name}.ts`)], bundle: true, platform: "node", target: "node20", outfile, logLevel: "error" });
            bundled.set(name, outfile);
        }
        return bundled.get(name)!;
    }
});

function firstLine(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
        createInterface({ input: child.stdout! }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`a contender exited (${code}) before answering`)));
    });
}
