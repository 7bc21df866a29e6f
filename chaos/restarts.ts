// `npm run chaos -- --kill-every <n>`: the local cloud in a process of its own (as `npm start`
// runs it), with a data folder, killed (SIGKILL: a crash) or stopped (SIGTERM: Ctrl-C) after every
// n sagas started, and started again on the same folder and port, while the sagas go on. The
// sagas are driven as a patient client would: a request that finds the cloud down, or stopping
// (503), waits until it is back and asks again; a start request asked again may find its saga
// already started (409 for one that has since ended).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CloudProcess, SagaClient, spawnCloud } from "../local/client";
import { EvidenceSources, evidenceSources } from "./evidence";
import { FaultCounter, stopIfRunning } from "./faults";

export type KillSignal = "SIGKILL" | "SIGTERM";

export interface RestartFigures {
    signal: KillSignal;
    /** After how many sagas started the cloud is killed. */
    every: number;
    restarts: number;
    /** Executions the restarted clouds resumed, in all. */
    resumed: number;
    /** From the signal until the cloud served again, per restart. */
    downtimeMs: number[];
}

export interface RestartingCloudOptions {
    config: Record<string, string>;
    signal: KillSignal;
    every: number;
    faults: FaultCounter;
    /** --grace of each process (SIGTERM): how long its running sagas may take to finish. */
    graceSeconds?: number;
    /** --retry-interval of each process. */
    retryIntervalMs: number;
}

/** How long `settle` must find nothing running before it believes it. */
const QUIET_MS = 300;

/** How long one request may keep finding the cloud down before the run gives up on it. */
const PATIENCE_MS = 120_000;

export class RestartingCloud {
    readonly figures: RestartFigures;
    private current!: CloudProcess;
    private port = 0;
    /** Set while the cloud restarts: requests wait for it. */
    private restarting?: Promise<void>;
    private started = 0;

    private constructor(
        private readonly options: RestartingCloudOptions,
        private readonly dataDir: string,
    ) {
        this.figures = { signal: options.signal, every: options.every, restarts: 0, resumed: 0, downtimeMs: [] };
    }

    static async start(options: RestartingCloudOptions): Promise<RestartingCloud> {
        const cloud = new RestartingCloud(options, mkdtempSync(path.join(tmpdir(), "saga-chaos-")));
        await cloud.spawn();
        cloud.port = Number(new URL(cloud.current.url).port);
        return cloud;
    }

    /** Stable across restarts: the same port, so the same URLs. */
    get client(): SagaClient {
        return this.current.client;
    }

    evidenceSources(): EvidenceSources {
        const { url, region, outputs, client } = this.current;
        return evidenceSources(url, region, outputs, client);
    }

    /**
     * Starts a saga, restarts the cloud when its turn comes, stops the saga `stopAfterMs` after its
     * start if given and it still runs, and follows it to its outcome. Answers whether it stopped it.
     */
    async drive(tripId: string, timeoutMs: number, stopAfterMs?: number): Promise<boolean> {
        let asked = 0;
        const started = await this.patiently(() => {
            asked += 1;
            return this.client.start({ tripID: tripId });
        });
        // Asked again after the cloud went down: the first request may have started it.
        if (started.status !== 202 && !(started.status === 409 && asked > 1)) {
            throw new Error(`the start request answered ${started.status}: ${JSON.stringify(started.body)}`);
        }
        this.started += 1;
        if (this.started % this.options.every === 0) void this.restart();
        const stopping = stopAfterMs === undefined ? false : this.stopLater(started.body.executionArn, stopAfterMs);
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const { status, body } = await this.patiently(() => this.client.status(tripId));
            if (status !== 200) throw new Error(`GET trips/${tripId} answered ${status}: ${JSON.stringify(body)}`);
            if (body.outcome !== "running") return stopping;
            if (Date.now() > deadline) throw new Error(`the saga was still running after ${timeoutMs} ms`);
            await sleep(20);
        }
    }

    /**
     * Resolves once no execution of the saga's machine or of its repair machine runs (the Step
     * Functions API says so) twice, QUIET_MS apart: a status change between two executions (a saga's
     * end starting its repair) is delivered within milliseconds, and its delivery is not visible.
     */
    async settle(timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        const machines = [this.current.outputs.stateMachineArn, this.current.outputs.repairMachineArn].map(String);
        let quietSince: number | undefined;
        for (;;) {
            let running = 0;
            for (const stateMachineArn of machines) {
                const { body } = await this.patiently(() => this.client.stepFunctions("ListExecutions", { stateMachineArn, statusFilter: "RUNNING" }));
                running += (body.executions ?? []).length;
            }
            if (running > 0) quietSince = undefined;
            else if (quietSince === undefined) quietSince = Date.now();
            else if (Date.now() - quietSince >= QUIET_MS) return;
            if (Date.now() > deadline) throw new Error(`${running} execution(s) still running after ${timeoutMs} ms.`);
            await sleep(50);
        }
    }

    private async stopLater(executionArn: string, afterMs: number): Promise<boolean> {
        await sleep(afterMs);
        return stopIfRunning((operation, request) => this.patiently(() => this.client.stepFunctions(operation, request)), executionArn);
    }

    /** PUT /_local/faults on the cloud now running (a restarted one starts from the stack's config). */
    async setCompensationFailureRate(rate: number): Promise<void> {
        await this.patiently(() => this.client.setCompensationFailureRate(rate));
    }

    /** Stops the last cloud as Ctrl-C would and removes its data folder. */
    async stop(): Promise<void> {
        await this.restarting;
        this.current.child.kill("SIGTERM");
        await this.current.exited;
        rmSync(this.dataDir, { recursive: true, force: true });
    }

    private async restart(): Promise<void> {
        if (this.restarting) return;
        let done!: () => void;
        this.restarting = new Promise<void>((resolve) => (done = resolve));
        const from = Date.now();
        try {
            this.current.child.kill(this.options.signal);
            await this.current.exited;
            // A late duplicate the old process had scheduled is gone with it.
            this.options.faults.forgetUndelivered();
            await this.spawn();
            this.figures.restarts += 1;
            this.figures.downtimeMs.push(Date.now() - from);
        } finally {
            this.restarting = undefined;
            done();
        }
    }

    private async spawn(): Promise<void> {
        const cloud = await spawnCloud({
            dataDir: this.dataDir,
            port: this.port,
            config: this.options.config,
            retryIntervalMs: this.options.retryIntervalMs,
            functionLogs: "warn",
            rawFunctionLogs: true,
            graceSeconds: this.options.graceSeconds,
            onLine: (line) => {
                const functionLine = /^ {2}fn (\S+): (.*)$/.exec(line);
                if (functionLine) this.options.faults.observe(functionLine[1], functionLine[2]);
            },
        });
        const resumed = /^Resumed (\d+) execution/.exec(cloud.lines.find((line) => line.startsWith("Resumed ")) ?? "");
        this.figures.resumed += Number(resumed?.[1] ?? 0);
        this.current = cloud;
    }

    /** Makes a request until the cloud is up to answer it: not refused, not stopping (503). */
    private async patiently<T extends { status: number }>(request: () => Promise<T>): Promise<T> {
        const deadline = Date.now() + PATIENCE_MS;
        for (;;) {
            await this.restarting;
            try {
                const answer = await request();
                if (answer.status !== 503) return answer;
            } catch (error) {
                if (Date.now() > deadline) throw error;
            }
            if (Date.now() > deadline) throw new Error(`the local cloud was still unavailable after ${PATIENCE_MS} ms`);
            await sleep(this.restarting ? 0 : 50);
        }
    }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
