// The local cloud as the benchmarks drive it: the real program (index.ts) deployed in this
// process, quiet, reached over HTTP as a user reaches it.
import { LocalCloudOptions } from "../local/cloud";
import type { MetricsSnapshot } from "../local/metrics";
import { bootCloud, Booted } from "../local/client";

/**
 * Runs `body` against a fresh local cloud, its functions already started (the figures are of warm
 * functions, not of cold starts), then stops it. Unlike the tests' default, retries keep the
 * definition's intervals unless `retryIntervalMs` says otherwise.
 */
export async function withLocalCloud<T>(options: LocalCloudOptions, body: (booted: Booted) => Promise<T>): Promise<T> {
    const booted = await bootCloud({ retryIntervalMs: undefined, log: () => undefined, ...options });
    try {
        await booted.cloud.loadFunctions();
        return await body(booted);
    } finally {
        await booted.cloud.stop();
    }
}

/** Starts one saga over HTTP (the API's start route) and checks that it was accepted. */
export async function startSaga(booted: Booted, tripId: string, runType?: string): Promise<void> {
    const { status, body } = await booted.client.start({ tripID: tripId, ...(runType ? { runType } : {}) });
    if (status !== 202) throw new Error(`Starting the saga ${tripId} answered ${status}: ${JSON.stringify(body)}`);
}

/**
 * Runs `count` sagas, each started over HTTP and awaited to its end (in process, so the cost of
 * watching it is not counted), and answers what the cloud's services did for them, in total.
 */
export async function costOfSagas(booted: Booted, count: number, tripId: (i: number) => string, runType?: string): Promise<MetricsSnapshot> {
    booted.cloud.resetMetrics();
    for (let i = 0; i < count; i++) {
        await startSaga(booted, tripId(i), runType);
        await booted.cloud.idle();
    }
    return booted.cloud.metrics();
}

/** Calls `report(done)` at every tenth of `count`, for progress lines on long runs. */
export function everyTenth(count: number, report: (done: number) => void): (done: number) => void {
    const step = Math.max(1, Math.ceil(count / 10));
    return (done) => {
        if (done % step === 0 || done === count) report(done);
    };
}
