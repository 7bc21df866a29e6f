// A static reading of any Amazon States Language definition: which states the success path runs,
// where each error goes, which paths a failure takes, and the one run a given set of failing
// states makes (`walk`, which the definition tests use). Pure: no Pulumi, no AWS.
//
// Only the top level is read: the branches of Parallel and Map states are not entered.

import { OUTCOME_RECORD_COMMENT } from "./conventions";

export type AslState = Record<string, unknown>;
export interface Asl {
    StartAt: string;
    States: Record<string, AslState>;
}

export interface Catcher {
    ErrorEquals: string[];
    Next: string;
}

/** Parses a definition given as JSON text (or already parsed); a message when it is not one. */
export function parseAsl(definition: unknown): Asl | { error: string } {
    let value = definition;
    if (typeof definition === "string") {
        try {
            value = JSON.parse(definition);
        } catch (error) {
            return { error: `is not valid JSON (${(error as Error).message})` };
        }
    }
    const asl = value as Partial<Asl> | null;
    if (typeof asl !== "object" || asl === null || typeof asl.StartAt !== "string" || typeof asl.States !== "object" || asl.States === null) {
        return { error: "has no `StartAt` and `States`" };
    }
    return asl as Asl;
}

export const isTask = (state: AslState | undefined) => state?.Type === "Task";

/** A Task that sends a message to SQS: the durable record of a failure. */
export const isQueueRecord = (state: AslState | undefined) =>
    isTask(state) && typeof state?.Resource === "string" && state.Resource.startsWith("arn:aws:states:::sqs:sendMessage");

/**
 * A Task that records a saga's outcome in its table (an EXPRESS machine's, see
 * components/model/definition.ts): bookkeeping, like a queue record, neither a step nor a compensation.
 */
export const isOutcomeRecord = (state: AslState | undefined) => isTask(state) && state?.Comment === OUTCOME_RECORD_COMMENT;

/** A Task that records (a failure in a queue, an outcome in the table) rather than acts. */
export const isRecord = (state: AslState | undefined) => isQueueRecord(state) || isOutcomeRecord(state);

/** Where a state goes when it does not fail: Next, or every branch of a Choice. */
export function normalNext(state: AslState): string[] {
    if (state.Type === "Choice") {
        const choices = Array.isArray(state.Choices) ? (state.Choices as { Next?: unknown }[]) : [];
        const targets = [...choices.map((choice) => choice.Next), state.Default];
        return [...new Set(targets.filter((target): target is string => typeof target === "string"))];
    }
    return typeof state.Next === "string" ? [state.Next] : [];
}

export function catchersOf(state: AslState): Catcher[] {
    const catchers = Array.isArray(state.Catch) ? (state.Catch as Partial<Catcher>[]) : [];
    return catchers.filter((c): c is Catcher => typeof c.Next === "string" && Array.isArray(c.ErrorEquals));
}

/** The catcher of every error, if any. */
export const catchAllOf = (state: AslState) => catchersOf(state).find((c) => c.ErrorEquals.includes("States.ALL"));

/** How a run ends when it reaches this state without failing, if the state ends it. */
function endOf(state: AslState): "failed" | "succeeded" | undefined {
    if (state.Type === "Fail") return "failed";
    if (state.Type === "Succeed" || state.End === true) return "succeeded";
    return undefined;
}

export type PathEnd =
    | { kind: "failed"; state: string }
    | { kind: "succeeded"; state: string }
    /** A state that fails (see `pathsFrom`) and has no Catch on States.ALL: the run fails there. */
    | { kind: "uncaught"; state: string }
    | { kind: "missing"; state: string }
    | { kind: "loop"; state: string };

export interface Path {
    /** The states entered, in order, from the first one given to the last. */
    states: string[];
    end: PathEnd;
}

const MAX_PATHS = 256;
const NONE: ReadonlySet<string> = new Set();

/**
 * Every path a run takes from `from`, up to a bound: a Choice forks it; a state in `failing`
 * fails each time it is entered (past its retries) and goes where its Catch on States.ALL
 * leads, or ends the run; every other state does not fail. A path that comes back to a state
 * it entered ends as a loop.
 */
export function pathsFrom(asl: Asl, from: string, failing: ReadonlySet<string> = NONE): Path[] {
    const paths: Path[] = [];
    const visit = (name: string, entered: string[]): void => {
        if (paths.length >= MAX_PATHS) return;
        if (entered.includes(name)) return void paths.push({ states: entered, end: { kind: "loop", state: name } });
        const state = asl.States[name];
        if (!state) return void paths.push({ states: entered, end: { kind: "missing", state: name } });
        const here = [...entered, name];
        if (failing.has(name)) {
            const catcher = catchAllOf(state);
            return catcher ? visit(catcher.Next, here) : void paths.push({ states: here, end: { kind: "uncaught", state: name } });
        }
        const end = endOf(state);
        if (end) return void paths.push({ states: here, end: { kind: end, state: name } });
        const next = normalNext(state);
        if (next.length === 0) return void paths.push({ states: here, end: { kind: "missing", state: name } });
        next.forEach((target) => visit(target, here));
    };
    visit(from, []);
    return paths;
}

/**
 * The states one run enters from StartAt when the states in `failing` fail (see `pathsFrom`).
 * Throws when there is no single such run: a Choice forks it, it loops, or it reaches a missing
 * state or one it cannot leave.
 */
export function walk(asl: Asl, failing: ReadonlySet<string> = NONE): string[] {
    const paths = pathsFrom(asl, asl.StartAt, failing);
    if (paths.length !== 1) throw new Error(`The run forks into ${paths.length} paths: ${paths.map((p) => p.states.join(" -> ")).join("; ")}`);
    const [{ states, end }] = paths;
    if (end.kind === "loop") throw new Error(`The definition loops: ${[...states, end.state].join(" -> ")}`);
    if (end.kind === "missing") {
        const last = states.at(-1);
        if (last === end.state) throw new Error(`"${last}" neither ends the run nor names a next state.`);
        throw new Error(`${last === undefined ? "StartAt" : `"${last}"`} leads to the missing state "${end.state}".`);
    }
    return states;
}

/** Every state reachable from StartAt by following `next` (missing states are skipped). */
function closure(asl: Asl, next: (state: AslState) => string[]): Set<string> {
    const seen = new Set<string>();
    const pending = [asl.StartAt];
    while (pending.length > 0) {
        const name = pending.pop() as string;
        const state = asl.States[name];
        if (seen.has(name) || !state) continue;
        seen.add(name);
        pending.push(...next(state));
    }
    return seen;
}

/** States reachable from StartAt, through normal transitions and catchers alike. */
export function reachable(asl: Asl): Set<string> {
    return closure(asl, (state) => [...normalNext(state), ...catchersOf(state).map((c) => c.Next)]);
}

/**
 * The states of the success path: reachable from StartAt without failing, and able to reach a
 * successful end without failing.
 */
export function successStates(asl: Asl): Set<string> {
    const forwardReach = closure(asl, normalNext);
    const succeeds = new Set<string>([...forwardReach].filter((name) => endOf(asl.States[name]) === "succeeded"));
    let grew = true;
    while (grew) {
        grew = false;
        for (const name of forwardReach) {
            if (!succeeds.has(name) && normalNext(asl.States[name]).some((next) => succeeds.has(next))) {
                succeeds.add(name);
                grew = true;
            }
        }
    }
    return succeeds;
}

/** The Tasks of the success path, in the order a run meets them (depth first, Next before Choice branches). */
export function forwardTasks(asl: Asl): string[] {
    const onSuccessPath = successStates(asl);
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
        if (seen.has(name) || !onSuccessPath.has(name)) return;
        seen.add(name);
        if (isTask(asl.States[name])) order.push(name);
        normalNext(asl.States[name]).forEach(visit);
    };
    visit(asl.StartAt);
    return order;
}

/** What a Task calls: the Lambda function it invokes, else its resource and parameters. */
export function taskTarget(state: AslState): string {
    const resource = typeof state.Resource === "string" ? state.Resource : "";
    if (resource.startsWith("arn:aws:states:::lambda:invoke")) {
        const parameters = (state.Parameters ?? state.Arguments) as Record<string, unknown> | undefined;
        const name = parameters?.FunctionName;
        if (typeof name === "string") return name;
    }
    if (resource.startsWith("arn:aws:lambda:")) return resource;
    return `${resource} ${JSON.stringify(state.Parameters ?? state.Arguments ?? {})}`;
}

/** The function a Task invokes (name or ARN), when it invokes one. */
export function invokedFunction(state: AslState): string | undefined {
    const target = taskTarget(state);
    return target.startsWith("arn:aws:lambda:") || !target.includes(" ") ? target : undefined;
}

/** Quotes and joins state names for a message: "A", "B" and "C". */
export function list(names: readonly string[]): string {
    const quoted = names.map((name) => `"${name}"`);
    return quoted.length <= 1 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}
