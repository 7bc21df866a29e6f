// Whether an EventBridge event pattern matches an event. Pure; one matcher for the policy pack
// (which rules catch which status changes) and the local cloud's EventBridge (local/events/service.ts).
//
// The pattern language as EventBridge documents it: a field's list of matchers matches when any
// one does (against an array value, any element); an object nests; `$or` holds alternative
// patterns. Matchers: literal values (strings, numbers, booleans, null), `prefix`, `suffix`,
// `equals-ignore-case`, `anything-but` (a value, a list, or a prefix/suffix/equals-ignore-case),
// `exists`, `wildcard` and `numeric`. Any other (`cidr`) matches nothing here.

/** Whether a rule or target names the default event bus (by name, ARN, or not at all): only it receives the AWS services' events. */
export const isDefaultBus = (bus: unknown) => bus === undefined || bus === "default" || (typeof bus === "string" && /:event-bus\/default$/.test(bus));

/** A rule's `eventPattern` (JSON text, or already an object) as an object; undefined when it is none. */
export function parseEventPattern(value: unknown): Record<string, unknown> | undefined {
    let parsed = value;
    if (typeof value === "string") {
        try {
            parsed = JSON.parse(value);
        } catch {
            return undefined;
        }
    }
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** Whether an EventBridge event pattern matches an event. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
    return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    // Own fields only: a pattern may name `constructor`, which every object inherits.
    const field = (key: string) => (Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined);
    return Object.entries(pattern).every(([key, sub]) => {
        if (key === "$or") return Array.isArray(sub) && sub.some((alternative) => isObject(alternative) && matchObject(alternative, value));
        if (Array.isArray(sub)) return sub.some((matcher) => matchOne(matcher, field(key)));
        if (isObject(sub)) return matchObject(sub, field(key));
        return false;
    });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** One matcher of a field's list against the field's value (undefined: the event has no such field). */
function matchOne(matcher: unknown, value: unknown): boolean {
    const values = Array.isArray(value) ? value : [value];
    if (!isObject(matcher)) return value !== undefined && values.some((v) => v === matcher);
    const [operator, argument] = Object.entries(matcher)[0] ?? [];
    if (operator === "exists") return argument === (value !== undefined);
    if (value === undefined) return false;
    if (operator === "anything-but") return values.some((v) => !excludedBy(argument, v));
    return values.some((v) => test(operator, argument, v));
}

function excludedBy(argument: unknown, value: unknown): boolean {
    if (Array.isArray(argument)) return argument.includes(value);
    if (isObject(argument)) {
        const [operator, inner] = Object.entries(argument)[0] ?? [];
        return test(operator, inner, value);
    }
    return argument === value;
}

function test(operator: string | undefined, argument: unknown, value: unknown): boolean {
    switch (operator) {
        case "prefix":
            return typeof value === "string" && typeof argument === "string" && value.startsWith(argument);
        case "suffix":
            return typeof value === "string" && typeof argument === "string" && value.endsWith(argument);
        case "equals-ignore-case":
            return typeof value === "string" && typeof argument === "string" && value.toLowerCase() === argument.toLowerCase();
        case "wildcard":
            return typeof value === "string" && typeof argument === "string" && wildcard(argument).test(value);
        case "numeric":
            return typeof value === "number" && Array.isArray(argument) && numeric(argument, value);
        default:
            return false;
    }
}

const wildcard = (pattern: string) => new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

function numeric(conditions: unknown[], value: number): boolean {
    for (let i = 0; i + 1 < conditions.length; i += 2) {
        const [operator, bound] = [conditions[i], conditions[i + 1]];
        if (typeof bound !== "number") return false;
        const ok = { "=": value === bound, "<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound }[String(operator)];
        if (!ok) return false;
    }
    return conditions.length > 0;
}
