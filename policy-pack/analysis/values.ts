// Property values as policies receive them, made safe to read.
//
// During a preview the engine does not know values that depend on resources still to be created
// (an ARN, a definition built from ARNs). Under the Pulumi CLI the policy SDK hands policies a
// proxy that throws on reading such a value; under Pulumi mocks or in a direct call the value is
// `undefined` or the SDK's sentinel string. `plain` turns all of these into one marker, so the
// checks work on plain data and decide themselves what an unknown value means.

// The SDK exports these at runtime but its type declarations leave them out (they are internal).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    UnknownValueError: new (sentinel: string, path: string[]) => Error;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
};

/** Stands for a value the engine does not know yet. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

const SENTINELS = new Set<unknown>([
    proxy.unknownBooleanValue,
    proxy.unknownNumberValue,
    proxy.unknownStringValue,
    proxy.unknownArrayValue,
    proxy.unknownAssetValue,
    proxy.unknownArchiveValue,
    proxy.unknownObjectValue,
]);

/** The sentinel the engine sends for an unknown string (tests use it to simulate a preview). */
export const UNKNOWN_STRING_SENTINEL = proxy.unknownStringValue;

const isUnknownValueError = (error: unknown) => error instanceof proxy.UnknownValueError;

/** Reads `get()`; an unknown value (thrown by the SDK's proxy, or a sentinel) becomes UNKNOWN. */
export function read<T>(get: () => T): T | Unknown {
    try {
        const value = get();
        return SENTINELS.has(value) ? UNKNOWN : value;
    } catch (error) {
        if (isUnknownValueError(error)) return UNKNOWN;
        throw error;
    }
}

const isPlainObject = (value: object) => {
    const prototype = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
};

/**
 * A plain copy of a property bag, with every unknown leaf replaced by UNKNOWN. Objects that are
 * not plain data (assets, archives) are kept as they are.
 */
export function plain(value: unknown): unknown {
    if (SENTINELS.has(value)) return UNKNOWN;
    if (typeof value !== "object" || value === null) return value;
    if (Array.isArray(value)) {
        return Array.from({ length: read(() => value.length) as number }, (_, i) => plain(read(() => value[i])));
    }
    if (!isPlainObject(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
        copy[key] = plain(read(() => (value as Record<string, unknown>)[key]));
    }
    return copy;
}

export type Props = Record<string, unknown>;

/** The resource's properties as plain data (see `plain`). */
export const plainProps = (props: unknown): Props => {
    const copy = plain(props);
    return typeof copy === "object" && copy !== null ? (copy as Props) : {};
};

/** A string property, or undefined when absent, unknown or not a string. */
export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A nested object property, or undefined when absent, unknown or not an object. */
export const obj = (value: unknown): Props | undefined =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Props) : undefined;

/** String tags; unknown tag values are left out. */
export function tagsOf(props: Props): Record<string, string> {
    const tags = obj(props.tags) ?? obj(props.tagsAll) ?? {};
    return Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/**
 * Thrown at the end of a check that had to skip part of its work because a value is not known
 * yet. The policy SDK reports an UnknownValueError as an advisory "can't run policy ... during
 * preview: <message>", after any violation the policy already reported, so what could be checked
 * still counts and nothing blocks a first preview.
 */
export class NotKnownYet extends proxy.UnknownValueError {
    constructor(message: string) {
        super(proxy.unknownStringValue, []);
        this.message = message;
        this.name = "NotKnownYet";
    }
}
