// The invariants a chaos run checks over every saga, once everything has settled, repairs
// included: its execution and its repair's (from the Step Functions histories), its records (the
// whole table), the failure queue and the needs-attention queue. Pure, so its tests can feed it
// hand-made bad data and see each invariant catch what it is meant to.
import { ChaosErrors } from "../handlers/lib/chaos";
import { RecordStatus } from "../handlers/lib/records";
import { outcomeOf, SagaOutcome, SagaOutcomes } from "../components/model/outcomes";
import { summarize } from "../handlers/lib/status";
import { LIVE_STATUSES, SagaModel, StepModel, TripEvidence } from "./model";

export interface Violation {
    tripId: string;
    message: string;
}

export interface InvariantResult {
    name: string;
    /** Sagas the invariant applies to. */
    checked: number;
    violations: Violation[];
}

export interface ChaosCheck {
    /** How many sagas ended in each outcome (`running`, `failed`, ... included); a repaired one as e.g. `rolled_back (late, from aborted)`. */
    outcomes: Record<string, number>;
    /** Steps named on the failure queue (compensations that failed all their retries in the saga's own execution). */
    failureRecords: number;
    /** Steps named on the needs-attention queue (compensations whose fault outlasted the repair horizon). */
    needsAttention: number;
    invariants: InvariantResult[];
}

/** What a check sees of one saga: its evidence plus what is derived from it for every check. */
interface Trip extends TripEvidence {
    /** How its own execution ended. */
    own: SagaOutcome | "no execution";
    /** How the saga ended: its repair's outcome when one took over, else its own. */
    outcome: SagaOutcome | "no execution";
    /** The saga's records of a step. */
    recordsOf(step: StepModel): Record<string, string>[];
    /** Whether the step still has a record in effect (pending or confirmed). */
    leftData(step: StepModel): boolean;
    entered(state: string): boolean;
    /** Whether its repair ran the step's cancel. */
    repairEntered(step: StepModel): boolean;
}

/** What the checks know of the stack beyond its steps. */
export interface CheckSettings {
    /** The attempts a repair makes at each compensation before a person is told: its MaxAttempts + 1. */
    repairAttempts: number;
}

type Check = { name: string; appliesTo(trip: Trip): boolean; check(trip: Trip, model: SagaModel, settings: CheckSettings): string[] };

const stepNames = (steps: StepModel[]) => steps.map((step) => step.name).join(", ") || "none";
const failed = (trip: Trip) => trip.execution !== undefined && trip.outcome !== SagaOutcomes.succeeded;
/** The outcomes of an execution that leaves the saga to its repair; it may have compensated some steps first. */
const CUT_SHORT: readonly string[] = [SagaOutcomes.aborted, SagaOutcomes.timedOut];

const CHECKS: Check[] = [
    {
        name: "every saga ended succeeded, rolled back (on time or late) or, past the repair horizon, needs attention",
        appliesTo: () => true,
        check: (trip) => {
            if (!trip.execution) return ["no execution ran under this saga's id"];
            const { status, error } = trip.execution;
            const ended = [SagaOutcomes.succeeded, SagaOutcomes.rolledBack, SagaOutcomes.needsAttention] as string[];
            if (ended.includes(trip.outcome)) return [];
            const repair = trip.repair ? `; its repair ended ${trip.repair.status}${trip.repair.error ? ` (${trip.repair.error})` : ""}` : "";
            return [`the saga ended ${trip.outcome}: the execution ended ${status}${error ? ` (${error})` : ""}${repair}`];
        },
    },
    {
        name: "succeeded: every step's record is confirmed",
        appliesTo: (trip) => trip.outcome === SagaOutcomes.succeeded,
        check: (trip, model) =>
            model.flatMap((step) => {
                const statuses = trip.recordsOf(step).map((record) => record.transaction_status);
                return statuses.length === 1 && statuses[0] === RecordStatus.confirmed ? [] : [`succeeded, but ${step.name} has [${statuses.join(", ")}]`];
            }),
    },
    {
        name: "rolled back, on time or late: nothing left but the audit trail",
        appliesTo: (trip) => trip.outcome === SagaOutcomes.rolledBack,
        check: (trip, model) =>
            model.filter((step) => trip.leftData(step)).map((step) => `rolled back, but ${step.name} is left ${statusesOf(trip, step)}`),
    },
    {
        name: "compensation failed: the failure queue names exactly the compensations that failed all their retries",
        appliesTo: (trip) => trip.own === SagaOutcomes.compensationFailed || trip.failureRecords.length > 0,
        check: (trip, model) => {
            // A stopped or timed-out execution may have recorded a failed compensation before it ended.
            if (trip.own !== SagaOutcomes.compensationFailed && !CUT_SHORT.includes(trip.own)) {
                return [`the failure queue names ${trip.failureRecords.join(", ")}, but the execution ended ${trip.own}`];
            }
            const named = (step: StepModel) => trip.failureRecords.includes(step.name);
            const exhausted = (step: StepModel) => trip.entered(step.recordFailureState);
            return [
                ...model.filter((s) => named(s) && !exhausted(s)).map((s) => `the failure queue names ${s.name}, whose compensation did not fail`),
                ...model.filter((s) => exhausted(s) && !named(s)).map((s) => `${s.name}'s compensation failed, but the failure queue has no record of it`),
                ...unknownSteps(trip.failureRecords, "the failure queue", model),
            ];
        },
    },
    {
        name: "needs attention: the needs-attention queue names exactly the compensations whose fault outlasted the repair horizon, and every step left",
        appliesTo: (trip) => trip.repair !== undefined || trip.needsAttention.length > 0,
        check: (trip, model, settings) => {
            if (!trip.repair) return [`the needs-attention queue names ${trip.needsAttention.join(", ")}, but no repair ran`];
            const named = (step: StepModel) => trip.needsAttention.includes(step.name);
            const attempts = (step: StepModel) => trip.repair!.attempts.filter((a) => step.repairCancelStates.includes(a.state));
            // Outlasted: every attempt the repair made at it failed, as many as the horizon allows.
            const outlasted = (step: StepModel) => attempts(step).length === settings.repairAttempts && attempts(step).every((a) => a.error !== undefined);
            const waiting = trip.outcome === SagaOutcomes.needsAttention;
            return [
                ...model.filter((s) => named(s) && !outlasted(s)).map((s) => `the needs-attention queue names ${s.name}, whose repair did not outlast the horizon (${attempts(s).length} attempts)`),
                ...model.filter((s) => outlasted(s) && !named(s)).map((s) => `${s.name}'s repair outlasted the horizon, but the needs-attention queue does not name it`),
                ...model.filter((s) => waiting && trip.leftData(s) && !named(s)).map((s) => `${s.name} is left ${statusesOf(trip, s)}, but the needs-attention queue does not name it`),
                ...(waiting !== trip.needsAttention.length > 0 ? [`the saga ended ${trip.outcome}, but the needs-attention queue names ${stepNames(model.filter(named))}`] : []),
                ...unknownSteps(trip.needsAttention, "the needs-attention queue", model),
            ];
        },
    },
    {
        name: "no duplicate records: at most one record per step, none of no step",
        appliesTo: () => true,
        check: (trip, model) => [
            ...model.filter((step) => trip.recordsOf(step).length > 1).map((step) => `${step.name} has ${trip.recordsOf(step).length} records`),
            ...trip.records.filter((record) => !model.some((step) => isOf(record, step))).map((record) => `a record of no step: ${record.sk}`),
        ],
    },
    {
        name: "no phantom records: each written by its step's reserve (or a tombstone by its repair), confirmed only by its confirm",
        appliesTo: (trip) => trip.records.length > 0,
        check: (trip, model) =>
            model.flatMap((step) => {
                const records = trip.recordsOf(step);
                // A repair runs every cancel, and a cancel with nothing to undo leaves a tombstone.
                const tombstones = records.every((r) => r.transaction_status === RecordStatus.cancelled) && trip.repairEntered(step);
                if (records.length > 0 && !trip.entered(step.reserveState) && !tombstones) return [`${step.name} has a record, but "${step.reserveState}" never ran`];
                const confirmed = records.some((record) => record.transaction_status === RecordStatus.confirmed);
                if (confirmed && step.confirmState && !trip.entered(step.confirmState)) return [`${step.name} is confirmed, but "${step.confirmState}" never ran`];
                return [];
            }),
    },
    {
        name: "no payment without its audit trail: a taken payment of a failed saga is refunded, not deleted",
        appliesTo: (trip) => failed(trip),
        check: (trip, model) =>
            model
                .filter((step) => step.audited && wasWritten(trip, step))
                .filter((step) => !trip.recordsOf(step).some((r) => r.transaction_status === RecordStatus.refunded || LIVE_STATUSES.includes(r.transaction_status)))
                .map((step) => `"${step.reserveState}" took the ${step.name.toLowerCase()}, but its record is ${statusesOf(trip, step)}: deleted, not refunded`),
    },
    {
        name: "compensations ran newest first, from the failed step down to the first; a repair ran them all, newest first",
        appliesTo: (trip) => trip.execution !== undefined,
        check: (trip, model) => {
            const ran = compensationsRun(trip.execution!.statesEntered, model, (step) => step.cancelStates);
            const expected = expectedCompensations(trip, model);
            // A stopped or timed-out execution compensated at most the first of them.
            const own = CUT_SHORT.includes(trip.own) ? sameSteps(ran, expected.slice(0, ran.length)) : sameSteps(ran, expected);
            const repaired = trip.repair ? compensationsRun(trip.repair.statesEntered, model, (step) => step.repairCancelStates) : undefined;
            return [
                ...(own ? [] : [`compensated ${stepNames(ran)}; expected ${CUT_SHORT.includes(trip.own) ? "at most " : ""}${stepNames(expected)}`]),
                ...(repaired && !sameSteps(repaired, [...model].reverse()) ? [`the repair compensated ${stepNames(repaired)}; expected ${stepNames([...model].reverse())}`] : []),
            ];
        },
    },
];

/** How a saga ended, as the report counts it: a repaired one with the execution's own outcome. */
export function outcomeLabel(trip: Pick<Trip, "own" | "outcome">): string {
    if (trip.own === trip.outcome) return trip.outcome;
    return trip.outcome === SagaOutcomes.rolledBack ? `${trip.outcome} (late, from ${trip.own})` : `${trip.outcome} (from ${trip.own})`;
}

/** Checks every invariant over every saga. */
export function checkInvariants(trips: TripEvidence[], model: SagaModel, settings: CheckSettings): ChaosCheck {
    const views = trips.map(view);
    const outcomes: Record<string, number> = {};
    for (const trip of views) outcomes[outcomeLabel(trip)] = (outcomes[outcomeLabel(trip)] ?? 0) + 1;
    const named = (listed: (trip: Trip) => string[]) => views.reduce((sum, trip) => sum + listed(trip).length, 0);
    const invariants = CHECKS.map(({ name, appliesTo, check }) => {
        const applicable = views.filter(appliesTo);
        const violations = applicable.flatMap((trip) => check(trip, model, settings).map((message) => ({ tripId: trip.tripId, message })));
        return { name, checked: applicable.length, violations };
    });
    return { outcomes, failureRecords: named((trip) => trip.failureRecords), needsAttention: named((trip) => trip.needsAttention), invariants };
}

function view(trip: TripEvidence): Trip {
    const execution = trip.execution;
    const own = execution ? outcomeOf(execution.status, execution.error) : "no execution";
    // As the status route reports it: the repair's outcome record once one took over.
    const outcome = execution
        ? summarize({ status: execution.status, error: execution.error } as Parameters<typeof summarize>[0], trip.outcomeRecord as Parameters<typeof summarize>[1]).outcome
        : "no execution";
    const recordsOf = (step: StepModel) => trip.records.filter((record) => isOf(record, step));
    const entered = new Set(execution?.statesEntered ?? []);
    return {
        ...trip,
        own,
        outcome,
        recordsOf,
        leftData: (step) => recordsOf(step).some((record) => LIVE_STATUSES.includes(record.transaction_status)),
        entered: (state) => entered.has(state),
        repairEntered: (step) => step.repairCancelStates.some((state) => trip.repair?.statesEntered.includes(state)),
    };
}

const isOf = (record: Record<string, string>, step: StepModel) => record.sk?.startsWith(`${step.recordType}#`);
const statusesOf = (trip: Trip, step: StepModel) => {
    const statuses = trip.recordsOf(step).map((record) => record.transaction_status);
    return statuses.length > 0 ? statuses.join(" and ") : "absent";
};

function unknownSteps(named: string[], queue: string, model: SagaModel): string[] {
    return named.filter((name) => !model.some((step) => step.name === name)).map((name) => `${queue} names "${name}", no step of this saga`);
}

const sameSteps = (a: StepModel[], b: StepModel[]) => a.length === b.length && a.every((step, i) => step === b[i]);

/** Whether the step's reserve did its write as far as the history shows: it succeeded, or failed only after writing. */
function wasWritten(trip: Trip, step: StepModel): boolean {
    return (trip.execution?.attempts ?? []).some((a) => a.state === step.reserveState && (a.error === undefined || a.error === ChaosErrors.failedAfterWrite));
}

/** The steps whose compensation an execution entered, in the order it entered them. */
function compensationsRun(statesEntered: string[], model: SagaModel, cancelStates: (step: StepModel) => string[]): StepModel[] {
    return statesEntered.flatMap((state) => model.filter((step) => cancelStates(step).includes(state)));
}

/**
 * The compensations a saga must run: none when it succeeded; after a failed reserve, that step's
 * and every earlier one's, newest first; after a failed confirm, every step's, newest first.
 */
function expectedCompensations(trip: Trip, model: SagaModel): StepModel[] {
    if (trip.own === SagaOutcomes.succeeded) return [];
    const forward = new Set(model.flatMap((step) => [step.reserveState, ...(step.confirmState ? [step.confirmState] : [])]));
    // Forward states are entered only before the first compensation: the last one entered failed.
    const failedAt = (trip.execution?.statesEntered ?? []).filter((state) => forward.has(state)).pop();
    if (failedAt === undefined) return [];
    const reserve = model.findIndex((step) => step.reserveState === failedAt);
    return model.slice(0, reserve >= 0 ? reserve + 1 : model.length).reverse();
}
