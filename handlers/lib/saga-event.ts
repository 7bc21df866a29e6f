// The event every step Lambda receives is the execution's state: the saga input, plus what the
// state machine recorded under SAGA_STATE_KEY once something failed. Validated here, at the edge.
import { SAGA_STATE_KEY } from "../../components/model/conventions";

/** An error as Step Functions records it in the state: `Cause` is the Lambda's JSON error. */
export interface RecordedError {
    Error: string;
    Cause?: string;
}

/** What the state machine writes into the execution state when a saga goes wrong. */
export interface SagaState {
    failure?: RecordedError;
    compensationFailures?: Record<string, RecordedError>;
}

/** The fields every saga's input may carry besides its own. */
export interface SagaEvent {
    /** Failure injection: honoured only when SAGA_FAILURE_INJECTION is "true". */
    run_type?: string;
    [SAGA_STATE_KEY]?: SagaState;
}

/** The event lacks a field the action needs, or a field is malformed. */
export class InvalidInput extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidInput";
    }
}

/**
 * What a saga id may look like: it becomes the execution name (at most 80 characters) and the
 * table's partition key, so keep it short and free of characters that need escaping.
 */
export const SAGA_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const SAGA_ID_RULE = "1 to 64 letters, digits, '-' or '_'";

/** The saga id in `field` of the event, validated. */
export function requireSagaId(event: unknown, field: string, action: string): string {
    const value = fieldOf(event, field);
    if (typeof value !== "string" || !SAGA_ID_PATTERN.test(value)) {
        throw new InvalidInput(`${action} needs \`${field}\` in its input: ${SAGA_ID_RULE}; got ${describeValue(value)}.`);
    }
    return value;
}

/** The named string fields of the event; throws one error that lists every missing one. */
export function requireStrings<K extends string>(event: unknown, fields: readonly K[], action: string): Record<K, string> {
    const missing = fields.filter((field) => {
        const value = fieldOf(event, field);
        return typeof value !== "string" || value === "";
    });
    if (missing.length > 0) {
        throw new InvalidInput(`${action} needs non-empty strings in its input for: ${missing.map((f) => `\`${f}\``).join(", ")}.`);
    }
    return Object.fromEntries(fields.map((field) => [field, fieldOf(event, field)])) as Record<K, string>;
}

/** The event's run type when it has one (any other shape counts as none). */
export function runTypeOf(event: unknown): string | undefined {
    const value = fieldOf(event, "run_type");
    return typeof value === "string" ? value : undefined;
}

/** The forward failure the saga is compensating for, if any. */
export function sagaFailureOf(event: unknown): RecordedError | undefined {
    const state = fieldOf(event, SAGA_STATE_KEY);
    const failure = typeof state === "object" && state !== null ? (state as SagaState).failure : undefined;
    return typeof failure?.Error === "string" ? failure : undefined;
}

function fieldOf(event: unknown, field: string): unknown {
    return typeof event === "object" && event !== null ? (event as Record<string, unknown>)[field] : undefined;
}

function describeValue(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
