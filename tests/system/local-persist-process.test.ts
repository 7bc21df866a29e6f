// `npm start -- --data <dir>` killed (SIGKILL: a crash) or stopped (SIGTERM: Ctrl-C) in the middle
// of a batch of sagas, with chaos injected at every write, loses no saga. Each cloud runs as
// `npm start` runs it, in a process of its own; the folder is then opened again by a cloud in this
// process, which resumes what was left running, and every saga is checked with the chaos run's
// invariants over the table, the executions' histories and the failure queue. And `npm start`
// whose output nobody reads any more stops, rather than fail every write from then on.
import "../support/aws-env";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { evidenceSources, gatherEvidence } from "../../chaos/evidence";
import { FaultCounter } from "../../chaos/faults";
import { checkInvariants } from "../../chaos/invariants";
import { TRAVEL_MODEL } from "../../chaos/model";
import { startLocalCloud } from "../../local/cloud";
import { Answer, bootCloud, Booted, CloudProcess, PROJECT_ROOT, SagaClient, spawnCloud } from "../../local/client";
import { DataDirInUseError } from "../../local/data-lock";
import { atLowestPriority } from "../../harness/plugin-process";
import { SagaOutcomes } from "../../components/model/outcomes";
import { DEFAULT_REPAIR_HORIZON_SECONDS, repairAttempts } from "../../components/model/repair";
import { until } from "../support/until";

const chaos = (seed: number) => JSON.stringify({ seed, failBeforeWrite: 0.1, failAfterWrite: 0.1, duplicateDelivery: 0.2, maxDuplicateDelayMs: 200 });
// Retries wait 100 ms, so a batch is still under way when the kill comes; the stopped cloud's 50 ms
// still leave its slow saga (12 attempts) over half a second of work when the stop begins.
const RETRY_MS = { killed: 100, stopped: 50 };
// The original's random compensation failures: rolled-back and compensation-failed sagas both.
const KILL_CONFIG = { "saga:chaos": chaos(21), "saga:compensationFailureRate": "0.4" };
// Every compensation fails all its retries: a failed saga makes 12 compensation attempts before it
// ends. Its repair fails too: the shortest horizon (6 attempts per cancel, not a day's 35) lets it
// end needing attention well within the grace period.
const STOP_CONFIG = { "saga:chaos": chaos(22), "saga:compensationFailureRate": "1", "saga:repairHorizonSeconds": "60" };
const BATCH = 10;
const ids = (prefix: string) => Array.from({ length: BATCH }, (_, i) => `${prefix}-${String(i).padStart(2, "0")}`);

async function startAll(client: SagaClient, tripIds: string[], query: Record<string, string> = {}): Promise<void> {
    await Promise.all(
        tripIds.map(async (tripID) => {
            const { status, body } = await client.start({ tripID, ...query });
            assert.equal(status, 202, JSON.stringify(body));
        }),
    );
}

async function executions(client: SagaClient, stateMachineArn: string): Promise<{ name: string; status: string }[]> {
    const { body } = await client.stepFunctions("ListExecutions", { stateMachineArn, maxResults: 1000 });
    return body.executions;
}

/** A cloud in this process on the folder, with its sagas settled and each saga's evidence checked. */
async function reopen(dataDir: string, config: Record<string, string>, tripIds: string[]): Promise<Booted> {
    const faults = new FaultCounter();
    const booted = await bootCloud({ dataDir, config, retryIntervalMs: 0, functionLogLevel: "warn", onFunctionLog: (name, line) => faults.observe(name, line) });
    try {
        await settledAndChecked(booted, faults, tripIds, Number(config["saga:repairHorizonSeconds"] ?? DEFAULT_REPAIR_HORIZON_SECONDS));
        return booted;
    } catch (error) {
        await booted.cloud.stop();
        throw error;
    }
}

async function settledAndChecked(booted: Booted, faults: FaultCounter, tripIds: string[], repairHorizonSeconds: number): Promise<void> {
    await booted.cloud.idle();
    await faults.lateDuplicatesDelivered(10_000);
    const { outputs, url } = booted.cloud;
    const trips = await gatherEvidence(evidenceSources(url, "us-east-1", outputs, booted.client), tripIds);
    const check = checkInvariants(trips, TRAVEL_MODEL, { repairAttempts: repairAttempts(repairHorizonSeconds) + 1 });
    for (const invariant of check.invariants) assert.deepEqual(invariant.violations, [], invariant.name);
    assert.deepEqual(trips.map((trip) => trip.tripId).sort(), [...tripIds].sort(), "no saga but those started");
    // Late ones too: a compensation that failed all its retries is repaired (rolled_back, or needs_attention past the horizon).
    const ended = [SagaOutcomes.succeeded, SagaOutcomes.rolledBack, SagaOutcomes.needsAttention] as string[];
    const endedWell = (outcome: string) => ended.some((end) => outcome === end || outcome.startsWith(`${end} (`));
    assert.equal(Object.entries(check.outcomes).filter(([outcome]) => endedWell(outcome)).reduce((sum, [, n]) => sum + n, 0), tripIds.length, JSON.stringify(check.outcomes));
    // A resumed execution neither starts nor enters its state twice (no state of this machine is entered twice).
    for (const { tripId, execution } of trips) assert.equal(new Set(execution!.statesEntered).size, execution!.statesEntered.length, `${tripId}: ${execution!.statesEntered}`);
}

/** What happened to the cloud killed in the middle of its batch. */
interface KillRun {
    tripIds: string[];
    /** Sagas running just before the kill. */
    running: string[];
    secondCloud: unknown;
}

async function killMidBatch(cloud: CloudProcess, dataDir: string): Promise<KillRun> {
    const tripIds = ids("killed");
    const machine = String(cloud.outputs.stateMachineArn);
    await startAll(cloud.client, tripIds);
    // A second cloud on the folder is refused before it deploys anything.
    const secondCloud = await startLocalCloud({ dataDir, programDir: PROJECT_ROOT, port: 0, log: () => undefined }).then(
        async (started) => void (await started.stop()),
        (error: unknown) => error,
    );
    const running = await until(
        "some sagas ended and some still running",
        async () => {
            const now = await executions(cloud.client, machine);
            const open = now.filter((e) => e.status === "RUNNING").map((e) => e.name);
            return open.length >= 2 && open.length < now.length ? open : undefined;
        },
        10_000,
    );
    cloud.child.kill("SIGKILL");
    assert.equal((await cloud.exited).signal, "SIGKILL");
    return { tripIds, running, secondCloud };
}

/** What the cloud stopped by SIGTERM in the middle of its batch answered and said. */
interface StopRun {
    tripIds: string[];
    startRequest: Answer;
    startExecution: Answer;
    waiting: string;
    exit: { code: number | null; signal: NodeJS.Signals | null };
}

async function stopMidBatch(cloud: CloudProcess): Promise<StopRun> {
    const tripIds = [...ids("stopped"), "stopped-slow"];
    const machine = String(cloud.outputs.stateMachineArn);
    await startAll(cloud.client, tripIds.slice(0, BATCH));
    // A payment that fails, then compensations that each fail all their retries: 12 attempts to go.
    await startAll(cloud.client, ["stopped-slow"], { runType: "failPayment" });
    const slowArn = `${machine.replace(":stateMachine:", ":execution:")}:stopped-slow`;
    await until(
        "the slow saga's first compensation",
        async () => {
            const { body } = await cloud.client.stepFunctions("GetExecutionHistory", { executionArn: slowArn });
            return body.events.some((e: { stateEnteredEventDetails?: { name: string } }) => e.stateEnteredEventDetails?.name === "Refund Payment");
        },
        10_000,
    );
    cloud.child.kill("SIGTERM");
    await cloud.line(/^SIGTERM: stopping/);
    const startRequest = await cloud.client.start({ tripID: "stopped-too-late" });
    const startExecution = await cloud.client.stepFunctions("StartExecution", { stateMachineArn: machine, name: "stopped-too-late-2" });
    const waiting = await cloud.line(/^Waiting up to 10 s for \d+ running saga/);
    return { tripIds, startRequest, startExecution, waiting, exit: await cloud.exited };
}

describe("the local cloud in its own process with a data folder, killed or stopped in the middle of a batch of sagas", function () {
    const dirs = { killed: "", stopped: "" };
    let killed: CloudProcess;
    let stopped: CloudProcess;
    let killRun: KillRun;
    let stopRun: StopRun;
    // Two clouds, two processes: started, then driven, at the same time; each test checks one.
    before(async () => {
        dirs.killed = mkdtempSync(path.join(tmpdir(), "saga-killed-"));
        dirs.stopped = mkdtempSync(path.join(tmpdir(), "saga-stopped-"));
        [killed, stopped] = await Promise.all([
            spawnCloud({ dataDir: dirs.killed, config: KILL_CONFIG, retryIntervalMs: RETRY_MS.killed }),
            spawnCloud({ dataDir: dirs.stopped, config: STOP_CONFIG, retryIntervalMs: RETRY_MS.stopped }),
        ]);
        [killRun, stopRun] = await Promise.all([killMidBatch(killed, dirs.killed), stopMidBatch(stopped)]);
    });
    after(() => {
        for (const cloud of [killed, stopped]) if (cloud && cloud.child.exitCode === null && cloud.child.signalCode === null) cloud.child.kill("SIGKILL");
        for (const dir of Object.values(dirs)) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("SIGKILL: a restart resumes the running sagas, every saga reaches its outcome, the chaos invariants hold", async () => {
        assert.ok(killRun.secondCloud instanceof DataDirInUseError, `a second cloud on the folder: ${killRun.secondCloud}`);
        assert.match(killRun.secondCloud.message, new RegExp(`in use by the local cloud of process ${killed.child.pid} at ${killed.url}`));
        const booted = await reopen(dirs.killed, KILL_CONFIG, killRun.tripIds);
        try {
            const resumed = booted.cloud.resumed.map((e) => e.name);
            assert.ok(resumed.length >= 1, "some sagas were resumed");
            assert.deepEqual(resumed.filter((name) => !killRun.running.includes(name)), [], "only sagas that were running");
            // Its name stays taken: the saga has ended, so the same trip id is refused.
            assert.equal((await booted.client.start({ tripID: resumed[0] })).status, 409);
        } finally {
            await booted.cloud.stop();
        }
    });

    it("SIGTERM: new requests get 503, the running sagas finish within the grace period, none is aborted", async () => {
        const { startRequest, startExecution, waiting, exit } = stopRun;
        assert.equal(startRequest.status, 503);
        assert.match(startRequest.body.message, /stopping/);
        assert.equal(startExecution.status, 503);
        assert.match(startExecution.body.__type, /ServiceUnavailable$/);
        // It says what it waits for: which sagas, in which state.
        assert.match(waiting, /: stopped-\d\d \(in [A-Z][a-z]+ [A-Z][a-z]+/);
        assert.deepEqual(exit, { code: 0, signal: null }, stopped.lines.slice(-20).join("\n"));
        assert.ok(stopped.lines.some((line) => /saga\(s\) finished while stopping/.test(line)));
        assert.deepEqual(stopped.lines.filter((line) => /^(Still running|Aborted)/.test(line)), []);

        const booted = await reopen(dirs.stopped, STOP_CONFIG, stopRun.tripIds);
        try {
            assert.deepEqual(booted.cloud.resumed, [], "nothing was left running");
            const statuses = (await executions(booted.client, String(booted.cloud.outputs.stateMachineArn))).map((e) => e.status);
            assert.equal(statuses.length, stopRun.tripIds.length, "the refused requests started nothing");
            assert.deepEqual(statuses.filter((status) => status === "ABORTED" || status === "RUNNING"), []);
        } finally {
            await booted.cloud.stop();
        }
    });
});

/**
 * `npm start | grep -m1 Endpoint` at the lowest CPU priority: the output read up to the endpoint's
 * line, then the pipes closed. The cloud learns that at its next write, as under a shell: a request
 * to its API, which it logs, makes one.
 */
function startPipedToGrep(): { exited: Promise<number | null>; kill(): void } {
    const program = path.join(PROJECT_ROOT, "tests", "fixtures", "harness-program");
    const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(PROJECT_ROOT, "local", "main.ts"), "--port", "0", "--program", program], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    });
    atLowestPriority(child);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let read = "";
    const onData = (chunk: Buffer) => {
        read += chunk.toString();
        const endpoint = /^Endpoint: (\S+)/m.exec(read)?.[1];
        if (endpoint === undefined) return;
        child.stdout.off("data", onData);
        child.stdout.destroy();
        child.stderr.destroy();
        // Answered or not (the cloud may stop first), what matters is the line it logs.
        fetch(`${endpoint}/after-the-reader-left`).catch(() => undefined);
    };
    child.stdout.on("data", onData);
    return { exited, kill: () => child.kill("SIGKILL") };
}

// A process that takes seconds: a root-level hook starts it at the run's beginning, so it runs on
// what the test files before this one leave idle; another ends it if it is still running then.
let pipedToGrep: ReturnType<typeof startPipedToGrep> | undefined;
before(() => void (pipedToGrep ??= startPipedToGrep()));
after(() => pipedToGrep?.kill());

describe("npm start whose output's reader goes away (npm start | grep -m1 Endpoint)", function () {
    it("stops as on SIGTERM at its next write, instead of failing every write from then on", async () => {
        pipedToGrep ??= startPipedToGrep();
        const deadline = new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 20_000).unref());
        assert.equal(await Promise.race([pipedToGrep.exited, deadline]), 0);
    });
});
