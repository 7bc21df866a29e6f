// The report's tables, one per section, from the figures the sections measure.
import type { BundleFigure } from "./bundles";
import type { CompensationFailureCost, CompensationFailureOptions } from "./compensation-failures";
import { SERVICES } from "./bill";
import type { PathCost } from "./cost";
import type { LocalThroughput } from "./local-throughput";
import type { RepairCost } from "./repairs";
import type { ScaleFigure } from "./scale";
import { round } from "./stats";
import { formatTable } from "./table";

const percent = (share: number) => `${round(share * 100)}%`;
const dollars = (value: number) => `$${value.toFixed(2)}`;

export function bundlesTable(bundles: BundleFigure[]): string {
    return formatTable(
        "Lambda bundles (as deployed; the AWS SDK comes from the runtime)",
        ["module", "bytes", "gzip bytes", "cold import ms (median of 5)"],
        bundles.map((b) => [b.module, b.bytes, b.gzipBytes, round(b.coldImportMs)]),
    );
}

export function scaleTable(scale: ScaleFigure[]): string {
    return formatTable(
        "Program scale (building the stack under Pulumi mocks, one fresh process per size)",
        ["steps", "resources", "build ms", "heap MB", "ms per step"],
        scale.map((s) => [s.steps, s.resources, round(s.buildMs), round(s.heapMB), round(s.buildMs / s.steps)]),
    );
}

export function pathCostTable(costs: PathCost[]): string {
    return formatTable(
        `Cost per saga path (per saga over ${costs[0]?.runs} runs on the local cloud; transitions as billed: states entered, retries included; ` +
            "$ at us-east-1 list prices)",
        ["path", "original states", "transitions", "ratio", "Lambda requests", "DynamoDB reads", "DynamoDB writes", "$ per 1M sagas"],
        costs.map((c) => [
            c.path,
            c.originalStatesEntered,
            round(c.stateTransitions, 2),
            round(c.ratioToOriginal, 2),
            round(c.lambdaInvocations, 2),
            round(c.dynamoDbReads, 2),
            round(c.dynamoDbWrites, 2),
            dollars(c.dollarsPerMillion),
        ]),
    );
}

/** The whole bill of each path and workflow type, by service, beside the original's. */
export function billTable(costs: PathCost[]): string {
    const cents = (value: number) => `$${value.toFixed(3)}`;
    return formatTable(
        `The whole bill per million sagas (us-east-1 list prices; counted on the local cloud, ${costs[0]?.runs} runs per path)`,
        ["path", "type", ...SERVICES, "whole bill", "original's", "original / this"],
        costs.map((c) => [
            c.path,
            c.workflowType,
            ...SERVICES.map((service) => cents(c.billByService[service])),
            dollars(c.billPerMillion),
            dollars(c.originalBillPerMillion),
            `${round(c.billRatioToOriginal, 2)}x`,
        ]),
    );
}

export function repairCostTable(costs: RepairCost[]): string {
    return formatTable(
        `What a repair costs (per saga over ${costs[0]?.runs} runs; the saga's own execution, then its repair; $ at us-east-1 list prices)`,
        ["path", "transitions", "of the saga", "of the repair", "repair retries", "Lambda requests", "DynamoDB reads", "DynamoDB writes", "$ per 1M sagas"],
        costs.map((c) => [
            c.path,
            round(c.stateTransitions, 2),
            round(c.sagaTransitions, 2),
            round(c.repairTransitions, 2),
            round(c.repairRetries, 2),
            round(c.lambdaInvocations, 2),
            round(c.dynamoDbReads, 2),
            round(c.dynamoDbWrites, 2),
            dollars(c.dollarsPerMillion),
        ]),
    );
}

export function compensationFailureTable(figures: CompensationFailureCost[], options: CompensationFailureOptions): string {
    return formatTable(
        `With random compensation failures (rate ${options.rate}, ${options.runs} sagas per path, seed ${options.seed}): ` +
            "means per saga, measured and as the retry policy predicts",
        ["path", "compensations", "transitions", "extra transitions", "expected", "extra Lambda requests", "expected", "compensation failed", "expected", "$ per 1M sagas"],
        figures.map((f) => [
            f.path,
            round(f.compensations, 2),
            round(f.meanStateTransitions, 2),
            round(f.meanExtraTransitions, 2),
            round(f.expectedExtraTransitions, 2),
            round(f.meanExtraLambdaInvocations, 2),
            round(f.expectedExtraLambdaInvocations, 2),
            percent(f.compensationFailedShare),
            percent(f.expectedCompensationFailedShare),
            dollars(f.dollarsPerMillion),
        ]),
    );
}

export function throughputTables(throughput: LocalThroughput): string {
    const requests = (perSaga: Record<string, number>) =>
        Object.entries(perSaga)
            .map(([operation, count]) => `${operation} ${round(count, 2)}`)
            .join(", ");
    const figures = formatTable(
        `Local throughput and latency (${throughput.figures[0]?.sagas} successful sagas per row; latency: start request sent -> execution ended)`,
        ["workload", "concurrency", "sagas/s", "p50 ms", "p95 ms", "p99 ms", "status polls/saga", "DynamoDB requests/saga"],
        throughput.figures.map((f) => [
            f.workload,
            f.concurrency,
            round(f.sagasPerSecond),
            round(f.p50Ms),
            round(f.p95Ms),
            round(f.p99Ms),
            f.statusPollsPerSaga === undefined ? "-" : round(f.statusPollsPerSaga, 2),
            requests(f.dynamoDbPerSaga),
        ]),
    );
    const ratios = formatTable(
        "Saga machinery vs storage floor (same run, same store)",
        ["concurrency", "floor sagas/s / saga sagas/s", "saga p50 / floor p50"],
        throughput.ratios.map((r) => [r.concurrency, `${round(r.throughputFloorOverSaga)}x`, `${round(r.p50SagaOverFloor)}x`]),
    );
    return `${figures}\n\n${ratios}`;
}
