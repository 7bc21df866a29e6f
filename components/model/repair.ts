// Builds the Amazon States Language definition of a saga's repair machine: the compensation-only
// machine that runs after an execution of the saga's machine ended without a clean rollback (a
// compensation failed all its retries, or the execution was stopped, timed out or failed with an
// error of its own). Pure, like definition.ts: steps and ARNs in, a plain object out.
//
// Shape, for steps S1..Sn (its input: { sagaId, executionArn, cause: { status, error }, input }):
//   Record Repairing, Cancel Sn .. Cancel S1, Record Rolled Back, Repaired
//   a Cancel Si that still fails past the horizon -> Record Si needs attention (the needs-attention
//     queue), then Cancel Si-1 .. Cancel S1 in a second chain that ends in Record Needs Attention
//     and Needs Attention (Fail, Saga.NeedsAttention).
// Every cancel runs, whatever the execution had done: cancels are idempotent and succeed when
// there is nothing to undo, and an aborted execution leaves no record of how far it got.
import { SagaStep } from "./args";
import { RepairOutcomes, SagaErrors, STATUS_CHANGE_EVENT, taskComment } from "./conventions";
import type { AslState } from "./asl";
import { AslDefinition, sendMessageTask } from "./definition";
import { inRange, SagaValidationError } from "./errors";
import { RepairStates, stateNameOf, validateSteps } from "./steps";

/** How long each compensation is retried in a repair by default: 24 hours. */
export const DEFAULT_REPAIR_HORIZON_SECONDS = 86_400;
export const MIN_REPAIR_HORIZON_SECONDS = 60;
/** A STANDARD execution lasts at most one year; a repair must fit in one. */
export const MAX_EXECUTION_SECONDS = 31_536_000;

/**
 * The waits between a cancel's attempts in a repair: 1 s, doubling, at most an hour apart (a
 * recovered service is noticed within the hour), without jitter, so that their sum, and with it
 * the horizon a MaxAttempts covers, is exact.
 */
export const REPAIR_RETRY = { intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 3600 } as const;

/** The retries of the outcome record and of a needs-attention message: short, they are not the repair itself. */
const SHORT_RETRY = { intervalSeconds: 1, backoffRate: 2, maxAttempts: 3 } as const;

export interface RepairDefinitionInput {
    steps: SagaStep[];
    /** The ARN of each step's cancel function, keyed by the cancel's state name (as in the saga's machine). */
    functionArns: Record<string, string>;
    /** The function that writes the saga's outcome record (handlers/lib/repair-outcome.ts). */
    outcomeFunctionArn: string;
    /** Where a compensation that still fails past the horizon is sent, for a person. */
    needsAttentionQueueUrl: string;
    /** Default DEFAULT_REPAIR_HORIZON_SECONDS. */
    horizonSeconds?: number;
    /** Upper bound of one attempt of a task, as in the saga's machine. Default 30. */
    taskTimeoutSeconds?: number;
}

/** Where the repair keeps each compensation that failed past the horizon, in its state. */
export const RepairPaths = {
    failures: "$.failures",
    failure: (step: string) => `$.failures.${step}`,
} as const;

/** Name of the copy of a cancel that runs after an earlier one failed past the horizon. */
export const afterFailedRepair = (cancelStateName: string) => `${cancelStateName} (after a failed repair)`;
export const recordNeedsAttentionStateName = (step: SagaStep) => `Record ${step.name} needs attention`;

/** The wait before the k-th retry (k from 1) of a cancel in a repair: min(1 × 2^(k-1), 3600) seconds. */
export function repairRetryDelay(k: number): number {
    return Math.min(REPAIR_RETRY.intervalSeconds * REPAIR_RETRY.backoffRate ** (k - 1), REPAIR_RETRY.maxDelaySeconds);
}

/**
 * MaxAttempts of a cancel in a repair: the least N whose waits add up to the horizon H,
 *   Σ_{k=1..N} min(1 × 2^(k-1), 3600) ≥ H,
 * that is N = ⌈log2(H + 1)⌉ while H ≤ 4095 (the waits 1, 2, .., 2048 add up to 4095), else
 * N = 12 + ⌈(H − 4095) / 3600⌉ (every later wait is the hour's cap). 24 hours: N = 35.
 * The attempts themselves take time too, so the fault has lasted at least H when the cancel is
 * given up.
 */
export function repairAttempts(horizonSeconds: number): number {
    let attempts = 0;
    for (let waited = 0; waited < horizonSeconds; waited += repairRetryDelay(attempts)) attempts++;
    return attempts;
}

/** The longest a task under `attempts` retries of `wait` can take: its waits, plus one timeout per attempt. */
function retriedTaskSeconds(attempts: number, wait: (k: number) => number, taskTimeoutSeconds: number): number {
    let total = (attempts + 1) * taskTimeoutSeconds;
    for (let k = 1; k <= attempts; k++) total += wait(k);
    return total;
}

/**
 * The longest a repair of `stepCount` steps can run: the repairing record and each needs-attention
 * message with their short retries, and every cancel and the final record retried to the horizon.
 */
export function repairDurationBound(stepCount: number, horizonSeconds: number, taskTimeoutSeconds: number): number {
    const short = retriedTaskSeconds(SHORT_RETRY.maxAttempts, (k) => SHORT_RETRY.intervalSeconds * SHORT_RETRY.backoffRate ** (k - 1), taskTimeoutSeconds);
    const long = retriedTaskSeconds(repairAttempts(horizonSeconds), repairRetryDelay, taskTimeoutSeconds);
    return (stepCount + 1) * short + (stepCount + 1) * long;
}

/**
 * Checks the horizon: a whole number of seconds from 60 to a year, and short enough that a repair
 * retrying every step's cancel to the horizon, one after the other, fits in one execution.
 */
export function validateRepairHorizon(label: string, horizonSeconds: unknown, stepCount: number, taskTimeoutSeconds: number): void {
    inRange(label, horizonSeconds, { min: MIN_REPAIR_HORIZON_SECONDS, max: MAX_EXECUTION_SECONDS, whole: true });
    const fits = (horizon: number) => repairDurationBound(stepCount, horizon, taskTimeoutSeconds) <= MAX_EXECUTION_SECONDS;
    if (fits(horizonSeconds as number)) return;
    let [low, high] = [MIN_REPAIR_HORIZON_SECONDS, horizonSeconds as number];
    while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (fits(middle)) low = middle;
        else high = middle;
    }
    throw new SagaValidationError(
        `\`${label}\` (${horizonSeconds}) is too long for ${stepCount} step${stepCount === 1 ? "" : "s"}: a repair retries each step's ` +
            `compensation up to the horizon, one after the other, and a Step Functions execution lasts at most a year ` +
            `(${MAX_EXECUTION_SECONDS} seconds). With these steps the horizon can be at most ${low} seconds.`,
    );
}

export function buildRepairDefinition(input: RepairDefinitionInput): AslDefinition {
    validateSteps(input.steps);
    const horizon = input.horizonSeconds ?? DEFAULT_REPAIR_HORIZON_SECONDS;
    const taskTimeout = input.taskTimeoutSeconds ?? 30;
    validateRepairHorizon("horizonSeconds", horizon, input.steps.length, taskTimeout);
    const steps = [...input.steps].reverse();
    const cancelOf = (step: SagaStep) => stateNameOf(step, "cancel");
    const arnOf = (stateName: string) => {
        const arn = input.functionArns[stateName];
        if (!arn) throw new Error(`No function ARN given for the state "${stateName}".`);
        return arn;
    };
    const untilHorizon = retrier({ ...REPAIR_RETRY, maxAttempts: repairAttempts(horizon) });
    const outcome = (outcomeName: string, next: string, extra: Record<string, string> = {}) =>
        invoke(input.outcomeFunctionArn, outcomePayload(outcomeName, extra), next, taskTimeout);
    const states: Record<string, AslState> = {};

    // The record first, so the status route says "repairing" while the compensations run; if it
    // cannot be written, the compensations matter more: they run anyway.
    states[RepairStates.recordRepairing] = {
        ...outcome(RepairOutcomes.repairing, cancelOf(steps[0])),
        Retry: [retrier(SHORT_RETRY)],
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: null, Next: cancelOf(steps[0]) }],
    };
    steps.forEach((step, i) => {
        const cancel = cancelOf(step);
        const older = steps[i + 1];
        const compensation = (next: string) => ({
            Comment: taskComment(step.name, "cancel"),
            ...invoke(arnOf(cancel), { "Payload.$": "$.input" }, next, taskTimeout),
            Retry: [untilHorizon],
            Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: RepairPaths.failure(step.name), Next: recordNeedsAttentionStateName(step) }],
        });
        const degradedNext = older ? afterFailedRepair(cancelOf(older)) : RepairStates.recordNeedsAttention;
        states[cancel] = compensation(older ? cancelOf(older) : RepairStates.recordRolledBack);
        if (i > 0) states[afterFailedRepair(cancel)] = compensation(degradedNext);
        states[recordNeedsAttentionStateName(step)] = sendNeedsAttention(step, cancel, input.needsAttentionQueueUrl, degradedNext, taskTimeout);
    });
    // The final records are retried to the horizon too: a saga whose record says "repairing"
    // forever would be a silent one. If even that fails, the repair's execution fails, which the
    // component's repair-failure rule sends to the needs-attention queue.
    states[RepairStates.recordRolledBack] = { ...outcome(RepairOutcomes.rolledBack, RepairStates.repaired), Retry: [untilHorizon] };
    states[RepairStates.repaired] = { Type: "Succeed" };
    states[RepairStates.recordNeedsAttention] = {
        ...outcome(RepairOutcomes.needsAttention, RepairStates.needsAttention, { "failures.$": RepairPaths.failures }),
        Retry: [untilHorizon],
    };
    states[RepairStates.needsAttention] = {
        Type: "Fail",
        Error: SagaErrors.NeedsAttention,
        Cause: "A compensation still failed after the repair horizon: the needs-attention queue has one message per such step, with the saga id, the step, the error and the input.",
    };

    return {
        Comment: `Repair generated by SagaComponent: every compensation again, newest first, each retried for ${horizon} seconds`,
        StartAt: RepairStates.recordRepairing,
        // No TimeoutSeconds: a repair ends by itself (validateRepairHorizon bounds it within the
        // year an execution may last), and a repair cut short would leave the saga half-done.
        States: states,
    };
}

/**
 * The EventBridge pattern of the status changes of `stateMachineArn` that call for a repair (or,
 * on the repair machine itself, for a person): ABORTED, TIMED_OUT, and FAILED with any error but
 * `cleanError`, the machine's own clean ending (Saga.RolledBack: nothing to repair).
 */
export function statusChangePattern(stateMachineArn: string, cleanError: string) {
    return {
        source: [STATUS_CHANGE_EVENT.source],
        "detail-type": [STATUS_CHANGE_EVENT.detailType],
        detail: {
            stateMachineArn: [stateMachineArn],
            $or: [{ status: ["ABORTED", "TIMED_OUT"] }, { status: ["FAILED"], error: [{ "anything-but": [cleanError] }] }],
        },
    };
}

/** What the outcome function receives (handlers/lib/repair-outcome.ts reads these fields). */
function outcomePayload(outcome: string, extra: Record<string, string>): Record<string, unknown> {
    return {
        Payload: {
            "sagaId.$": "$.sagaId",
            outcome,
            "executionArn.$": "$.executionArn",
            "cause.$": "$.cause",
            "repairExecutionArn.$": "$$.Execution.Id",
            "repairStartedAt.$": "$$.Execution.StartTime",
            // No `$$.State.EnteredTime`: the local engine's context has no State; the function's own clock dates the record.
            ...extra,
        },
    };
}

/** A Lambda invocation whose result is discarded. */
function invoke(functionArn: string, payload: Record<string, unknown>, next: string, timeoutSeconds: number): AslState {
    return {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: functionArn, ...payload },
        TimeoutSeconds: timeoutSeconds,
        ResultPath: null,
        Next: next,
    };
}

function retrier(policy: { intervalSeconds: number; backoffRate: number; maxAttempts: number; maxDelaySeconds?: number }): AslState {
    return {
        ErrorEquals: ["States.ALL"],
        IntervalSeconds: policy.intervalSeconds,
        MaxAttempts: policy.maxAttempts,
        BackoffRate: policy.backoffRate,
        ...(policy.maxDelaySeconds !== undefined ? { MaxDelaySeconds: policy.maxDelaySeconds } : {}),
        JitterStrategy: "NONE",
    };
}

/**
 * Tells a person: the exact saga, step, state, error and input. If even the queue is unreachable
 * the older compensations still run, and the outcome record names the step anyway.
 */
function sendNeedsAttention(step: SagaStep, cancelState: string, queueUrl: string, next: string, timeoutSeconds: number): AslState {
    const body = {
        "sagaId.$": "$.sagaId",
        "executionArn.$": "$.executionArn",
        "repairExecutionArn.$": "$$.Execution.Id",
        step: step.name,
        state: cancelState,
        "error.$": RepairPaths.failure(step.name),
        "input.$": "$.input",
        "cause.$": "$.cause",
    };
    return sendMessageTask(queueUrl, body, next, timeoutSeconds, retrier(SHORT_RETRY));
}
