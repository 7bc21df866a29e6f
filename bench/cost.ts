// Cost per saga path: each path (success and every runType) run on the local cloud with the real
// program, and what the services did for it counted at the services (local/metrics.ts): Step
// Functions transitions as a STANDARD workflow is billed (states entered, retries included),
// Lambda requests (the start function and every step, retries included), DynamoDB requests.
// Beside them, the states the original design enters on the same path.
import type { MetricsSnapshot } from "../local/metrics";
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

/**
 * AWS list prices in us-east-1, in dollars: Step Functions STANDARD $0.025 per 1,000 state
 * transitions; Lambda $0.20 per million requests; DynamoDB on-demand $0.625 per million write
 * request units and $0.125 per million read request units (since the cut of November 2024).
 * Checked 2026-11-26. Free tiers, Lambda duration and API Gateway are left out.
 */
export const LIST_PRICES = {
    stepFunctionsTransition: 0.025 / 1_000,
    lambdaRequest: 0.2 / 1_000_000,
    dynamoDbWriteRequestUnit: 0.625 / 1_000_000,
    dynamoDbReadRequestUnit: 0.125 / 1_000_000,
} as const;

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
    /** At the list prices, per million sagas. Reads are strongly consistent and items under 1 KB: one unit each. */
    dollarsPerMillion: number;
}

export interface PathCost extends SagaCost {
    path: SagaPath;
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
        cost.stateTransitions * LIST_PRICES.stepFunctionsTransition +
        cost.lambdaInvocations * LIST_PRICES.lambdaRequest +
        cost.dynamoDbWrites * LIST_PRICES.dynamoDbWriteRequestUnit +
        cost.dynamoDbReads * LIST_PRICES.dynamoDbReadRequestUnit;
    return { ...cost, dollarsPerMillion: dollars * 1_000_000 };
}

function transitionsWhere(metrics: MetricsSnapshot, match: (state: string) => boolean): number {
    let total = 0;
    for (const machine of Object.values(metrics.stepFunctions.byStateMachine)) {
        for (const [state, count] of Object.entries(machine.byState)) if (match(state)) total += count;
    }
    return total;
}

/** Every path, `runs` times each, one saga at a time on a fresh local cloud with the stack's configuration. */
export async function measurePathCosts(runs = 3): Promise<PathCost[]> {
    // Nothing should retry here (see below); if something does, waiting for it would not change the counts.
    return withLocalCloud({ retryIntervalMs: 0 }, async (booted) => {
        const costs: PathCost[] = [];
        for (const path of SAGA_PATHS) {
            const metrics = await costOfSagas(booted, runs, (i) => `cost-${path}-${i}`, path === "success" ? undefined : path);
            const cost = costPerSaga(metrics, runs);
            // Without injected compensation failures nothing retries: a retry means broken handlers, not a cost.
            if (cost.retries > 0) {
                throw new Error(`The ${path} sagas retried ${cost.retries} times per saga without any failure injected; run \`npm start\` and look at its log.`);
            }
            const originalStatesEntered = ORIGINAL_STATES_ENTERED[path];
            costs.push({
                path,
                runs,
                ...cost,
                originalStatesEntered,
                ratioToOriginal: cost.stateTransitions / originalStatesEntered,
                dynamoDbByOperation: dividedBy(metrics.dynamodb.byOperation, runs),
            });
            progress(`cost: ${path}: ${cost.stateTransitions} transitions per saga`);
        }
        return costs;
    });
}
