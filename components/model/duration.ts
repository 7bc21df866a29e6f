// The longest an execution of a definition can run, read from the definition alone: every Task's
// attempts each lasting its TimeoutSeconds, every retry's wait, every Wait state, along the longest
// path of Next, Choice and Catch transitions. Pure; the component checks an EXPRESS saga with it
// before creating anything, and the policy pack checks any EXPRESS machine the same way.
//
// An upper bound, not an estimate: a Task is counted with all its attempts whether it then goes on
// or is caught, and FULL jitter (which only shortens a wait) is ignored.
import { Asl, AslState, catchersOf, normalNext } from "./asl";

/** Step Functions' TimeoutSeconds of a Task that sets none (AWS: 99999999 seconds). */
export const DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** An EXPRESS execution ends after 5 minutes at the latest, whatever its definition says. */
export const EXPRESS_MAX_SECONDS = 300;

type State = AslState;
type Definition = Asl;

interface Retrier {
    MaxAttempts?: number;
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
}

/** The waits of one retrier, before its retries 1..MaxAttempts (Step Functions' defaults: 3 attempts, 1 s, doubling). */
function retrierWaits(retrier: Retrier): { attempts: number; waited: number } {
    const attempts = typeof retrier.MaxAttempts === "number" ? retrier.MaxAttempts : 3;
    const interval = typeof retrier.IntervalSeconds === "number" ? retrier.IntervalSeconds : 1;
    const rate = typeof retrier.BackoffRate === "number" ? retrier.BackoffRate : 2;
    const cap = typeof retrier.MaxDelaySeconds === "number" ? retrier.MaxDelaySeconds : Infinity;
    let waited = 0;
    for (let k = 0; k < attempts; k++) waited += Math.min(interval * rate ** k, cap);
    return { attempts, waited };
}

/**
 * The longest one state can take: a Task's every attempt (one, plus each retrier's MaxAttempts:
 * each retrier counts its own) at its TimeoutSeconds, plus every wait; a Wait state's Seconds.
 */
export function stateWorstCaseSeconds(state: State): number {
    if (state.Type === "Wait") return typeof state.Seconds === "number" ? state.Seconds : Infinity;
    if (state.Type !== "Task") return 0;
    const timeout = typeof state.TimeoutSeconds === "number" ? state.TimeoutSeconds : DEFAULT_TASK_TIMEOUT_SECONDS;
    const retriers = Array.isArray(state.Retry) ? (state.Retry as Retrier[]) : [];
    const retries = retriers.map(retrierWaits);
    const attempts = 1 + retries.reduce((sum, r) => sum + r.attempts, 0);
    return attempts * timeout + retries.reduce((sum, r) => sum + r.waited, 0);
}

/** Where a state may go next: Next, every Choice branch and Default, every catcher. */
const successors = (state: State): string[] => [...new Set([...normalNext(state), ...catchersOf(state).map((catcher) => catcher.Next)])];

export interface WorstCase {
    /** Infinity when the definition can loop or a Wait has no fixed Seconds. */
    seconds: number;
    /** The states of the longest path, in order. */
    path: string[];
}

/** The longest path from StartAt and how long it can take. */
export function worstCaseDuration(definition: Definition): WorstCase {
    const memo = new Map<string, WorstCase>();
    const onPath = new Set<string>();
    const longest = (name: string): WorstCase => {
        const known = memo.get(name);
        if (known) return known;
        const state = definition.States[name];
        if (!state || onPath.has(name)) return { seconds: state ? Infinity : 0, path: [name] };
        onPath.add(name);
        const after = successors(state).map(longest).reduce<WorstCase>((best, c) => (c.seconds > best.seconds ? c : best), { seconds: 0, path: [] });
        onPath.delete(name);
        const result = { seconds: stateWorstCaseSeconds(state) + after.seconds, path: [name, ...after.path] };
        memo.set(name, result);
        return result;
    };
    return longest(definition.StartAt);
}
