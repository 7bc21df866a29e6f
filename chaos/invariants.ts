// The invariants a chaos run checks over every saga, once everything has settled: its execution
// (from the Step Functions history), its records (the whole table) and the failure queue. Pure, so
// its tests can feed it hand-made bad data and see each invariant catch what it is meant to.
import { ChaosErrors } from "../handlers/lib/chaos";
import { RecordStatus } from "../handlers/lib/records";
import { outcomeOf, SagaOutcome, SagaOutcomes } from "../handlers/lib/status";
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
    /** How many sagas ended in each outcome (`running`, `failed`, ... included). */
    outcomes: Record<string, number>;
    /** Steps named on the failure queue, by whether they left data behind or nothing at all. */
    failureRecords: { leftData: number; leftNothing: number };
    invariants: InvariantResult[];
}

/** What a check sees of one saga: its evidence plus what is derived from it for every check. */
interface Trip extends TripEvidence {
    outcome: SagaOutcome | "no execution";
    /** The saga's records of a step. */
    recordsOf(step: StepModel): Record<string, string>[];
    /** Whether the step still has a record in effect (pending or confirmed). */
    leftData(step: StepModel): boolean;
    entered(state: string): boolean;
}

type Check = { name: string; appliesTo(trip: Trip): boolean; check(trip: Trip, model: SagaModel): string[] };

const stepNames = (steps: StepModel[]) => steps.map((step) => step.name).join(", ") || "none";
const failed = (trip: Trip) => trip.outcome === SagaOutcomes.rolledBack || trip.outcome === SagaOutcomes.compensationFailed;

const CHECKS: Check[] = [
    {
        name: "every saga ended in one of its outcomes: succeeded, rolled back, compensation failed",
        appliesTo: () => true,
        check: (trip) => {
            if (!trip.execution) return ["no execution ran under this saga's id"];
            const { status, error } = trip.execution;
            const ended = [SagaOutcomes.succeeded, SagaOutcomes.rolledBack, SagaOutcomes.compensationFailed] as string[];
            return ended.includes(trip.outcome) ? [] : [`the execution ended ${status}${error ? ` (${error})` : ""}, not in a saga outcome`];
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
        name: "rolled back: nothing left but the audit trail",
        appliesTo: (trip) => trip.outcome === SagaOutcomes.rolledBack,
        check: (trip, model) =>
            model.filter((step) => trip.leftData(step)).map((step) => `rolled back, but ${step.name} is left ${statusesOf(trip, step)}`),
    },
    {
        name: "compensation failed: the failure queue names exactly the failed compensations, and every step that left data",
        appliesTo: (trip) => trip.outcome === SagaOutcomes.compensationFailed || trip.failureRecords.length > 0,
        check: (trip, model) => {
            if (trip.outcome !== SagaOutcomes.compensationFailed) return [`the failure queue names ${trip.failureRecords.join(", ")}, but the saga ended ${trip.outcome}`];
            const named = (step: StepModel) => trip.failureRecords.includes(step.name);
            const exhausted = (step: StepModel) => trip.entered(step.recordFailureState);
            return [
                ...model.filter((s) => trip.leftData(s) && !named(s)).map((s) => `${s.name} is left ${statusesOf(trip, s)}, but the failure queue does not name it`),
                ...model.filter((s) => named(s) && !exhausted(s)).map((s) => `the failure queue names ${s.name}, whose compensation did not fail`),
                ...model.filter((s) => exhausted(s) && !named(s)).map((s) => `${s.name}'s compensation failed, but the failure queue has no record of it`),
                ...unknownSteps(trip, model),
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
        name: "no phantom records: each written by its step's reserve, confirmed only by its confirm",
        appliesTo: (trip) => trip.records.length > 0,
        check: (trip, model) =>
            model.flatMap((step) => {
                const records = trip.recordsOf(step);
                if (records.length > 0 && !trip.entered(step.reserveState)) return [`${step.name} has a record, but "${step.reserveState}" never ran`];
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
        name: "compensations ran newest first, from the failed step down to the first",
        appliesTo: (trip) => trip.outcome === SagaOutcomes.succeeded || failed(trip),
        check: (trip, model) => {
            const ran = compensationsRun(trip, model);
            const expected = expectedCompensations(trip, model);
            const same = ran.length === expected.length && ran.every((step, i) => step === expected[i]);
            return same ? [] : [`compensated ${stepNames(ran)}; expected ${stepNames(expected)}`];
        },
    },
];

/** Checks every invariant over every saga. */
export function checkInvariants(trips: TripEvidence[], model: SagaModel): ChaosCheck {
    const views = trips.map(view);
    const outcomes: Record<string, number> = {};
    for (const trip of views) outcomes[trip.outcome] = (outcomes[trip.outcome] ?? 0) + 1;
    const failureRecords = { leftData: 0, leftNothing: 0 };
    for (const trip of views) {
        for (const step of model.filter((s) => trip.failureRecords.includes(s.name))) failureRecords[trip.leftData(step) ? "leftData" : "leftNothing"] += 1;
    }
    const invariants = CHECKS.map(({ name, appliesTo, check }) => {
        const applicable = views.filter(appliesTo);
        const violations = applicable.flatMap((trip) => check(trip, model).map((message) => ({ tripId: trip.tripId, message })));
        return { name, checked: applicable.length, violations };
    });
    return { outcomes, failureRecords, invariants };
}

function view(trip: TripEvidence): Trip {
    const execution = trip.execution;
    const outcome = execution ? outcomeOf(execution.status as Parameters<typeof outcomeOf>[0], execution.error) : "no execution";
    const recordsOf = (step: StepModel) => trip.records.filter((record) => isOf(record, step));
    const entered = new Set(execution?.statesEntered ?? []);
    return {
        ...trip,
        outcome,
        recordsOf,
        leftData: (step) => recordsOf(step).some((record) => LIVE_STATUSES.includes(record.transaction_status)),
        entered: (state) => entered.has(state),
    };
}

const isOf = (record: Record<string, string>, step: StepModel) => record.sk?.startsWith(`${step.recordType}#`);
const statusesOf = (trip: Trip, step: StepModel) => {
    const statuses = trip.recordsOf(step).map((record) => record.transaction_status);
    return statuses.length > 0 ? statuses.join(" and ") : "absent";
};

function unknownSteps(trip: Trip, model: SagaModel): string[] {
    return trip.failureRecords.filter((name) => !model.some((step) => step.name === name)).map((name) => `the failure queue names "${name}", no step of this saga`);
}

/** Whether the step's reserve did its write as far as the history shows: it succeeded, or failed only after writing. */
function wasWritten(trip: Trip, step: StepModel): boolean {
    return (trip.execution?.attempts ?? []).some((a) => a.state === step.reserveState && (a.error === undefined || a.error === ChaosErrors.failedAfterWrite));
}

/** The steps whose compensation the execution entered, in the order it entered them. */
function compensationsRun(trip: Trip, model: SagaModel): StepModel[] {
    return (trip.execution?.statesEntered ?? []).flatMap((state) => model.filter((step) => step.cancelStates.includes(state)));
}

/**
 * The compensations a saga must run: none when it succeeded; after a failed reserve, that step's
 * and every earlier one's, newest first; after a failed confirm, every step's, newest first.
 */
function expectedCompensations(trip: Trip, model: SagaModel): StepModel[] {
    if (trip.outcome === SagaOutcomes.succeeded) return [];
    const forward = new Set(model.flatMap((step) => [step.reserveState, ...(step.confirmState ? [step.confirmState] : [])]));
    // Forward states are entered only before the first compensation: the last one entered failed.
    const failedAt = (trip.execution?.statesEntered ?? []).filter((state) => forward.has(state)).pop();
    if (failedAt === undefined) return [];
    const reserve = model.findIndex((step) => step.reserveState === failedAt);
    return model.slice(0, reserve >= 0 ? reserve + 1 : model.length).reverse();
}
