// Local throughput and latency of whole sagas, as a user sees them: bookings over HTTP against the
// local run, `concurrency` clients at a time, each starting a saga (GET /v1/?tripID=...) and
// asking the status route (GET /v1/trips/{id}) until it reports the outcome, then starting the next.
//
// A saga's latency runs from the moment its start request is sent to the execution's stopDate,
// which the status route reports: how often the client asks does not change it. To keep the asking
// cheap (each status request is a Lambda request, a Query and a DescribeExecution), a client waits
// about as long as recent sagas took before it first asks, then asks every 5 ms.
import { runPool, type Booted, type StatusReport } from "../local/client";
import { everyTenth, startSaga } from "./local-cloud";
import { dividedBy, percentile } from "./stats";
import { progress } from "./table";

export interface LatencyFigure {
    workload: string;
    concurrency: number;
    sagas: number;
    seconds: number;
    sagasPerSecond: number;
    p50Ms: number;
    p95Ms: number;
    p99Ms: number;
    /** DynamoDB requests per saga, by operation, counted at the store. */
    dynamoDbPerSaga: Record<string, number>;
    /** Status requests per saga (sagas over HTTP only). */
    statusPollsPerSaga?: number;
}

const POLL_INTERVAL_MS = 5;
const GIVE_UP_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `sagas` units of work `concurrency` at a time; each answers its latency in ms. */
export async function measureLatencies(
    booted: Booted,
    workload: string,
    sagas: number,
    concurrency: number,
    unit: (i: number) => Promise<number>,
): Promise<Omit<LatencyFigure, "statusPollsPerSaga">> {
    const latencies: number[] = [];
    booted.cloud.resetMetrics();
    const started = process.hrtime.bigint();
    const report = everyTenth(sagas, (done) => progress(`${workload}, concurrency ${concurrency}: ${done} of ${sagas}`));
    await runPool(sagas, concurrency, async (i) => void latencies.push(await unit(i)), report);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
        workload,
        concurrency,
        sagas,
        seconds,
        sagasPerSecond: sagas / seconds,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
        p99Ms: percentile(latencies, 99),
        dynamoDbPerSaga: dividedBy(booted.cloud.metrics().dynamodb.byOperation, sagas),
    };
}

/** `sagas` successful bookings over HTTP, `concurrency` at a time; `prefix` keeps trip ids unique. */
export async function measureSagasOverHttp(booted: Booted, sagas: number, concurrency: number, prefix: string): Promise<LatencyFigure> {
    const recent: number[] = [];
    let polls = 0;
    const figure = await measureLatencies(booted, "saga over HTTP", sagas, concurrency, async (i) => {
        const tripId = `${prefix}-${i}`;
        const sentAt = Date.now();
        await startSaga(booted, tripId);
        // First ask a little before a typical saga of this run would end.
        await sleep(0.8 * (percentile(recent.slice(-20), 50) || 0));
        const report = await awaitOutcome(booted, tripId, () => polls++);
        if (report.outcome !== "succeeded") throw new Error(`The saga ${tripId} ended ${report.outcome}: ${JSON.stringify(report.error)}`);
        const latency = Date.parse(report.stopDate) - sentAt;
        recent.push(latency);
        return latency;
    });
    return { ...figure, statusPollsPerSaga: polls / sagas };
}

async function awaitOutcome(booted: Booted, tripId: string, onPoll: () => void): Promise<StatusReport & { stopDate: string }> {
    const deadline = Date.now() + GIVE_UP_MS;
    for (;;) {
        onPoll();
        const { status, body } = await booted.client.status(tripId);
        if (status !== 200) throw new Error(`GET trips/${tripId} answered ${status}: ${JSON.stringify(body)}`);
        if (body.outcome !== "running") return body as StatusReport & { stopDate: string };
        if (Date.now() > deadline) throw new Error(`The saga ${tripId} was still running after ${GIVE_UP_MS} ms.`);
        await sleep(POLL_INTERVAL_MS);
    }
}
