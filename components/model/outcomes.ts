// What became of a saga, read from what Step Functions reports about its execution: the outcome
// (from the execution's status, and for a failed one the error it ended with) and the states it
// entered (from its history). One reading for the status route, the console, chaos and the tests.
import { RepairOutcomes, SagaErrors } from "./conventions";

/** What became of a saga, as the status route reports it. */
export const SagaOutcomes = {
    /** The execution is still going: forward, or compensating. */
    running: "running",
    /** Every step reserved and confirmed. */
    succeeded: "succeeded",
    /** A step failed and every compensation succeeded: nothing is left in effect, only the audit trail (tombstones, refunds). */
    rolledBack: "rolled_back",
    /** A compensation still failed after its retries: data may be left behind (see the failure queue). */
    compensationFailed: "compensation_failed",
    /** The execution failed with an error other than the saga's own two, e.g. a state nothing caught. */
    failed: "failed",
    /** The execution ran past the definition's `TimeoutSeconds`. */
    timedOut: "timed_out",
    /** Someone stopped the execution (StopExecution). */
    aborted: "aborted",
    /** The execution ended as one of the four above it; the repair machine is running its compensations again. */
    repairing: RepairOutcomes.repairing,
    /** A compensation still failed after the repair horizon: the needs-attention queue names it, and a person must act. */
    needsAttention: RepairOutcomes.needsAttention,
} as const;
export type SagaOutcome = (typeof SagaOutcomes)[keyof typeof SagaOutcomes];

/** An execution's own outcome, before any repair: every outcome but the two the repair machine records. */
export type ExecutionOutcome = Exclude<SagaOutcome, typeof SagaOutcomes.repairing | typeof SagaOutcomes.needsAttention>;

/** The execution statuses of the Step Functions API. */
export type ExecutionStatus = "RUNNING" | "PENDING_REDRIVE" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/**
 * The saga's own outcome from its execution's status, and for a failed one the error it ended with.
 * A status this code does not know (a newer API) throws rather than mislabel the saga.
 */
export function outcomeOf(status: ExecutionStatus | (string & {}), error: string | undefined): ExecutionOutcome {
    switch (status as ExecutionStatus) {
        case "RUNNING":
        // A failed execution someone redrives is about to run again.
        case "PENDING_REDRIVE":
            return SagaOutcomes.running;
        case "SUCCEEDED":
            return SagaOutcomes.succeeded;
        case "FAILED":
            if (error === SagaErrors.RolledBack) return SagaOutcomes.rolledBack;
            if (error === SagaErrors.CompensationFailed) return SagaOutcomes.compensationFailed;
            return SagaOutcomes.failed;
        case "TIMED_OUT":
            return SagaOutcomes.timedOut;
        case "ABORTED":
            return SagaOutcomes.aborted;
        default:
            return unknownStatus(status as never);
    }
}

function unknownStatus(status: never): never {
    throw new Error(`Unknown execution status "${String(status)}".`);
}

/** An event of GetExecutionHistory as the API answers it (only what is read here is typed). */
export interface HistoryEventLike {
    type?: string;
    stateEnteredEventDetails?: { name?: string };
}

/** The state an event enters (a `<Type>StateEntered` event names it), or undefined. */
export function enteredStateOf(event: HistoryEventLike): string | undefined {
    if (!event.type?.endsWith("StateEntered")) return undefined;
    const name = event.stateEnteredEventDetails?.name;
    return typeof name === "string" ? name : undefined;
}

/** The states an execution entered, in order (a state entered twice is listed twice), from its history events. */
export function statesEnteredOf(events: readonly HistoryEventLike[]): string[] {
    return events.flatMap((event) => enteredStateOf(event) ?? []);
}
