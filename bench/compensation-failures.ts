// Each saga path with random compensation failures on (saga:compensationFailureRate; the original
// used 0.4): what it costs on average, and how much more than without them. Every retry of a
// compensation is a billed transition and a Lambda request; a compensation that fails all its
// retries adds the state that records it and, once per saga, the state that summarises the
// failures; such a saga is then repaired (every step's cancel again, with the same random
// failures, retried up to the 24-hour horizon). Beside the measured means, the means the retry
// policies predict.
import { DEFAULT_DEFINITION_OPTIONS } from "../components/model/definition";
import { DEFAULT_REPAIR_HORIZON_SECONDS, repairAttempts } from "../components/model/repair";
import { travelSteps } from "../handlers/travel/steps";
import { costPerSaga, PathCost, SagaPath } from "./cost";
import { costOfSagas, withLocalCloud } from "./local-cloud";
import { progress } from "./table";

export interface CompensationFailureOptions {
    /** Sagas per path. */
    runs: number;
    /** Probability that one attempt of a compensation fails. */
    rate: number;
    /** Seeds the functions' Math.random: with one saga at a time, a run repeats exactly. */
    seed: number;
}

export interface CompensationFailureCost {
    path: SagaPath;
    runs: number;
    /** Compensations the path runs (measured without failures). */
    compensations: number;
    meanStateTransitions: number;
    meanExtraTransitions: number;
    expectedExtraTransitions: number;
    meanExtraLambdaInvocations: number;
    expectedExtraLambdaInvocations: number;
    /** Share of sagas that ended in Compensation Failed (some compensation failed all its retries). */
    compensationFailedShare: number;
    expectedCompensationFailedShare: number;
    dollarsPerMillion: number;
}

/** The mean retries of an attempt failing with probability `rate`, retried up to `retries` times. */
const meanRetries = (rate: number, retries: number) => Array.from({ length: retries }, (_, i) => rate ** (i + 1)).reduce((a, b) => a + b, 0);

/**
 * What the retry policies predict for `compensations` compensations, each attempt failing with
 * probability `rate` and retried up to `retries` times: the mean retries, and the chance that a
 * compensation fails them all (then its failure is recorded: one more state, and the saga is
 * repaired: its start function, every one of the saga's `steps` cancels again with the same odds
 * up to the horizon's retries, two outcome records; the steps + 3 states of a repair, one
 * transition per retry; a repair that outlasts the horizon is too rare to count at these rates).
 */
export function expectedExtras(
    compensations: number,
    rate: number,
    retries = DEFAULT_DEFINITION_OPTIONS.compensationRetry.maxAttempts,
    steps = travelSteps.length,
    repairRetries = repairAttempts(DEFAULT_REPAIR_HORIZON_SECONDS),
) {
    const retriesPerCompensation = meanRetries(rate, retries);
    const exhausted = rate ** (retries + 1);
    const anyExhausted = 1 - (1 - exhausted) ** compensations;
    const repairRetriesPerCancel = meanRetries(rate, repairRetries);
    const repair = {
        stateTransitions: steps + 3 + steps * repairRetriesPerCancel,
        lambdaInvocations: 1 + 2 + steps * (1 + repairRetriesPerCancel),
    };
    return {
        lambdaInvocations: compensations * retriesPerCompensation + anyExhausted * repair.lambdaInvocations,
        // Retries, one record state per exhausted compensation, one summary state per saga with any, and its repair.
        stateTransitions: compensations * (retriesPerCompensation + exhausted) + anyExhausted * (1 + repair.stateTransitions),
        compensationFailedShare: anyExhausted,
    };
}

/** `baseline`: the same paths measured without compensation failures (measurePathCosts). */
export async function measureCompensationFailures(baseline: PathCost[], options: CompensationFailureOptions): Promise<CompensationFailureCost[]> {
    const cloudOptions = {
        config: { "saga:compensationFailureRate": String(options.rate) },
        // Retries wait 0 ms: what is counted does not depend on how long they wait.
        retryIntervalMs: 0,
        randomSeed: options.seed,
    };
    return withLocalCloud(cloudOptions, async (booted) => {
        const figures: CompensationFailureCost[] = [];
        for (const base of baseline) {
            const runType = base.path === "success" ? undefined : base.path;
            const cost = costPerSaga(await costOfSagas(booted, options.runs, (i) => `failures-${base.path}-${i}`, runType), options.runs);
            const expected = expectedExtras(base.compensationTransitions, options.rate);
            figures.push({
                path: base.path,
                runs: options.runs,
                compensations: base.compensationTransitions,
                meanStateTransitions: cost.stateTransitions,
                meanExtraTransitions: cost.stateTransitions - base.stateTransitions,
                expectedExtraTransitions: expected.stateTransitions,
                meanExtraLambdaInvocations: cost.lambdaInvocations - base.lambdaInvocations,
                expectedExtraLambdaInvocations: expected.lambdaInvocations,
                compensationFailedShare: cost.compensationFailedShare,
                expectedCompensationFailedShare: expected.compensationFailedShare,
                dollarsPerMillion: cost.dollarsPerMillion,
            });
            progress(`compensation failures: ${base.path}: ${options.runs} sagas, ${cost.stateTransitions} transitions per saga`);
        }
        return figures;
    });
}
