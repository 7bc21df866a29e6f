// Local throughput and latency, measured in one run on one local cloud: whole sagas over HTTP and
// the storage floor under them (storage-floor.ts), at each concurrency, and how far apart they are.
import { withLocalCloud } from "./local-cloud";
import { measureStorageFloor } from "./storage-floor";
import { LatencyFigure, measureSagasOverHttp } from "./throughput";

export interface FloorRatio {
    concurrency: number;
    /** Floor sagas per second / sagas per second over HTTP. */
    throughputFloorOverSaga: number;
    /** Saga p50 latency / floor p50 latency. */
    p50SagaOverFloor: number;
}

export interface LocalThroughput {
    figures: LatencyFigure[];
    ratios: FloorRatio[];
}

// Enough to load and compile every code path (functions, engine, SDK clients) before measuring.
const WARM_UP_SAGAS = 30;

export async function measureLocalThroughput(sagas: number, concurrencies: number[]): Promise<LocalThroughput> {
    // The cloud's defaults: the success path has no retries to wait for anyway.
    return withLocalCloud({}, async (booted) => {
        const warmUpConcurrency = Math.max(...concurrencies);
        await measureSagasOverHttp(booted, WARM_UP_SAGAS, warmUpConcurrency, "warm-up-saga");
        await measureStorageFloor(booted, WARM_UP_SAGAS, warmUpConcurrency, "warm-up-floor");
        const figures: LatencyFigure[] = [];
        const ratios: FloorRatio[] = [];
        for (const concurrency of concurrencies) {
            const saga = await measureSagasOverHttp(booted, sagas, concurrency, `saga-c${concurrency}`);
            const floor = await measureStorageFloor(booted, sagas, concurrency, `floor-c${concurrency}`);
            figures.push(saga, floor);
            ratios.push({
                concurrency,
                throughputFloorOverSaga: floor.sagasPerSecond / saga.sagasPerSecond,
                p50SagaOverFloor: saga.p50Ms / floor.p50Ms,
            });
        }
        return { figures, ratios };
    });
}
