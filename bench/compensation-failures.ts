// Each saga path with random compensation failures on (saga:compensationFailureRate; the original
// used 0.4): what it costs on average, and how much more than without them. Every retry of a
// compensation is a billed transition and a Lambda request; a compensation that fails all its
// retries adds the state that records it and, once per saga, the state that summarises the
// failures. Beside the measured means, the means the retry policy predicts.
import { DEFAULT_DEFINITION_OPTIONS } from "../components/model/definition";
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

/**
 * What the retry policy predicts for `compensations` compensations, each attempt failing with
 * probability `rate` and retried up to `retries` times: the mean retries, and the chance that a
 * compensation fails them all (then its failure is recorded: one more state).
 */
export function expectedExtras(compensations: number, rate: number, retries = DEFAULT_DEFINITION_OPTIONS.compensationRetry.maxAttempts) {
    const retriesPerCompensation = Array.from({ length: retries }, (_, i) => rate ** (i + 1)).reduce((a, b) => a + b, 0);
    const exhausted = rate ** (retries + 1);
    const anyExhausted = 1 - (1 - exhausted) ** compensations;
    return {
        lambdaInvocations: compensations * retriesPerCompensation,
        // Retries, one record state per exhausted compensation, one summary state per saga with any.
        stateTransitions: compensations * (retriesPerCompensation + exhausted) + anyExhausted,
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
