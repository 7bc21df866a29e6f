// The one error of a bad argument, and the range check most options share. Imports nothing, so a
// handler bundle that checks its settings stays small.

/** A SagaComponent argument that cannot work; the message names it and says what to fix. */
export class SagaValidationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SagaValidationError";
    }
}

/** Checks a number option against its range; the message names the option (in backticks) and the range. */
export function inRange(label: string, value: unknown, range: { min: number; max?: number; whole?: boolean }): void {
    const ok =
        typeof value === "number" &&
        Number.isFinite(value) &&
        (!range.whole || Number.isInteger(value)) &&
        value >= range.min &&
        value <= (range.max ?? Infinity);
    if (!ok) {
        const kind = range.whole ? "a whole number" : "a number";
        const bounds = range.max === undefined ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
        throw new SagaValidationError(`\`${label}\` must be ${kind} ${bounds}.`);
    }
}
