// Cost per saga path: each path (success and every runType) run on the local cloud with the real
// program, and what the services did for it counted at the services (local/metrics.ts): Step
// Functions transitions as a STANDARD workflow is billed (states entered, retries included),
// Lambda requests (the start function and every step, retries included), DynamoDB requests.
// Beside them, the states the original design enters on the same path. Then the whole bill of each
// path (bill.ts), for each workflow type, beside the original design's, priced the same way.
import type { MetricsSnapshot } from "../local/metrics";
import { Bill, BillByService, LambdaUsage, perMillion, priceUsage, PRICES, Usage } from "./bill";
import { FixedStates, stateNameOf } from "../components/model/steps";
import { travelSteps } from "../handlers/travel/steps";
import { RUN_TYPES, RunType } from "../handlers/travel/trip";
import { costOfSagas, withLocalCloud } from "./local-cloud";
import { dividedBy } from "./stats";
import { progress } from "./table";

export type SagaPath = "success" | RunType;
export const SAGA_PATHS: SagaPath[] = ["success", ...RUN_TYPES];

/** States entered by the original design (the AWS sample's state machine) on each path. */
export const ORIGINAL_STATES_ENTERED: Record<SagaPath, number> = {
    success: 6,
    failHotelReservation: 3,
    failHotelConfirmation: 8,
    failFlightsReservation: 5,
    failFlightsConfirmation: 9,
    failPayment: 7,
};

// Billed as reads and writes; anything else (DescribeTable, ...) is not a request unit.
const READS = ["GetItem", "Query", "Scan", "BatchGetItem"];
const WRITES = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"];

export type WorkflowType = "STANDARD" | "EXPRESS";
export const WORKFLOW_TYPES: WorkflowType[] = ["STANDARD", "EXPRESS"];

/**
 * The lines Lambda itself writes to a function's log group at each request (START, END and REPORT,
 * or platform.start and platform.report in the JSON format), in bytes: about 280 with the request
 * id, version, durations and memory. The local functions do not write them; the bill adds them.
 */
export const LAMBDA_PLATFORM_LOG_BYTES = 280;

/**
 * The original design (the AWS sample): the same API (REST) and Lambda requests on each path, its
 * functions at Lambda's defaults (128 MB, x86_64), its STANDARD machine without logging, and the
 * states of ORIGINAL_STATES_ENTERED. Its own handlers' log lines are left out (in its favour).
 */
export const ORIGINAL_FUNCTIONS = { memoryMb: 128, architecture: "x86_64" } as const;

/** The memory an EXPRESS execution is billed at: the first 64 MB step (a saga's definition and state are far smaller). */
export const EXPRESS_MEMORY_MB = 64;

export interface SagaCost {
    /** Per saga, averaged over the runs. */
    stateTransitions: number;
    retries: number;
    lambdaInvocations: number;
    dynamoDbReads: number;
    dynamoDbWrites: number;
    /** Transitions of the compensation (cancel) states: how many compensations ran, with their retries. */
    compensationTransitions: number;
    /** Executions that ended in Compensation Failed. */
    compensationFailedShare: number;
    /**
     * Step Functions transitions, Lambda and DynamoDB requests at the list prices, per million sagas
     * (what the bench priced before the whole bill: PathCost.billPerMillion). Reads are strongly
     * consistent and items under 1 KB: one unit each.
     */
    dollarsPerMillion: number;
}

export interface PathCost extends SagaCost {
    path: SagaPath;
    workflowType: WorkflowType;
    /** What the services were used for, per saga (bill.ts prices it). */
    usage: Usage;
    /** The whole bill, per million sagas on this path, in dollars. */
    billPerMillion: number;
    billByService: BillByService;
    /** The original design's whole bill on this path, per million, priced the same way. */
    originalBillPerMillion: number;
    originalBillByService: BillByService;
    /** originalBillPerMillion / billPerMillion: how many times cheaper than the original. */
    billRatioToOriginal: number;
    runs: number;
    originalStatesEntered: number;
    /** stateTransitions / originalStatesEntered. */
    ratioToOriginal: number;
    dynamoDbByOperation: Record<string, number>;
}

const CANCEL_STATES = travelSteps.map((step) => stateNameOf(step, "cancel"));

/** What `runs` sagas cost, per saga. */
export function costPerSaga(metrics: MetricsSnapshot, runs: number): SagaCost {
    const ops = metrics.dynamodb.byOperation;
    const sum = (names: string[]) => names.reduce((total, name) => total + (ops[name] ?? 0), 0);
    const cost = {
        stateTransitions: metrics.stepFunctions.stateTransitions / runs,
        retries: metrics.stepFunctions.retries / runs,
        lambdaInvocations: metrics.lambda.invocations / runs,
        dynamoDbReads: sum(READS) / runs,
        dynamoDbWrites: sum(WRITES) / runs,
        // The copies that run after a failed compensation are named after the original state.
        compensationTransitions: transitionsWhere(metrics, (state) => CANCEL_STATES.some((cancel) => state.startsWith(cancel))) / runs,
        compensationFailedShare: transitionsWhere(metrics, (state) => state === FixedStates.compensationFailed) / runs,
    };
    const dollars =
        cost.stateTransitions * PRICES.stepFunctionsStandardTransition +
        cost.lambdaInvocations * PRICES.lambdaRequest +
        cost.dynamoDbWrites * PRICES.dynamoDbWriteRequestUnit +
        cost.dynamoDbReads * PRICES.dynamoDbReadRequestUnit;
    return { ...cost, dollarsPerMillion: dollars * 1_000_000 };
}

function transitionsWhere(metrics: MetricsSnapshot, match: (state: string) => boolean): number {
    let total = 0;
    for (const machine of Object.values(metrics.stepFunctions.byStateMachine)) {
        for (const [state, count] of Object.entries(machine.byState)) if (match(state)) total += count;
    }
    return total;
}

/**
 * What `runs` sagas used, per saga, as bill.ts prices it: each API request as a REST request (the
 * reference stack's API), each function's requests and billed durations, one read or write unit per
 * DynamoDB request (items under 1 KB, no transactions), each machine as its type bills it (STANDARD:
 * transitions; EXPRESS: executions and their billed durations at EXPRESS_MEMORY_MB), and the log
 * bytes: the machines' execution events, the functions' lines and Lambda's own lines per request.
 */
export function usageOf(metrics: MetricsSnapshot, runs: number): Usage {
    const ops = metrics.dynamodb.byOperation;
    const sum = (names: string[]) => names.reduce((total, name) => total + (ops[name] ?? 0), 0);
    const lambda: LambdaUsage[] = Object.entries(metrics.lambda.durations).map(([name, usage]) => ({
        requests: (metrics.lambda.byFunction[name] ?? usage.requests) / runs,
        billedDurationMs: usage.billedDurationMs / runs,
        memoryMb: usage.memoryMb,
        architecture: usage.architecture,
    }));
    const machines = Object.values(metrics.stepFunctions.byStateMachine);
    return {
        apiGatewayRestRequests: metrics.apiGateway.requests / runs,
        lambda,
        dynamoDbReadUnits: sum(READS) / runs,
        dynamoDbWriteUnits: sum(WRITES) / runs,
        stepFunctionsStandardTransitions: machines.filter((m) => !m.express).reduce((total, m) => total + m.stateTransitions, 0) / runs,
        express: machines
            .filter((m) => m.express)
            .map((m) => ({ requests: m.executionsStarted / runs, billedDurationMs: m.express!.billedDurationMs / runs, memoryMb: EXPRESS_MEMORY_MB })),
        logBytes: (metrics.logs.bytesIngested + metrics.lambda.logBytes + metrics.lambda.invocations * LAMBDA_PLATFORM_LOG_BYTES) / runs,
    };
}

/**
 * The original design's usage on a path, from what the STANDARD reference stack used on it (the same
 * API and Lambda requests, the same durations, the same DynamoDB work: it enters the same states):
 * its functions at ORIGINAL_FUNCTIONS, its transitions ORIGINAL_STATES_ENTERED, no machine logging.
 */
export function originalUsage(standard: Usage, path: SagaPath): Usage {
    const lambda = standard.lambda ?? [];
    const requests = lambda.reduce((total, fn) => total + fn.requests, 0);
    return {
        apiGatewayRestRequests: standard.apiGatewayRestRequests,
        lambda: [{ requests, billedDurationMs: lambda.reduce((total, fn) => total + fn.billedDurationMs, 0), ...ORIGINAL_FUNCTIONS }],
        dynamoDbReadUnits: standard.dynamoDbReadUnits,
        dynamoDbWriteUnits: standard.dynamoDbWriteUnits,
        stepFunctionsStandardTransitions: ORIGINAL_STATES_ENTERED[path],
        logBytes: requests * LAMBDA_PLATFORM_LOG_BYTES,
    };
}

/** The whole bill per million sagas of `usage`, beside the original's on the same path. */
export function billBeside(usage: Usage, original: Usage): Pick<PathCost, "billPerMillion" | "billByService" | "originalBillPerMillion" | "originalBillByService" | "billRatioToOriginal"> {
    const bill: Bill = perMillion(priceUsage(usage));
    const theirs: Bill = perMillion(priceUsage(original));
    return {
        billPerMillion: bill.total,
        billByService: bill.byService,
        originalBillPerMillion: theirs.total,
        originalBillByService: theirs.byService,
        billRatioToOriginal: theirs.total / bill.total,
    };
}

/**
 * One entry of results.json's `pathCosts`: what `runs` sagas of `path` counted (`metrics`), per saga,
 * with the whole bill beside the original's. The original is priced from `standardUsage` (the
 * STANDARD run's usage on the path), or from this run's when it is the STANDARD run.
 */
export function pathCostOf(path: SagaPath, workflowType: WorkflowType, runs: number, metrics: MetricsSnapshot, standardUsage?: Usage): PathCost {
    if (workflowType !== "STANDARD" && !standardUsage) throw new Error(`The original's bill on the ${path} path is priced from the STANDARD run's usage: none was given.`);
    const cost = costPerSaga(metrics, runs);
    const usage = usageOf(metrics, runs);
    const originalStatesEntered = ORIGINAL_STATES_ENTERED[path];
    return {
        path,
        workflowType,
        runs,
        ...cost,
        originalStatesEntered,
        ratioToOriginal: cost.stateTransitions / originalStatesEntered,
        dynamoDbByOperation: dividedBy(metrics.dynamodb.byOperation, runs),
        usage,
        ...billBeside(usage, originalUsage(standardUsage ?? usage, path)),
    };
}

/**
 * Every path, `runs` times each, one saga at a time on a fresh local cloud with the stack's
 * configuration and `workflowType` (saga:workflowType). The original's bill on each path comes from
 * `standard`, the STANDARD run's costs; without them (the STANDARD run itself), from this run's.
 */
export async function measurePathCosts(runs = 3, workflowType: WorkflowType = "STANDARD", standard?: PathCost[]): Promise<PathCost[]> {
    const config = workflowType === "STANDARD" ? undefined : { "saga:workflowType": workflowType };
    // Nothing should retry here (see below); if something does, waiting for it would not change the counts.
    // The functions log at INFO, as the component deploys them (JSON format's default level): their lines are billed.
    return withLocalCloud({ retryIntervalMs: 0, functionLogLevel: "info", onFunctionLog: () => undefined, config }, async (booted) => {
        const costs: PathCost[] = [];
        for (const path of SAGA_PATHS) {
            const metrics = await costOfSagas(booted, runs, (i) => `cost-${workflowType.toLowerCase()}-${path}-${i}`, path === "success" ? undefined : path);
            const cost = pathCostOf(path, workflowType, runs, metrics, standard?.find((c) => c.path === path)?.usage);
            // Without injected compensation failures nothing retries: a retry means broken handlers, not a cost.
            if (cost.retries > 0) {
                throw new Error(`The ${path} sagas retried ${cost.retries} times per saga without any failure injected; run \`npm start\` and look at its log.`);
            }
            if (workflowType === "EXPRESS" && !cost.usage.express?.length) {
                throw new Error(`The stack ran no EXPRESS machine with saga:workflowType=EXPRESS: the ${path} path cannot be priced as EXPRESS.`);
            }
            costs.push(cost);
            progress(`cost: ${workflowType} ${path}: ${cost.stateTransitions} transitions, $${costs.at(-1)!.billPerMillion.toFixed(2)} per million sagas`);
        }
        return costs;
    });
}
