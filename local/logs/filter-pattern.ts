// CloudWatch Logs' filter patterns (FilterLogEvents' filterPattern), the part of their syntax the
// local cloud reads:
//   ""                              every event
//   ERROR "Task Failed" -DEBUG      terms: each must occur (a quoted one as written), a `-` one must not
//   ?ERROR ?WARN                    any of the `?` terms
//   { $.type = "ExecutionFailed" }  JSON events: a field (dotted path) compared with = or != to a
//                                   string (quoted, `*` matching any run of characters) or a number,
//                                   comparisons joined by && and || (&& first), in parentheses or not
// Anything else (regular expressions, numeric ranges, space-delimited `[...]` patterns) is refused
// with InvalidParameterException, as a pattern CloudWatch Logs could not read would be: the
// local cloud says which part it does not read, rather than matching wrongly.

/** A pattern the local cloud cannot read. */
export class UnreadablePattern extends Error {}

export function compileFilterPattern(pattern: string | undefined): (message: string) => boolean {
    const text = (pattern ?? "").trim();
    if (text === "") return () => true;
    if (text.startsWith("{")) return jsonPattern(text);
    if (text.startsWith("[") || text.startsWith("%")) throw new UnreadablePattern(`The local cloud reads term and JSON filter patterns, not ${text.startsWith("[") ? "space-delimited ([...])" : "regular expression (%...%)"} ones: ${text}`);
    return termPattern(text);
}

function termPattern(text: string): (message: string) => boolean {
    const terms = [...text.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)].map(([, sign, quoted, bare]) => ({ sign, term: quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : bare }));
    const any = terms.filter((t) => t.sign === "?");
    const all = terms.filter((t) => t.sign === "");
    const none = terms.filter((t) => t.sign === "-");
    return (message) =>
        all.every((t) => message.includes(t.term)) && none.every((t) => !message.includes(t.term)) && (any.length === 0 || any.some((t) => message.includes(t.term)));
}

type Test = (value: Record<string, unknown>) => boolean;

function jsonPattern(text: string): (message: string) => boolean {
    if (!text.endsWith("}")) throw new UnreadablePattern(`A JSON filter pattern ends with "}": ${text}`);
    const test = parseOr(tokens(text.slice(1, -1)), text);
    return (message) => {
        let parsed: unknown;
        try {
            parsed = JSON.parse(message);
        } catch {
            return false;
        }
        return typeof parsed === "object" && parsed !== null && test(parsed as Record<string, unknown>);
    };
}

function tokens(body: string): string[] {
    const found = body.match(/"(?:[^"\\]|\\.)*"|&&|\|\||!=|=|\(|\)|[^\s()=!&|"]+/g) ?? [];
    return found;
}

function parseOr(input: string[], whole: string): Test {
    const state = { at: 0 };
    const test = or(input, state, whole);
    if (state.at !== input.length) throw new UnreadablePattern(`Could not read the filter pattern past "${input.slice(state.at).join(" ")}": ${whole}`);
    return test;
}

function or(input: string[], state: { at: number }, whole: string): Test {
    const parts = [and(input, state, whole)];
    while (input[state.at] === "||") {
        state.at += 1;
        parts.push(and(input, state, whole));
    }
    return (value) => parts.some((part) => part(value));
}

function and(input: string[], state: { at: number }, whole: string): Test {
    const parts = [comparison(input, state, whole)];
    while (input[state.at] === "&&") {
        state.at += 1;
        parts.push(comparison(input, state, whole));
    }
    return (value) => parts.every((part) => part(value));
}

function comparison(input: string[], state: { at: number }, whole: string): Test {
    if (input[state.at] === "(") {
        state.at += 1;
        const inner = or(input, state, whole);
        if (input[state.at] !== ")") throw new UnreadablePattern(`A "(" is not closed in the filter pattern: ${whole}`);
        state.at += 1;
        return inner;
    }
    const [field, operator, raw] = input.slice(state.at, state.at + 3);
    if (!field?.startsWith("$.") || (operator !== "=" && operator !== "!=") || raw === undefined) {
        throw new UnreadablePattern(`The local cloud reads JSON comparisons of the form $.field = "value" (or !=, joined by && and ||): ${whole}`);
    }
    state.at += 3;
    const path = field.slice(2).split(".");
    const expected = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    const numeric = !raw.startsWith('"') && raw !== "" && !Number.isNaN(Number(raw));
    const wildcard = new RegExp(`^${expected.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    const equals = (value: Record<string, unknown>) => {
        // Own members only: `$.constructor` names no field of an event that has none.
        const found = path.reduce<unknown>((node, key) => (typeof node === "object" && node !== null && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined), value);
        if (found === undefined || found === null) return false;
        return numeric ? Number(found) === Number(expected) : wildcard.test(String(found));
    };
    return operator === "=" ? equals : (value) => !equals(value);
}
