// One chaos run: the real program (index.ts) on a fresh local cloud whose stack config turns chaos
// on (saga:chaos, saga:compensationFailureRate), N sagas started and followed over HTTP as a user
// would (the API's start route, then its status route), then, once every execution, retry and
// late duplicate has settled, the invariants checked over the whole table, every execution's
// history and the failure queue. With `killEvery`, the cloud runs in a process of its own with a
// data folder and is killed and started again as the sagas go (restarts.ts).
import type { SagaChaosOptions } from "../components/model/args";
import { bootCloud, runPool, SagaClient } from "../local/client";
import { EvidenceSources, gatherEvidence } from "./evidence";
import { FaultCounter, FaultCounts } from "./faults";
import { ChaosCheck, checkInvariants } from "./invariants";
import { TRAVEL_MODEL } from "./model";
import { KillSignal, RestartFigures, RestartingCloud } from "./restarts";

export interface FaultRates {
    failBeforeWrite: number;
    failAfterWrite: number;
    duplicateDelivery: number;
    /** The original's random compensation failures (saga:compensationFailureRate). */
    compensationFailureRate: number;
}

/** Faults at every action, often enough that 500 sagas meet each kind many times; 0.4 is the original's. */
export const DEFAULT_RATES: FaultRates = { failBeforeWrite: 0.1, failAfterWrite: 0.1, duplicateDelivery: 0.2, compensationFailureRate: 0.4 };

export interface ChaosOptions {
    sagas: number;
    seed: number;
    concurrency: number;
    rates?: FaultRates;
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
    faults: FaultCounts;
    check: ChaosCheck;
    /** Sagas the API did not accept, or that did not end in time (the checks show them too). */
    driveErrors: string[];
    /** With killEvery: the restarts and what they resumed. */
    restarts?: RestartFigures;
    timings: { bootMs: number; sagasMs: number; settleMs: number; checkMs: number };
}

/** The cloud a run drives: in this process, or in its own, killed and restarted as the run goes. */
interface ChaosCloud {
    /** Starts a saga and follows it to its outcome; throws when it cannot. */
    drive(tripId: string): Promise<void>;
    /** Resolves when every execution has ended and every late duplicate has been delivered. */
    settle(): Promise<void>;
    evidenceSources(): EvidenceSources;
    restarts?: RestartFigures;
    stop(): Promise<void>;
}

/** The latest a late duplicate arrives; also how long the run waits for them at most (x50). */
const MAX_DUPLICATE_DELAY_MS = 200;
const SAGA_TIMEOUT_MS = 120_000;

/** The saga ids of a run: fixed by the seed, so a run can be repeated saga by saga. */
export const chaosTripId = (seed: number, i: number) => `chaos-${seed}-${String(i).padStart(5, "0")}`;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
    const rates = options.rates ?? DEFAULT_RATES;
    const chaos: SagaChaosOptions = {
        seed: options.seed,
        failBeforeWrite: rates.failBeforeWrite,
        failAfterWrite: rates.failAfterWrite,
        duplicateDelivery: rates.duplicateDelivery,
        maxDuplicateDelayMs: MAX_DUPLICATE_DELAY_MS,
    };
    const faults = new FaultCounter();
    const config = { "saga:chaos": JSON.stringify(chaos), "saga:compensationFailureRate": String(rates.compensationFailureRate) };
    let mark = Date.now();
    const lap = () => -mark + (mark = Date.now());
    const cloud = options.killEvery
        ? await restartingCloud(config, faults, options.killEvery, options.killSignal ?? "SIGKILL")
        : await cloudInThisProcess(config, faults);
    try {
        const bootMs = lap();
        const tripIds = Array.from({ length: options.sagas }, (_, i) => chaosTripId(options.seed, i));
        const driveErrors: string[] = [];
        await runPool(
            tripIds.length,
            options.concurrency,
            async (i) => {
                try {
                    await cloud.drive(tripIds[i]);
                } catch (error) {
                    driveErrors.push(`${tripIds[i]}: ${(error as Error).message}`);
                }
            },
            options.onProgress,
        );
        const sagasMs = lap();
        await cloud.settle();
        const settleMs = lap();
        const evidence = await gatherEvidence(cloud.evidenceSources(), tripIds);
        const check = checkInvariants(evidence, TRAVEL_MODEL);
        const checkMs = lap();
        const { sagas, seed, concurrency } = options;
        return {
            sagas,
            seed,
            concurrency,
            rates,
            faults: faults.counts(),
            check,
            driveErrors,
            ...(cloud.restarts ? { restarts: cloud.restarts } : {}),
            timings: { bootMs, sagasMs, settleMs, checkMs },
        };
    } finally {
        await cloud.stop();
    }
}

async function cloudInThisProcess(config: Record<string, string>, faults: FaultCounter): Promise<ChaosCloud> {
    const booted = await bootCloud({ log: () => undefined, onFunctionLog: (name, line) => faults.observe(name, line), functionLogLevel: "warn", config });
    const { outputs, settings } = booted.cloud;
    return {
        async drive(tripId) {
            const started = await booted.client.start({ tripID: tripId });
            if (started.status !== 202) throw new Error(`the start request answered ${started.status}: ${JSON.stringify(started.body)}`);
            await booted.client.outcome(tripId, SAGA_TIMEOUT_MS);
        },
        async settle() {
            await booted.cloud.idle();
            await faults.lateDuplicatesDelivered(MAX_DUPLICATE_DELAY_MS * 50);
        },
        evidenceSources: () => sources(booted.cloud.url, settings.config["aws:region"] ?? "us-east-1", outputs, booted.client),
        stop: async () => void (await booted.cloud.stop()),
    };
}

async function restartingCloud(config: Record<string, string>, faults: FaultCounter, every: number, signal: KillSignal): Promise<ChaosCloud> {
    const cloud = await RestartingCloud.start({ config, faults, every, signal });
    return {
        drive: (tripId) => cloud.drive(tripId, SAGA_TIMEOUT_MS),
        async settle() {
            await cloud.settle(SAGA_TIMEOUT_MS);
            await faults.lateDuplicatesDelivered(MAX_DUPLICATE_DELAY_MS * 50);
        },
        evidenceSources: () => cloud.evidenceSources(),
        restarts: cloud.figures,
        stop: () => cloud.stop(),
    };
}

function sources(url: string, region: string, outputs: Record<string, unknown>, client: SagaClient): EvidenceSources {
    return { url, region, tableName: String(outputs.tableName), stateMachineArn: String(outputs.stateMachineArn), client };
}

/** Whether a run found nothing wrong: no invariant violated, every saga driven to its end. */
export function passed(report: ChaosReport): boolean {
    return report.driveErrors.length === 0 && report.check.invariants.every((invariant) => invariant.violations.length === 0);
}
