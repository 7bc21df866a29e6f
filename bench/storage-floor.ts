// The floor under a saga's latency and throughput: the DynamoDB requests one booking makes, with
// nothing else. It runs the travel handlers' own code in this process, in the saga's order
// (reserve hotel, flight, payment; confirm hotel, flight), so the requests are the saga's own
// (3 conditional puts, 2 conditional updates, same SDK, same items), sent to the same store
// through the same port, one after the other as the saga sends them; but with no API Gateway,
// Lambda or Step Functions in between. Saga figures divided by these show what the machinery costs.
import { Env } from "../components/model/conventions";
import { demoTrip } from "../handlers/travel/trip";
import type { Booted } from "../local/client";
import { OPERATOR_CREDENTIALS } from "../local/iam/operator";
import { LatencyFigure, measureLatencies } from "./throughput";

type Handler = (event: unknown) => Promise<unknown>;

/**
 * The handlers of a successful booking, in order. Imported only once the environment points at
 * the store: their DynamoDB client is created when the module loads, as on Lambda.
 */
async function bookingHandlers(booted: Booted): Promise<Handler[]> {
    // This process stands in for the functions: the same environment, the same table (signing as the operator).
    Object.assign(process.env, booted.cloud.functionEnvironment, {
        [Env.tableName]: String(booted.cloud.outputs.tableName),
        AWS_ACCESS_KEY_ID: OPERATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: OPERATOR_CREDENTIALS.secretAccessKey,
    });
    const [hotel, flight, payment] = await Promise.all([
        import("../handlers/travel/hotel"),
        import("../handlers/travel/flight"),
        import("../handlers/travel/payment"),
    ]);
    return [hotel.reserve, flight.reserve, payment.take, hotel.confirm, flight.confirm];
}

/** `sagas` bookings' worth of DynamoDB requests, `concurrency` bookings at a time. */
export async function measureStorageFloor(booted: Booted, sagas: number, concurrency: number, prefix: string): Promise<LatencyFigure> {
    const handlers = await bookingHandlers(booted);
    return measureLatencies(booted, "storage floor", sagas, concurrency, async (i) => {
        const event = demoTrip(`${prefix}-${i}`);
        const started = process.hrtime.bigint();
        for (const handler of handlers) await handler(event);
        return Number(process.hrtime.bigint() - started) / 1e6;
    });
}
