// One chaos run: the real program (index.ts) on a fresh local cloud whose stack config turns chaos
// on (saga:chaos, saga:compensationFailureRate) and shortens the execution's time limit and the
// repair horizon, N sagas started and followed over HTTP as a user would (the API's start route,
// then its status route), some stopped at random while they run (StopExecution), the compensations
// failing without exception for a stretch of the run (an outage, switched on and off through
// PUT /_local/faults); then, once every execution, repair, retry and late duplicate has settled,
// the invariants checked over the whole table, every execution's and repair's history, the failure
// queue and the needs-attention queue. With `killEvery`, the cloud runs in a process of its own
// with a data folder and is killed and started again as the sagas go (restarts.ts).
import type { SagaChaosOptions } from "../components/model/args";
import { repairAttempts } from "../components/model/repair";
import { seededDraws } from "../handlers/lib/chaos";
import { bootCloud, runPool } from "../local/client";
import { EvidenceSources, evidenceSources, gatherEvidence } from "./evidence";
import { FaultCounter, FaultCounts, stopIfRunning } from "./faults";
import { ChaosCheck, checkInvariants } from "./invariants";
import { TRAVEL_MODEL } from "./model";
import { KillSignal, RestartFigures, RestartingCloud } from "./restarts";

export interface FaultRates {
    failBeforeWrite: number;
    failAfterWrite: number;
    duplicateDelivery: number;
    /** The original's random compensation failures (saga:compensationFailureRate). */
    compensationFailureRate: number;
    /** Probability that a saga's execution is stopped (StopExecution) at a random moment of its first STOP_WITHIN_MS. */
    stopExecution: number;
}

/** Faults at every action, often enough that 500 sagas meet each kind many times; 0.4 is the original's. */
export const DEFAULT_RATES: FaultRates = { failBeforeWrite: 0.1, failAfterWrite: 0.1, duplicateDelivery: 0.2, compensationFailureRate: 0.4, stopExecution: 0.1 };

/**
 * The chaos stack and its clock. Retries wait `retryIntervalMs`: a saga compensating through the
 * outage (3 compensations, each retried 3 times: 1.35 s of waits) runs past the 1-second time limit
 * (TIMED_OUT), and so does a saga slowed by many random failures or by a loaded machine; a repair
 * gives a compensation up after its horizon's 6 retries (60 seconds on AWS; 6 waits, 0.9 s, here):
 * a saga whose repair meets more of the outage than that goes to the needs-attention queue.
 */
export const CHAOS_STACK = { executionTimeoutSeconds: 1, repairHorizonSeconds: 60, retryIntervalMs: 150 } as const;

/** When the compensations fail without exception: from when `afterShare` of the sagas have started, for `lastsMs`. */
export interface Outage {
    afterShare: number;
    lastsMs: number;
}

export const DEFAULT_OUTAGE: Outage = { afterShare: 0.25, lastsMs: 2500 };

/** A stopped saga is stopped within this long of its start. */
const STOP_WITHIN_MS = 300;

export interface ChaosOptions {
    sagas: number;
    seed: number;
    concurrency: number;
    rates?: FaultRates;
    outage?: Outage;
    /** Called as sagas end, with how many have. */
    onProgress?(done: number): void;
    /** Kill the cloud after every `killEvery` sagas started, and start it again on its data folder. */
    killEvery?: number;
    /** How it is killed: SIGKILL (a crash; default) or SIGTERM (a stop, with its grace period). */
    killSignal?: KillSignal;
}

export interface ChaosReport {
    sagas: number;
    seed: number;
    concurrency: number;
    rates: FaultRates;
    outage: Outage;
    faults: FaultCounts;
    /** Executions the run stopped while they ran (StopExecution found them running). */
    stopped: number;
    /** When the outage was, from the start of the sagas. */
    outageWindowMs: { from: number; to: number };
    check: ChaosCheck;
    /** Sagas the API did not accept, or that did not end in time (the checks show them too). */
    driveErrors: string[];
    /** With killEvery: the restarts and what they resumed. */
    restarts?: RestartFigures;
    timings: { bootMs: number; sagasMs: number; settleMs: number; checkMs: number };
}

/** The cloud a run drives: in this process, or in its own, killed and restarted as the run goes. */
interface ChaosCloud {
    /** Starts a saga and follows it to its outcome, stopping it `stopAfterMs` after its start if given; throws when it cannot. Answers whether it stopped it. */
    drive(tripId: string, stopAfterMs?: number): Promise<boolean>;
    /** Resolves when every execution and repair has ended and every late duplicate has been delivered. */
    settle(): Promise<void>;
    setCompensationFailureRate(rate: number): Promise<void>;
    evidenceSources(): EvidenceSources;
    restarts?: RestartFigures;
    stop(): Promise<void>;
}

/** The latest a late duplicate arrives; also how long the run waits for them at most (x50). */
const MAX_DUPLICATE_DELAY_MS = 200;
const SAGA_TIMEOUT_MS = 120_000;
/** How long the run waits at most for every repair to end. */
const SETTLE_TIMEOUT_MS = 300_000;

/** The saga ids of a run: fixed by the seed, so a run can be repeated saga by saga. */
export const chaosTripId = (seed: number, i: number) => `chaos-${seed}-${String(i).padStart(5, "0")}`;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
    const rates = options.rates ?? DEFAULT_RATES;
    const outage = options.outage ?? DEFAULT_OUTAGE;
    const chaos: SagaChaosOptions = {
        seed: options.seed,
        failBeforeWrite: rates.failBeforeWrite,
        failAfterWrite: rates.failAfterWrite,
        duplicateDelivery: rates.duplicateDelivery,
        maxDuplicateDelayMs: MAX_DUPLICATE_DELAY_MS,
    };
    const faults = new FaultCounter();
    const config = {
        "saga:chaos": JSON.stringify(chaos),
        "saga:compensationFailureRate": String(rates.compensationFailureRate),
        "saga:executionTimeoutSeconds": String(CHAOS_STACK.executionTimeoutSeconds),
        "saga:repairHorizonSeconds": String(CHAOS_STACK.repairHorizonSeconds),
    };
    let mark = Date.now();
    const lap = () => -mark + (mark = Date.now());
    const cloud = options.killEvery
        ? await restartingCloud(config, faults, options.killEvery, options.killSignal ?? "SIGKILL")
        : await cloudInThisProcess(config, faults);
    try {
        const bootMs = lap();
        const tripIds = Array.from({ length: options.sagas }, (_, i) => chaosTripId(options.seed, i));
        const driveErrors: string[] = [];
        const outageAt = Math.floor(options.sagas * outage.afterShare);
        let outageEnded: Promise<{ from: number; to: number }> | undefined;
        let stopped = 0;
        await runPool(
            tripIds.length,
            options.concurrency,
            async (i) => {
                if (i === outageAt) outageEnded = runOutage(cloud, outage, rates.compensationFailureRate, mark);
                // Seeded: the same sagas are stopped, at the same moment of their run, on every run of a seed.
                const [stop, when] = seededDraws(options.seed, "stopExecution", tripIds[i], 1);
                try {
                    if (await cloud.drive(tripIds[i], stop < rates.stopExecution ? when * STOP_WITHIN_MS : undefined)) stopped += 1;
                } catch (error) {
                    driveErrors.push(`${tripIds[i]}: ${(error as Error).message}`);
                }
            },
            options.onProgress,
        );
        const outageWindowMs = (await outageEnded) ?? { from: 0, to: 0 };
        const sagasMs = lap();
        await cloud.settle();
        const settleMs = lap();
        const evidence = await gatherEvidence(cloud.evidenceSources(), tripIds);
        const check = checkInvariants(evidence, TRAVEL_MODEL, { repairAttempts: repairAttempts(CHAOS_STACK.repairHorizonSeconds) + 1 });
        const checkMs = lap();
        const { sagas, seed, concurrency } = options;
        return {
            sagas,
            seed,
            concurrency,
            rates,
            outage,
            faults: faults.counts(),
            stopped,
            outageWindowMs,
            check,
            driveErrors,
            ...(cloud.restarts ? { restarts: cloud.restarts } : {}),
            timings: { bootMs, sagasMs, settleMs, checkMs },
        };
    } finally {
        await cloud.stop();
    }
}

/** The outage: every compensation fails from now for `lastsMs`, then at the stack's rate again. Answers when it was. */
async function runOutage(cloud: ChaosCloud, outage: Outage, baseRate: number, since: number): Promise<{ from: number; to: number }> {
    const from = Date.now() - since;
    await cloud.setCompensationFailureRate(1);
    await new Promise((resolve) => setTimeout(resolve, outage.lastsMs));
    await cloud.setCompensationFailureRate(baseRate);
    return { from, to: Date.now() - since };
}

async function cloudInThisProcess(config: Record<string, string>, faults: FaultCounter): Promise<ChaosCloud> {
    const booted = await bootCloud({
        log: () => undefined,
        onFunctionLog: (name, line) => faults.observe(name, line),
        functionLogLevel: "warn",
        config,
        retryIntervalMs: CHAOS_STACK.retryIntervalMs,
    });
    const { outputs, settings } = booted.cloud;
    return {
        async drive(tripId, stopAfterMs) {
            const started = await booted.client.start({ tripID: tripId });
            if (started.status !== 202) throw new Error(`the start request answered ${started.status}: ${JSON.stringify(started.body)}`);
            const stopping =
                stopAfterMs !== undefined &&
                new Promise((resolve) => setTimeout(resolve, stopAfterMs)).then(() =>
                    stopIfRunning((operation, request) => booted.client.stepFunctions(operation, request), started.body.executionArn),
                );
            await booted.client.outcome(tripId, SAGA_TIMEOUT_MS);
            return stopping;
        },
        async settle() {
            await booted.cloud.idle();
            await faults.lateDuplicatesDelivered(MAX_DUPLICATE_DELAY_MS * 50);
        },
        async setCompensationFailureRate(rate) {
            const { status, body } = await booted.client.setCompensationFailureRate(rate);
            if (status !== 200) throw new Error(`PUT /_local/faults answered ${status}: ${JSON.stringify(body)}`);
        },
        evidenceSources: () => evidenceSources(booted.cloud.url, settings.config["aws:region"] ?? "us-east-1", outputs, booted.client),
        stop: async () => void (await booted.cloud.stop()),
    };
}

async function restartingCloud(config: Record<string, string>, faults: FaultCounter, every: number, signal: KillSignal): Promise<ChaosCloud> {
    const cloud = await RestartingCloud.start({ config, faults, every, signal, retryIntervalMs: CHAOS_STACK.retryIntervalMs });
    return {
        drive: (tripId, stopAfterMs) => cloud.drive(tripId, SAGA_TIMEOUT_MS, stopAfterMs),
        async settle() {
            await cloud.settle(SETTLE_TIMEOUT_MS);
            await faults.lateDuplicatesDelivered(MAX_DUPLICATE_DELAY_MS * 50);
        },
        setCompensationFailureRate: (rate) => cloud.setCompensationFailureRate(rate),
        evidenceSources: () => cloud.evidenceSources(),
        restarts: cloud.figures,
        stop: () => cloud.stop(),
    };
}

/** Whether a run found nothing wrong: no invariant violated, every saga driven to its end. */
export function passed(report: ChaosReport): boolean {
    return report.driveErrors.length === 0 && report.check.invariants.every((invariant) => invariant.violations.length === 0);
}
