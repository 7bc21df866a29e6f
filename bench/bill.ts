// The whole AWS bill of some work, from what it used: counts in, dollars per service out. Pure: no
// clock, no fs, no local cloud; the bench (cost.ts) measures the counts, this prices them.

/**
 * us-east-1 list prices in dollars, without free tiers. Step Functions, Lambda, API Gateway,
 * CloudWatch Logs and SQS: the services' pricing pages, as issue 19 quotes them (2026-12). DynamoDB
 * on-demand: the prices in effect since the cut of 2024-11-01 (looked up on 2026-12-08 at
 * aws.amazon.com/dynamodb/pricing/on-demand, as quoted by airbyte.com's pricing guide of 2025-07-21):
 * one write request unit writes up to 1 KB, one read request unit reads up to 4 KB strongly
 * consistent (or two eventually consistent reads); a transactional request takes twice the units.
 */
export const PRICES = {
    /** API Gateway REST API, per request (first 333 million a month). */
    apiGatewayRestRequest: 3.5 / 1_000_000,
    /** API Gateway HTTP API, per request of up to 512 KB (first 300 million a month). */
    apiGatewayHttpRequest: 1.0 / 1_000_000,
    lambdaRequest: 0.2 / 1_000_000,
    /** Lambda duration, per GB-second, by architecture (first tier). */
    lambdaGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
    dynamoDbWriteRequestUnit: 0.625 / 1_000_000,
    dynamoDbReadRequestUnit: 0.125 / 1_000_000,
    stepFunctionsStandardTransition: 0.025 / 1_000,
    stepFunctionsExpressRequest: 1.0 / 1_000_000,
    /** Per GB-second of an EXPRESS execution (first tier): memory in 64 MB steps, duration rounded up to 100 ms. */
    stepFunctionsExpressGbSecond: 0.00001667,
    /** CloudWatch Logs ingestion (standard class), per GB of uncompressed log events. */
    cloudWatchLogsIngestedGb: 0.5,
    /** SQS standard queue, per request (64 KB chunks). */
    sqsRequest: 0.4 / 1_000_000,
} as const;

export type Architecture = keyof typeof PRICES.lambdaGbSecond;
export const GB = 1024 ** 3;

/** What Lambda bills a function for: its requests and each one's duration (rounded up to 1 ms) at its memory. */
export interface LambdaUsage {
    requests: number;
    /** Billed milliseconds, added up over its requests. */
    billedDurationMs: number;
    memoryMb: number;
    architecture: Architecture;
}

/** What an EXPRESS machine is billed for: its executions (requests) and each one's duration, rounded up to 100 ms. */
export interface ExpressUsage {
    requests: number;
    /** Each execution's duration rounded up to 100 ms (at least 100), added up. */
    billedDurationMs: number;
    /** The memory an execution used, billed in 64 MB steps (at least one). */
    memoryMb: number;
}

/** Everything the bill is made of. Counts may be fractional (per-saga means). */
export interface Usage {
    apiGatewayRestRequests?: number;
    apiGatewayHttpRequests?: number;
    lambda?: LambdaUsage[];
    dynamoDbReadUnits?: number;
    dynamoDbWriteUnits?: number;
    stepFunctionsStandardTransitions?: number;
    express?: ExpressUsage[];
    /** Bytes ingested into CloudWatch Logs (uncompressed). */
    logBytes?: number;
    sqsRequests?: number;
}

export const SERVICES = ["apiGateway", "lambda", "dynamoDb", "stepFunctions", "cloudWatchLogs", "sqs"] as const;
export type Service = (typeof SERVICES)[number];
export type BillByService = Record<Service, number>;

export interface Bill {
    total: number;
    byService: BillByService;
}

/** The memory EXPRESS bills for `memoryMb`: whole 64 MB steps, at least one. */
export function expressBilledMemoryMb(memoryMb: number): number {
    return Math.max(1, Math.ceil(memoryMb / 64)) * 64;
}

/** What EXPRESS bills for one execution of `durationMs`: rounded up to 100 ms, at least 100. */
export function expressBilledDurationMs(durationMs: number): number {
    return Math.max(100, Math.ceil(durationMs / 100) * 100);
}

/** The dollars `usage` costs, by service. */
export function priceUsage(usage: Usage): Bill {
    for (const [name, value] of Object.entries(usage)) {
        if (typeof value === "number" && !(value >= 0)) throw new RangeError(`${name} must be a count of 0 or more, not ${value}.`);
    }
    const lambda = (usage.lambda ?? []).reduce((sum, fn) => {
        const price = PRICES.lambdaGbSecond[fn.architecture];
        if (price === undefined) throw new RangeError(`Lambda architecture must be x86_64 or arm64, not ${fn.architecture}.`);
        nonNegative("Lambda", fn);
        return sum + fn.requests * PRICES.lambdaRequest + (fn.memoryMb / 1024) * (fn.billedDurationMs / 1000) * price;
    }, 0);
    const express = (usage.express ?? []).reduce((sum, machine) => {
        nonNegative("EXPRESS", machine);
        const gbSeconds = (expressBilledMemoryMb(machine.memoryMb) / 1024) * (machine.billedDurationMs / 1000);
        return sum + machine.requests * PRICES.stepFunctionsExpressRequest + gbSeconds * PRICES.stepFunctionsExpressGbSecond;
    }, 0);
    const byService: BillByService = {
        apiGateway: (usage.apiGatewayRestRequests ?? 0) * PRICES.apiGatewayRestRequest + (usage.apiGatewayHttpRequests ?? 0) * PRICES.apiGatewayHttpRequest,
        lambda,
        dynamoDb: (usage.dynamoDbReadUnits ?? 0) * PRICES.dynamoDbReadRequestUnit + (usage.dynamoDbWriteUnits ?? 0) * PRICES.dynamoDbWriteRequestUnit,
        stepFunctions: (usage.stepFunctionsStandardTransitions ?? 0) * PRICES.stepFunctionsStandardTransition + express,
        cloudWatchLogs: ((usage.logBytes ?? 0) / GB) * PRICES.cloudWatchLogsIngestedGb,
        sqs: (usage.sqsRequests ?? 0) * PRICES.sqsRequest,
    };
    return { total: SERVICES.reduce((sum, service) => sum + byService[service], 0), byService };
}

/** A bill scaled to a million of the work it prices (a usage per saga -> dollars per million sagas). */
export function perMillion(bill: Bill): Bill {
    const byService = Object.fromEntries(SERVICES.map((service) => [service, bill.byService[service] * 1_000_000])) as BillByService;
    return { total: bill.total * 1_000_000, byService };
}

function nonNegative(what: string, counts: object): void {
    for (const [name, value] of Object.entries(counts)) {
        if (typeof value === "number" && !(value >= 0)) throw new RangeError(`${what} ${name} must be 0 or more, not ${value}.`);
    }
}
