// What the user watches in the console: one line per saga event as it happens (the execution
// name is the saga id, e.g. the trip id): started, each state entered, each failed attempt and
// its retry, the outcome, for the saga's execution and for its repair; and the functions' own log
// lines, with the function's name.
import { SagaErrors } from "../components/model/conventions";
import type { ExecutionRecord } from "./sfn/record";
import type { EngineEvent } from "./sfn/history";

type RetryEvent = EngineEvent & { retry?: { attempt: number; retrier: { MaxAttempts?: number } } };

/** What a saga's Fail state means, for the outcome line. */
const OUTCOMES: Record<string, string> = {
    [SagaErrors.RolledBack]: "ROLLED BACK: every completed step was compensated",
    [SagaErrors.CompensationFailed]: "COMPENSATION FAILED: data may be left behind, recorded on the failure queue (GET /_local/queues); its repair takes over",
    [SagaErrors.NeedsAttention]: "NEEDS ATTENTION: a compensation still failed at the repair horizon, on the needs-attention queue (GET /_local/queues)",
};

/**
 * The lines of each execution's events; `isRepair` tells a repair machine's (it ends a saga late)
 * from a saga's. A repair retries each compensation up to its horizon (35 times for 24 hours):
 * its first failure is shown, then one line when the compensation ends (succeeded after n failed
 * attempts, or still failing past the horizon), not one per retry.
 */
export function sagaLogger(log: (line: string) => void, isRepair: (stateMachineArn: string) => boolean): (execution: ExecutionRecord, event: EngineEvent) => void {
    // A repair's failed attempts so far, per execution and state.
    const failures = new Map<string, Map<string, { count: number; error: string }>>();
    return (execution, event) => {
        const repair = isRepair(execution.stateMachineArn);
        const saga = `${repair ? "repair of saga" : "saga"} ${execution.name}`;
        const elapsed = () => `${Date.now() - execution.startDate.getTime()} ms`;
        const stateName = event.state?.name ?? "";
        if (repair) {
            const states = failures.get(execution.executionArn) ?? failures.set(execution.executionArn, new Map()).get(execution.executionArn)!;
            const failed = states.get(stateName);
            switch (event.type) {
                case "StateFailed":
                    if (event.state?.type !== "Task") return;
                    states.set(stateName, { count: (failed?.count ?? 0) + 1, error: String(event.Error) });
                    return failed ? undefined : log(`${saga}   x  ${stateName} failed: ${event.Error}; retrying until it succeeds or its horizon ends (one line when it does)`);
                case "StateRetried":
                    return;
                case "StateExited":
                    if (!failed) return;
                    states.delete(stateName);
                    return log(`${saga}   ~  ${stateName} succeeded after ${failed.count} failed attempt${failed.count === 1 ? "" : "s"}`);
                case "StateCaught":
                    if (!failed) return;
                    states.delete(stateName);
                    return log(`${saga}   x  ${stateName} still failed after ${failed.count} attempts (${failed.error}): past the horizon, a person must act`);
                case "ExecutionSucceeded":
                case "ExecutionFailed":
                case "ExecutionAborted":
                case "ExecutionTimeout":
                    failures.delete(execution.executionArn);
            }
        }
        switch (event.type) {
            case "ExecutionStarted":
                return log(`${saga} started on ${execution.stateMachineArn.split(":").pop()}`);
            case "StateEntered":
                return log(`${saga}   -> ${stateName}`);
            case "StateFailed":
                if (event.state?.type !== "Task") return;
                return log(`${saga}   x  ${stateName} failed: ${event.Error}`);
            case "StateRetried": {
                const { attempt, retrier } = (event as RetryEvent).retry ?? { attempt: 0, retrier: {} };
                return log(`${saga}   ~  retrying ${stateName} (retry ${attempt} of ${retrier.MaxAttempts ?? 3})`);
            }
            case "ExecutionSucceeded":
                return log(`${saga} ${repair ? "ROLLED BACK, late: every compensation repaired" : "SUCCEEDED"} in ${elapsed()}`);
            case "ExecutionFailed": {
                const outcome = OUTCOMES[String(event.Error)] ?? `FAILED: ${event.Error}`;
                return log(`${saga} ${outcome} (${event.Error}, ${elapsed()})`);
            }
            case "ExecutionAborted":
                return log(`${saga} ABORTED after ${elapsed()}`);
            case "ExecutionTimeout":
                return log(`${saga} TIMED OUT after ${elapsed()}`);
        }
    };
}

/**
 * A function's log line: its name, then the line. The saga handlers write JSON lines (timestamp,
 * level, message, fields); those are shortened to `LEVEL message {fields}`, others shown as written.
 */
export function formatFunctionLog(functionName: string, line: string): string {
    return `  fn ${functionName}: ${readable(line)}`;
}

function readable(line: string): string {
    if (!line.startsWith("{")) return line;
    try {
        const { timestamp: _timestamp, level, message, ...fields } = JSON.parse(line) as Record<string, unknown>;
        if (typeof message !== "string") return line;
        const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
        return `${String(level ?? "").toUpperCase()} ${message}${rest}`.trim();
    } catch {
        return line;
    }
}
