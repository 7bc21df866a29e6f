// One execution of a local state machine: run by aws-local-stepfunctions with every Task bound to
// the local cloud, its status, output or error, and its history, as DescribeExecution and
// GetExecutionHistory report them. With a data folder, its progress is written as it goes
// (store.ts), and an execution the local cloud stopped, or lost to a crash, resumes where it was.
//
// Resuming, as Step Functions continues an execution after an outage:
//   - from the last state its kept history entered, with that state's input, on the definition it
//     started with (a copy whose StartAt is that state: the States, their Retry and Catch, the rest
//     of the flow are the same);
//   - a Task that was under way runs again (its attempt was lost with the process; actions are
//     idempotent); a failed attempt the history kept is not run again: its error meets the state's
//     Retry and Catch as it did, with the retries already made counted;
//   - the same name, ARN, input, start date and context ($$.Execution.Id, Name, Input, StartTime);
//     its history continues (no second ExecutionStarted, the state is not entered twice), and its
//     time limit (TimeoutSeconds) counts from its start, the outage included.
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, runLocally, StateMachine, StateMachineDefinition } from "./engine";
import { EngineEvent, HistoryEvent, HistoryRecorder } from "./history";
import type { ExecutionRecord } from "./record";
import type { ExecutionJournal, ExecutionStore, KeptExecution } from "./store";
import { bindTasks, DefinitionLike, TaskHandlers, TaskTargets } from "./tasks";

/** The machine an execution runs on, and where its Tasks and events go. */
export interface ExecutionHost {
    engine: StateMachine;
    definition: DefinitionLike;
    /** The definition as deployed (JSON), which the data folder keeps for the executions running on it. */
    definitionText: string;
    stateMachineArn: string;
    stateMachineName: string;
    roleArn: string;
    region: string;
    targets: TaskTargets;
    /** Milliseconds between retries instead of the definition's intervals; undefined keeps them. */
    retryIntervalMs?: number;
    /** The longest an execution may run, whatever its definition's TimeoutSeconds (EXPRESS: 5 minutes); undefined: no limit but the definition's. */
    maxSeconds?: number;
    /** Where executions are kept across restarts; undefined: in memory only. */
    store?: ExecutionStore;
    onEvent(execution: ExecutionRecord, event: EngineEvent): void;
    /** The history events the execution just added, in order. */
    onHistory?(execution: ExecutionRecord, events: HistoryEvent[]): void;
    onClosed(execution: ExecutionRecord): void;
}

/** Where a running execution is: the state it is in, since when, and its failed attempts there. */
export interface ExecutionPosition {
    name: string;
    executionArn: string;
    startDate: Date;
    /** Undefined before its first state. */
    state?: string;
    enteredAt?: Date;
    failedAttempts: number;
}

/** Where a kept execution continues (see the top of this file). */
export interface ResumePoint {
    /** The state to run first, with its input; undefined: the definition's StartAt, with the execution's input. */
    state?: string;
    input?: unknown;
    /** Its history already has ExecutionStarted. */
    started: boolean;
    /** Retries the state has made, per retrier of its Retry. */
    retryCounts?: number[];
    /** The state's last attempt failed with this (kept in the history); its Retry or Catch has not acted on it yet. */
    lastFailure?: { error: string; cause: string };
}

/** An error a Task gets once its execution was stopped or suspended (a retry the engine still makes). */
const NOT_RUNNING = "LocalCloud.ExecutionNotRunning";

export class LocalExecution {
    readonly record: ExecutionRecord;
    /** Settles when the execution has closed and its history is complete, or when it was suspended. */
    readonly done: Promise<void>;
    private abortRun?: () => void;
    /** Aborted or suspended: no Task is called any more. */
    private stopped = false;
    private suspended = false;
    private readonly position: ExecutionPosition;

    /** StartExecution: the execution's first line is in the data folder when this returns. */
    static start(host: ExecutionHost, executionArn: string, name: string, input: string): LocalExecution {
        const record: ExecutionRecord = { executionArn, stateMachineArn: host.stateMachineArn, name, status: "RUNNING", startDate: new Date(), input, history: [] };
        return new LocalExecution(host, record, host.definition, host.store?.open(record, host.definitionText));
    }

    /** A kept execution, resumed where its history ends, on the definition it started with. */
    static resume(host: ExecutionHost, kept: KeptExecution): LocalExecution {
        const definition = JSON.parse(kept.definition) as DefinitionLike;
        return new LocalExecution(host, kept.record, definition, host.store?.reopen(kept.record), resumePoint(kept.record.history, definition));
    }

    private constructor(
        host: ExecutionHost,
        record: ExecutionRecord,
        definition: DefinitionLike,
        private readonly journal?: ExecutionJournal,
        resume?: ResumePoint,
    ) {
        this.record = record;
        // Its journal can no longer be written (a read-only or full folder): it stops where the
        // journal ends, kept as RUNNING, and resumes from there at the next start.
        if (journal) journal.onFailure = () => this.suspend();
        const recorder = new HistoryRecorder(host.region, host.roleArn, (state) => resourceOf(definition, state), record.history);
        this.position = { name: record.name, executionArn: record.executionArn, startDate: record.startDate, failedAttempts: 0 };
        if (resume?.state) Object.assign(this.position, { state: resume.state, enteredAt: new Date(), failedAttempts: (resume.retryCounts ?? []).reduce((a, b) => a + b, 0) + (resume.lastFailure ? 1 : 0) });

        // The events a resumed run repeats, which its history already has: not recorded again.
        let repeated = { started: resume?.started ?? false, entered: resume?.state, failed: resume?.lastFailure ? resume.state : undefined };
        const onEvent = (raw: unknown) => {
            const event = raw as EngineEvent;
            if (this.suspended) return;
            if (repeated.started && event.type === "ExecutionStarted") return void (repeated.started = false);
            if (repeated.entered && event.type === "StateEntered" && event.state?.name === repeated.entered) return void (repeated.entered = undefined);
            if (repeated.failed && event.type === "StateFailed" && event.state?.name === repeated.failed) return void (repeated.failed = undefined);
            this.follow(event);
            const before = recorder.events.length;
            // A stop's error and cause are the execution's, not the engine's: its ExecutionAborted event carries them.
            recorder.record(event.type === "ExecutionAborted" ? { ...event, Error: this.record.error, Cause: this.record.cause } : event);
            const added = recorder.events.slice(before);
            this.journal?.add(added);
            if (added.length > 0) host.onHistory?.(record, added);
            // The state and its input are written before its Task runs; a failed attempt before
            // the state's Retry waits (or its Catch moves on, or the execution fails).
            if (event.type === "StateEntered" || event.type === "StateFailed") this.journal?.flush();
            host.onEvent(record, event);
        };

        const retryIntervalOverrides =
            host.retryIntervalMs === undefined ? undefined : Object.fromEntries(Object.keys(definition.States).map((state) => [state, host.retryIntervalMs!]));
        // A resumed definition's Tasks were bound when it started: a function gone since fails its
        // Task when called (Lambda.ResourceNotFoundException), as on AWS, rather than here.
        const targets = resume ? { ...host.targets, hasFunction: () => true } : host.targets;
        const handlers = this.guarded(bindTasks(definition, targets, { stateMachineArn: host.stateMachineArn, roleArn: host.roleArn }, (call) => recorder.recordCall(call)), resume);
        const context = {
            Execution: { Id: record.executionArn, Name: record.name, StartTime: record.startDate.toISOString(), RoleArn: host.roleArn, Input: JSON.parse(record.input) },
            StateMachine: { Id: host.stateMachineArn, Name: host.stateMachineName },
        };

        let engine = host.engine;
        const input = resume?.state ? resume.input : JSON.parse(record.input);
        if (resume) {
            const limits = [definition.TimeoutSeconds, host.maxSeconds].filter((limit): limit is number => limit !== undefined);
            const timeoutSeconds = limits.length > 0 ? Math.min(...limits) : undefined;
            const remaining = timeoutSeconds === undefined ? undefined : timeoutSeconds - (Date.now() - record.startDate.getTime()) / 1000;
            if (remaining !== undefined && remaining <= 0) {
                // Its time ran out while the local cloud was down.
                repeated = { started: false, entered: undefined, failed: undefined };
                onEvent({ type: "ExecutionTimeout", timestamp: Date.now() });
                this.done = Promise.resolve().then(() => this.close({ status: "TIMED_OUT", error: "States.Timeout" }, host));
                return;
            }
            const derived = { ...definition, StartAt: resume.state ?? definition.StartAt, ...(remaining !== undefined ? { TimeoutSeconds: remaining } : {}) };
            engine = new StateMachine(derived as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
        }
        // The engine enters the first state and calls its Task before `run` returns.
        const run = runLocally(engine, input, {
            onEvent,
            ...(resume?.retryCounts ? { retryCounts: resume.retryCounts } : {}),
            overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
            context,
        });
        this.abortRun = run.abort;
        this.done = run.result.then(
            (output) => this.close({ status: "SUCCEEDED", output: JSON.stringify(output) }, host),
            (error: unknown) => this.close(outcomeOfError(error), host),
        );
    }

    /** StopExecution: ends a running execution as ABORTED. */
    abort(error?: string, cause?: string): void {
        if (this.record.status !== "RUNNING" || this.stopped) return;
        this.stopped = true;
        Object.assign(this.record, error === undefined ? {} : { error }, cause === undefined ? {} : { cause });
        this.abortRun?.();
    }

    /**
     * The local cloud stops: the run ends here and nothing more is written, so the data folder
     * keeps the execution as it was, and the next start resumes it.
     */
    suspend(): void {
        if (this.record.status !== "RUNNING" || this.stopped) return;
        this.stopped = this.suspended = true;
        this.journal?.detach();
        this.abortRun?.();
    }

    /** Where it is now. */
    where(): ExecutionPosition {
        return { ...this.position };
    }

    private follow(event: EngineEvent): void {
        if (event.type === "StateEntered") Object.assign(this.position, { state: event.state?.name, enteredAt: new Date(event.timestamp), failedAttempts: 0 });
        if (event.type === "StateFailed" && event.state?.type === "Task") this.position.failedAttempts += 1;
    }

    /**
     * Each Task writes what happened before it (a failed attempt it retries) before it calls its
     * resource, and calls nothing once the execution was stopped. A resumed state whose last
     * attempt failed starts by failing that way again, without calling, so its Retry or Catch acts
     * on the kept failure.
     */
    private guarded(handlers: TaskHandlers, resume?: ResumePoint): TaskHandlers {
        let lastFailure = resume?.lastFailure && { state: resume.state, ...resume.lastFailure };
        const guarded: TaskHandlers = {};
        for (const [state, handler] of Object.entries(handlers)) {
            guarded[state] = async (input) => {
                if (lastFailure?.state === state) {
                    const failure = Object.assign(new Error(lastFailure.cause), { name: lastFailure.error });
                    lastFailure = undefined;
                    throw failure;
                }
                if (this.stopped) throw Object.assign(new Error("The execution is no longer running."), { name: NOT_RUNNING });
                this.journal?.flush();
                return handler(input);
            };
        }
        return guarded;
    }

    private close(outcome: Outcome, host: ExecutionHost): void {
        if (this.suspended) return;
        Object.assign(this.record, outcome, { stopDate: new Date() });
        // Told first: what the host keeps of the close (its status-change event) is written before
        // the journal counts the execution closed, so a crash in between repeats it, never loses it.
        host.onClosed(this.record);
        this.journal?.close(this.record);
    }
}

/**
 * Where a kept execution continues: the last state its history entered (one of the definition's
 * own: a Map's or Parallel's inner states resume with the Map or Parallel), with that state's
 * input, its failed attempts there counted against its Retry as the engine counts them.
 */
export function resumePoint(history: HistoryEvent[], definition: DefinitionLike): ResumePoint {
    const started = history.some((event) => event.type === "ExecutionStarted");
    let entered = history.length - 1;
    while (entered >= 0 && !(history[entered].type.endsWith("StateEntered") && (history[entered].stateEnteredEventDetails as { name: string }).name in definition.States)) {
        entered -= 1;
    }
    if (entered === -1) return { started };
    const { name, input } = history[entered].stateEnteredEventDetails as { name: string; input: string };
    const failures = history.slice(entered + 1).flatMap((event) => {
        if (event.type === "TaskFailed") return [event.taskFailedEventDetails as { error: string; cause: string }];
        if (event.type === "TaskTimedOut") return [event.taskTimedOutEventDetails as { error: string; cause: string }];
        return [];
    });
    const lastFailure = failures.pop();
    return {
        started,
        state: name,
        input: JSON.parse(input),
        retryCounts: retriesMade(definition.States[name], failures),
        ...(lastFailure ? { lastFailure: { error: lastFailure.error, cause: lastFailure.cause ?? "" } } : {}),
    };
}

interface Retrier {
    ErrorEquals: string[];
    MaxAttempts?: number;
}

/** The retries a state made for these failed attempts, per retrier: the first retrier matching each error, until its MaxAttempts. */
function retriesMade(state: Record<string, unknown>, failures: { error: string }[]): number[] {
    const retriers = (state.Retry ?? []) as Retrier[];
    const counts = retriers.map(() => 0);
    for (const { error } of failures) {
        const i = retriers.findIndex((retrier) =>
            retrier.ErrorEquals.some((name) => name === error || name === "States.ALL" || (name === "States.TaskFailed" && state.Type === "Task" && error !== "States.Timeout")),
        );
        if (i !== -1 && counts[i] < (retriers[i].MaxAttempts ?? 3)) counts[i] += 1;
    }
    return counts;
}

type Outcome = Pick<ExecutionRecord, "status" | "output" | "error" | "cause">;

function outcomeOfError(error: unknown): Outcome {
    if (error instanceof ExecutionError) {
        // The engine's error carries the Fail state's (or the uncaught error's) name and cause.
        const failure = (error as { cause?: unknown }).cause as Error;
        return { status: "FAILED", error: failure.name, cause: failure.message };
    }
    if (error instanceof ExecutionAbortedError) return { status: "ABORTED" };
    if (error instanceof ExecutionTimeoutError) return { status: "TIMED_OUT", error: "States.Timeout" };
    return { status: "FAILED", error: "States.Runtime", cause: String(error) };
}

function resourceOf(definition: DefinitionLike, state: string): { resourceType: string; resource: string } {
    // arn:aws:states:::<service>:<action>[.sync], or a plain Lambda function ARN.
    const resource = String(definition.States[state]?.Resource ?? "");
    const integration = /^arn:aws:states:::([^:]+):([^.]+)/.exec(resource);
    return integration ? { resourceType: integration[1], resource: integration[2] } : { resourceType: "lambda", resource: "invokeFunction" };
}
