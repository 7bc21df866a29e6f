// The local Step Functions engine: aws-local-stepfunctions 3.0, made to behave as AWS does where
// it does not. Everything that runs a definition locally imports the engine from here.
//   - It calls Promise.withResolvers (Node 22+) in every Task state. On Node 20 (which engines no
//     longer admits, but which some still run) each Task would then throw a TypeError, and a
//     definition's Catch on States.ALL would quietly turn a success path into a rollback:
//     polyfilled only where missing, so on Node 22 and later the polyfill does nothing.
//   - Its intrinsic functions strip every backslash from a string result (meant for the escaped
//     quotes of literal arguments), so States.JsonToString of anything holding a JSON string, such
//     as a Lambda error's Cause, is no longer JSON; AWS escapes it properly. The engine is loaded
//     with that one line changed so States.JsonToString keeps its backslashes.
// And three hooks the local cloud needs to keep executions across restarts (local/sfn/execution.ts):
//   - `onEvent`: each event of a run as it is dispatched, synchronously, instead of through the
//     `eventLogs` iterator (which delivers them later, after the next Task may have started), so
//     an execution's progress is written before its next Task runs.
//   - `retryCounts`: the retries the first state of a run has already made, so an execution
//     resumed in the middle of a state's retries keeps its counters (the engine starts each state
//     entered at 0).
//   - `$$.Execution.Input` and `StartTime` as the run's `context` gives them: the engine sets them
//     from the run's input and the current time, which a resumed run (started at a later state,
//     with that state's input) must not change.
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";

const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
promiseWithResolvers.withResolvers ??= function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
};

type Engine = typeof import("aws-local-stepfunctions");

/** One correction of the engine's source: `find` must occur exactly once. */
interface Patch {
    find: string;
    replace: string;
    /** What it is for, for the message when a new version of the engine no longer has `find`. */
    why: string;
}

const STRIP_BACKSLASHES = 'result = result.replaceAll("\\\\", "");';

const PATCHES: Patch[] = [
    {
        find: STRIP_BACKSLASHES,
        replace: `if (this.funcDefinition.name !== "States.JsonToString") ${STRIP_BACKSLASHES}`,
        why: "States.JsonToString strips every backslash",
    },
    {
        // The root run's logger hands each event to `onEvent` (nested Map and Parallel runs forward
        // theirs to the root's); then nothing is queued for `eventLogs`.
        find: "    const eventLogger = new EventLogger();\n",
        replace: "    const eventLogger = new EventLogger();\n    if (options?.onEvent && !options._rootAbortSignal) eventLogger.onEvent = options.onEvent;\n",
        why: "the synchronous onEvent hook (the run's logger)",
    },
    {
        find: "    if (this.isLoggerClosed) return;\n    this.eventQueue.push(event);\n",
        replace: "    if (this.isLoggerClosed) return;\n    if (this.onEvent) return void this.onEvent(event);\n    this.eventQueue.push(event);\n",
        why: "the synchronous onEvent hook (dispatch)",
    },
    {
        // Taken once, by the run's first state: a nested run copies the options later.
        find: "        const stateExecutor = new StateExecutor(currStateName, currState);\n",
        replace:
            "        const stateExecutor = new StateExecutor(currStateName, currState);\n" +
            "        if (options.runOptions?.retryCounts) {\n" +
            "          stateExecutor.retrierAttempts = options.runOptions.retryCounts.slice(0, stateExecutor.retrierAttempts.length);\n" +
            "          delete options.runOptions.retryCounts;\n" +
            "        }\n",
        why: "retryCounts (a resumed state's retries)",
    },
    {
        find: "        Input: input,\n        StartTime: (/* @__PURE__ */ new Date()).toISOString()\n",
        replace:
            "        Input: options.runOptions?.context?.Execution?.Input ?? input,\n" +
            "        StartTime: options.runOptions?.context?.Execution?.StartTime ?? (/* @__PURE__ */ new Date()).toISOString()\n",
        why: "$$.Execution.Input and StartTime from the run's context",
    },
];

function loadEngine(): Engine {
    const file = require.resolve("aws-local-stepfunctions");
    let source = fs.readFileSync(file, "utf8");
    for (const patch of PATCHES) {
        if (source.split(patch.find).length !== 2) {
            throw new Error(
                `${file} no longer has the code local/sfn/engine.ts corrects for ${patch.why} (${JSON.stringify(patch.find)}): ` +
                    "check what the new version does there, and update engine.ts.",
            );
        }
        source = source.replace(patch.find, () => patch.replace);
    }
    const engine = new Module(file, module);
    engine.filename = file;
    engine.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    (engine as unknown as { _compile(code: string, file: string): void })._compile(source, file);
    return engine.exports as Engine;
}

const engine = loadEngine();
// Each class both as a value and as a type, as the package itself exports it.
export const StateMachine = engine.StateMachine;
export type StateMachine = import("aws-local-stepfunctions").StateMachine;
export const ExecutionError = engine.ExecutionError;
export type ExecutionError = import("aws-local-stepfunctions").ExecutionError;
export const ExecutionAbortedError = engine.ExecutionAbortedError;
export const ExecutionTimeoutError = engine.ExecutionTimeoutError;
export type { RunOptions, StateMachineDefinition } from "aws-local-stepfunctions";

/** The engine's run options with this module's hooks (above). */
export type LocalRunOptions = import("aws-local-stepfunctions").RunOptions & {
    /** Each event of the run, as it is dispatched; `eventLogs` then yields nothing. */
    onEvent?(event: unknown): void;
    /** The retries the run's first state has made so far, per retrier of its Retry. */
    retryCounts?: number[];
};

/** Runs a definition with the hooks of LocalRunOptions. */
export function runLocally(machine: StateMachine, input: unknown, options: LocalRunOptions): ReturnType<StateMachine["run"]> {
    return machine.run(input as Parameters<StateMachine["run"]>[0], options);
}
