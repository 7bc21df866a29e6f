// What `npm run bench` writes to bench/results.json for each entry of `pathCosts`, from what the
// local cloud counted (a MetricsSnapshot, built by hand here so that the bill is checked by hand).
import * as assert from "node:assert/strict";
import { GB, SERVICES } from "../bench/bill";
import { LAMBDA_PLATFORM_LOG_BYTES, pathCostOf } from "../bench/cost";
import type { MetricsSnapshot } from "../local/metrics";

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} != ${expected}`);

/** Two sagas: 2 API requests, a start function (2 requests, 20 ms billed) and a step function (10 requests, 200 ms), 256 MB arm64, 6 puts, 4 updates, 2 queries. */
function counted(machine: MetricsSnapshot["stepFunctions"]["byStateMachine"][string], logBytes = 0): MetricsSnapshot {
    const durations = {
        start: { memoryMb: 256, architecture: "arm64" as const, requests: 2, durationMs: 15.5, billedDurationMs: 20 },
        step: { memoryMb: 256, architecture: "arm64" as const, requests: 10, durationMs: 190.2, billedDurationMs: 200 },
    };
    return {
        since: new Date(0).toISOString(),
        apiGateway: { requests: 2 },
        lambda: { invocations: 12, byFunction: { start: 2, step: 10 }, durations, logBytes: 0 },
        logs: { bytesIngested: logBytes, byGroup: logBytes ? { "/aws/vendedlogs/states/m": logBytes } : {} },
        dynamodb: { requests: 12, byOperation: { PutItem: 6, UpdateItem: 4, Query: 2 } },
        stepFunctions: { executionsStarted: 2, statesEntered: machine.statesEntered, retries: 0, stateTransitions: machine.stateTransitions, byStateMachine: { m: machine } },
    };
}

const standardMachine = { executionsStarted: 2, statesEntered: 12, retries: 0, stateTransitions: 12, byState: {} };
const expressMachine = { ...standardMachine, statesEntered: 16, stateTransitions: 16, express: { executionsClosed: 2, durationMs: 510, billedDurationMs: 600 } };

// Per saga, by hand: 1 REST request; 6 Lambda requests and 110 ms billed; 5 writes and 1 read; the
// log bytes are Lambda's own lines for 6 requests (and, on EXPRESS, half of 8192 bytes of events).
const api = 3.5;
const lambdaRequests = 6 * 0.2;
const dynamoDb = 5 * 0.625 + 1 * 0.125;
const logs = (bytes: number) => (bytes / GB) * 0.5 * 1e6;
const ours = { lambda: lambdaRequests + 0.25 * 0.11 * 0.0000133334 * 1e6, logs: logs(6 * LAMBDA_PLATFORM_LOG_BYTES) };
// The original: the same requests, its functions at 128 MB x86_64, 6 transitions, no machine logs.
const original = api + lambdaRequests + 0.125 * 0.11 * 0.0000166667 * 1e6 + dynamoDb + 150 + logs(6 * LAMBDA_PLATFORM_LOG_BYTES);

describe("bench results.json: the whole bill of each path", () => {
    it("prices a STANDARD success path by service, beside the original's", () => {
        const cost = pathCostOf("success", "STANDARD", 2, counted(standardMachine));
        close(cost.billByService.apiGateway, api);
        close(cost.billByService.lambda, ours.lambda);
        close(cost.billByService.dynamoDb, dynamoDb);
        close(cost.billByService.stepFunctions, 150); // 6 transitions
        close(cost.billByService.cloudWatchLogs, ours.logs);
        close(cost.billByService.sqs, 0);
        close(cost.billPerMillion, api + ours.lambda + dynamoDb + 150 + ours.logs);
        close(cost.originalBillPerMillion, original);
        close(cost.billRatioToOriginal, original / cost.billPerMillion);
    });

    it("prices an EXPRESS path from its executions and billed durations, its logs, and the STANDARD run's original", () => {
        const standard = pathCostOf("success", "STANDARD", 2, counted(standardMachine));
        const cost = pathCostOf("success", "EXPRESS", 2, counted(expressMachine, 8192), standard.usage);
        // 1 request ($1.00) and 300 ms at 64 MB: 0.0625 GB x 0.3 s x $0.00001667 per GB-s; no transitions billed.
        close(cost.billByService.stepFunctions, 1 + 0.0625 * 0.3 * 0.00001667 * 1e6);
        close(cost.billByService.cloudWatchLogs, logs(4096 + 6 * LAMBDA_PLATFORM_LOG_BYTES));
        close(cost.originalBillPerMillion, original);
        close(cost.billRatioToOriginal, original / cost.billPerMillion);
        assert.throws(() => pathCostOf("success", "EXPRESS", 2, counted(expressMachine)), /priced from the STANDARD run's usage: none was given/);
    });

    it("writes workflowType, billPerMillion, billByService (every service) and billRatioToOriginal in each entry", () => {
        const standard = pathCostOf("failPayment", "STANDARD", 2, counted(standardMachine));
        for (const cost of [standard, pathCostOf("failPayment", "EXPRESS", 2, counted(expressMachine, 100), standard.usage)]) {
            const entry = JSON.parse(JSON.stringify(cost)) as Record<string, unknown>;
            assert.ok(["STANDARD", "EXPRESS"].includes(entry.workflowType as string));
            for (const field of ["billPerMillion", "originalBillPerMillion", "billRatioToOriginal"]) assert.equal(typeof entry[field], "number", field);
            assert.deepEqual(Object.keys(entry.billByService as object), [...SERVICES]);
            assert.ok(Object.values(entry.billByService as object).every((dollars) => Number.isFinite(dollars) && dollars >= 0));
            close(Object.values(entry.billByService as Record<string, number>).reduce((sum, dollars) => sum + dollars, 0), entry.billPerMillion as number);
        }
        // failPayment: the original enters 7 states there.
        close(standard.originalBillByService.stepFunctions, 175);
    });
});
