// What the invariant checker knows of a saga: its steps in order, the state names of their actions
// and the records they write; and what the chaos run gathers about each saga to check it.
import { afterFailedCompensation, recordFailureStateName } from "../components/model/definition";
import { afterFailedRepair, recordNeedsAttentionStateName } from "../components/model/repair";
import { stateNameOf } from "../components/model/steps";
import type { SagaStep } from "../components/model/args";
import { RecordStatus } from "../handlers/lib/records";
import { RECORD_TYPES } from "../handlers/travel/trip";
import { travelSteps } from "../handlers/travel/steps";

export interface StepModel {
    name: string;
    /** The sort key prefix of the step's record, e.g. `HOTEL` for `HOTEL#<id>`. */
    recordType: string;
    reserveState: string;
    confirmState?: string;
    /** The compensation's states: the clean chain's, and its copy after an earlier compensation failed. */
    cancelStates: string[];
    /** The state that records the compensation's failure on the failure queue. */
    recordFailureState: string;
    /** The compensation's states in the repair machine: the clean chain's, and its copy after an earlier one outlasted the horizon. */
    repairCancelStates: string[];
    /** The repair's state that sends the step to the needs-attention queue. */
    recordNeedsAttentionState: string;
    /** Its reserve is final (a payment): a rollback keeps the record, refunded, as the audit trail. */
    audited: boolean;
}

export type SagaModel = StepModel[];

/** A saga's model from its steps, each step's record type, and which steps keep an audit record. */
export function sagaModel(steps: SagaStep[], recordTypes: Record<string, string>, audited: string[]): SagaModel {
    return steps.map((step) => {
        const cancel = stateNameOf(step, "cancel");
        return {
            name: step.name,
            recordType: recordTypes[step.name],
            reserveState: stateNameOf(step, "reserve"),
            ...(step.confirm ? { confirmState: stateNameOf(step, "confirm") } : {}),
            cancelStates: [cancel, afterFailedCompensation(cancel)],
            recordFailureState: recordFailureStateName(step),
            repairCancelStates: [cancel, afterFailedRepair(cancel)],
            recordNeedsAttentionState: recordNeedsAttentionStateName(step),
            audited: audited.includes(step.name),
        };
    });
}

/** The travel booking of the default stack: a taken payment is refunded, never deleted. */
export const TRAVEL_MODEL: SagaModel = sagaModel(travelSteps, RECORD_TYPES, ["Payment"]);

/** Statuses of a record that is still in effect: a booking held or made, a payment taken. */
export const LIVE_STATUSES: readonly string[] = [RecordStatus.pending, RecordStatus.confirmed];

/** One Task attempt of an execution: its state, and the error it failed with (none: it succeeded). */
export interface TaskAttempt {
    state: string;
    error?: string;
}

export interface ExecutionEvidence {
    /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED. */
    status: string;
    error?: string;
    /** State names in the order the execution entered them (a retry does not enter again). */
    statesEntered: string[];
    attempts: TaskAttempt[];
}

/** Everything known of one saga once the run has settled. */
export interface TripEvidence {
    tripId: string;
    /** Undefined when Step Functions knows no execution of that name. */
    execution?: ExecutionEvidence;
    /** Every record of the saga's steps under its partition key (its outcome record apart). */
    records: Record<string, string>[];
    /** The step each failure-queue record of this saga names. */
    failureRecords: string[];
    /** The execution of the repair machine named after the saga, if one ran. */
    repair?: ExecutionEvidence;
    /** The saga's outcome record, written by its repair (pk = saga id, sk = SAGA#OUTCOME). */
    outcomeRecord?: Record<string, string>;
    /** The step each needs-attention message of this saga names (a repair that ended unexpectedly: "?"). */
    needsAttention: string[];
}
