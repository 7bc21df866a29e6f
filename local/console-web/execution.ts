// What the console makes of an execution, from what the Step Functions API answers about it:
// the states it entered, with their attempts, inputs and outputs, from GetExecutionHistory (its
// outcome is the model's outcomeOf, components/model/outcomes.ts; the saga's, after a repair, the
// status route's report). Pure (no DOM).
import { enteredStateOf, SagaOutcome } from "../../components/model/outcomes";

export type { SagaOutcome } from "../../components/model/outcomes";

/** Each outcome of a saga (the model's SagaOutcomes) as the page names it, in the order its filter lists them. */
export const OUTCOME_LABELS: Record<SagaOutcome, string> = {
    running: "running",
    succeeded: "succeeded",
    rolled_back: "rolled back",
    compensation_failed: "compensation failed",
    failed: "failed",
    aborted: "aborted",
    timed_out: "timed out",
    repairing: "repairing",
    needs_attention: "needs attention",
};

/** What the status route reports of a saga (handlers/lib/status.ts `summarize`), the fields the console shows. */
export interface StatusReport {
    outcome: SagaOutcome;
    /** The execution's own outcome, when a repair took over. */
    repairedFrom: SagaOutcome | null;
    repairedAt: string | null;
    needsAttention: unknown;
}

/** The saga's outcome as the status route reports it, worded: "rolled back late" once a repair rolled it back. */
export function reportLabel(report: StatusReport): string {
    return report.outcome === "rolled_back" && report.repairedFrom !== null ? "rolled back late" : (OUTCOME_LABELS[report.outcome] ?? report.outcome);
}

/**
 * Whether the report is the saga's last word: succeeded, rolled back (at once or by its repair),
 * or left to a person. Any other may still change (a repair starts after a failed execution).
 */
export function isFinal(report: StatusReport): boolean {
    return report.outcome === "succeeded" || report.outcome === "rolled_back" || report.outcome === "needs_attention";
}

/** An event of GetExecutionHistory, as the API answers it (timestamps in epoch seconds). */
export interface HistoryEvent {
    id: number;
    type: string;
    timestamp: number;
    [details: string]: unknown;
}

/** One call of a Task: a retry is another attempt. Times in epoch milliseconds. */
export interface Attempt {
    startedAt: number;
    endedAt?: number;
    error?: string;
    cause?: string;
    /** The Lambda function a lambda:invoke Task called, and the event it sent it (JSON text). */
    functionName?: string;
    event?: string;
}

/**
 * - succeeded: left normally; caught: its error went to a Catch, the run went on;
 * - failed: the run failed in it (an error nothing caught, or a Fail state);
 * - aborted / timed_out: the run was stopped, or ran out of time, in it; running: still in it.
 */
export type VisitResult = "running" | "succeeded" | "caught" | "failed" | "aborted" | "timed_out";

/** Each result as the page words it. */
export const VISIT_RESULT_LABELS: Record<VisitResult, string> = {
    running: "running",
    succeeded: "succeeded",
    caught: "failed, caught",
    failed: "failed",
    aborted: "aborted",
    timed_out: "timed out",
};

/** One entry into a state. */
export interface Visit {
    /** 1 for the first state entered. */
    order: number;
    name: string;
    type: string;
    enteredAt: number;
    exitedAt?: number;
    attempts: Attempt[];
    result: VisitResult;
    /** The state's input and output as the history gives them (JSON text); absent when not recorded. */
    input?: string;
    output?: string;
}

const ms = (seconds: number) => Math.round(seconds * 1000);
const details = (event: HistoryEvent, key: string) => (event[key] ?? {}) as Record<string, unknown>;
const optionalString = (value: unknown) => (typeof value === "string" ? value : undefined);

/** The states an execution entered, in order, from its history events (in the API's order). */
export function visitsOf(events: HistoryEvent[]): Visit[] {
    const visits: Visit[] = [];
    const current = () => visits.at(-1);
    const lastAttempt = () => current()?.attempts.at(-1);
    const endAttempt = (event: HistoryEvent, key: string) => {
        const attempt = lastAttempt();
        if (!attempt) return;
        const { error, cause } = details(event, key);
        Object.assign(attempt, { endedAt: ms(event.timestamp) }, error !== undefined ? { error: String(error), cause: optionalString(cause) } : {});
    };
    const stopIn = (result: VisitResult, at: number) => {
        const visit = current();
        if (visit && visit.exitedAt === undefined) Object.assign(visit, { result, exitedAt: at });
    };
    for (const event of events) {
        const at = ms(event.timestamp);
        const entered = enteredStateOf(event);
        if (entered !== undefined) {
            const { input } = details(event, "stateEnteredEventDetails");
            const visit: Visit = { order: visits.length + 1, name: entered, type: event.type.slice(0, -"StateEntered".length), enteredAt: at, attempts: [], result: "running" };
            if (typeof input === "string") visit.input = input;
            visits.push(visit);
        } else if (event.type.endsWith("StateExited")) {
            const visit = current();
            const { output } = details(event, "stateExitedEventDetails");
            if (visit) Object.assign(visit, { exitedAt: at, result: lastAttempt()?.error !== undefined ? "caught" : "succeeded" }, typeof output === "string" ? { output } : {});
        } else if (event.type === "TaskScheduled") {
            current()?.attempts.push({ startedAt: at, ...invokedBy(details(event, "taskScheduledEventDetails")) });
        } else if (event.type === "TaskSucceeded") {
            endAttempt(event, "taskSucceededEventDetails");
        } else if (event.type === "TaskFailed") {
            endAttempt(event, "taskFailedEventDetails");
        } else if (event.type === "TaskTimedOut") {
            endAttempt(event, "taskTimedOutEventDetails");
        } else if (event.type === "ExecutionSucceeded") {
            stopIn("succeeded", at);
        } else if (event.type === "ExecutionFailed") {
            stopIn("failed", at);
        } else if (event.type === "ExecutionAborted") {
            stopIn("aborted", at);
        } else if (event.type === "ExecutionTimedOut") {
            stopIn("timed_out", at);
        }
    }
    return visits;
}

/** The function and event of a lambda:invoke Task's attempt, from its TaskScheduled parameters. */
function invokedBy(scheduled: Record<string, unknown>): Pick<Attempt, "functionName" | "event"> {
    if (scheduled.resourceType !== "lambda" || scheduled.resource !== "invoke" || typeof scheduled.parameters !== "string") return {};
    const parameters = parsed(scheduled.parameters) as { FunctionName?: unknown; Payload?: unknown };
    if (typeof parameters !== "object" || parameters === null || typeof parameters.FunctionName !== "string") return {};
    // A name, a partial ARN or an ARN, maybe with a version or alias: the function's name.
    const name = /(?:^|:function:)([\w-]+)(?::[^:]+)?$/.exec(parameters.FunctionName)?.[1] ?? parameters.FunctionName;
    return { functionName: name, event: JSON.stringify(parameters.Payload ?? null) };
}

const TRACE_KEYS = new Set(["trace", "stackTrace", "stack"]);

/** A JSON text's value, or the text itself when it is not JSON. */
function parsed(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * A value of a cause, to read on a line: a function's error as `errorType: errorMessage`, a
 * caught one (`{ Error, Cause }`) as its error and cause, any other object as its fields; JSON in
 * strings is read too, and stack traces are left out (the page offers the whole cause apart).
 */
function readable(value: unknown): string {
    if (typeof value === "string") {
        const inner = parsed(value);
        return typeof inner === "object" && inner !== null ? readable(inner) : value;
    }
    if (typeof value !== "object" || value === null) return String(value);
    if (Array.isArray(value)) return value.map(readable).join("; ");
    const fields = value as Record<string, unknown>;
    if (typeof fields.errorMessage === "string") return typeof fields.errorType === "string" ? `${fields.errorType}: ${fields.errorMessage}` : fields.errorMessage;
    if (typeof fields.Error === "string") return errorLine(fields.Error, fields.Cause === undefined ? undefined : typeof fields.Cause === "string" ? fields.Cause : JSON.stringify(fields.Cause));
    return Object.entries(fields)
        .filter(([key]) => !TRACE_KEYS.has(key))
        .map(([key, nested]) => `${key}: ${readable(nested)}`)
        .join("; ");
}

/** An execution's or an attempt's cause, to read (see `readable`); "" when there is none. */
export function readableCause(cause: string | undefined): string {
    return cause === undefined || cause === "" ? "" : readable(cause);
}

/** An error and its cause on one line, the error named once: "PaymentFailed: Failure injected ...". */
export function errorLine(error: string, cause: string | undefined): string {
    const text = readableCause(cause);
    if (text === "" || text === error) return error;
    return text.startsWith(`${error}: `) ? text : `${error}: ${text}`;
}

const isErrorValue = (value: unknown) => {
    const fields = typeof value === "string" ? parsed(value) : value;
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) return false;
    const record = fields as Record<string, unknown>;
    return typeof record.Error === "string" || typeof record.errorType === "string" || typeof record.errorMessage === "string";
};

/**
 * A cause in lines: the saga's summary of failed compensations (`{ failure, compensationFailures:
 * { Hotel: {...}, Flight: {...} } }`) one line per failed step ("Hotel: Boom: No."), any other
 * object one line per field, anything else one line.
 */
export function causeLines(cause: string | undefined): string[] {
    if (cause === undefined || cause === "") return [];
    const value = parsed(cause);
    if (typeof value !== "object" || value === null || Array.isArray(value) || isErrorValue(value)) return [readable(value)];
    return Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !TRACE_KEYS.has(key))
        .flatMap(([key, nested]) => {
            const inner = typeof nested === "string" ? parsed(nested) : nested;
            const byStep = typeof inner === "object" && inner !== null && !Array.isArray(inner) && !isErrorValue(inner) && Object.values(inner).every(isErrorValue);
            return byStep ? Object.entries(inner as Record<string, unknown>).map(([step, error]) => `${key} › ${step}: ${readable(error)}`) : [`${key}: ${readable(nested)}`];
        });
}

/** The states retried in a run: each with its attempts and how many of them failed. */
export function retriesOf(visits: Visit[]): { name: string; attempts: number; failed: number }[] {
    const byName = new Map<string, { name: string; attempts: number; failed: number }>();
    for (const visit of visits) {
        if (visit.attempts.length < 2) continue;
        const entry = byName.get(visit.name) ?? { name: visit.name, attempts: 0, failed: 0 };
        entry.attempts += visit.attempts.length;
        entry.failed += visit.attempts.filter((attempt) => attempt.error !== undefined).length;
        byName.set(visit.name, entry);
    }
    return [...byName.values()];
}
