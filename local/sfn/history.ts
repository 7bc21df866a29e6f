// Turns the local engine's event log into an execution history as GetExecutionHistory reports it
// on AWS: ExecutionStarted, TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded or
// TaskFailed per attempt, TaskStateExited, ..., ExecutionSucceeded / ExecutionFailed.
//
// The engine does not report Task attempts itself; the bound Task handlers do (TaskCall). They are
// called before the engine's events about them are read, so each Task's calls wait in a queue
// until the event that ends the attempt (StateFailed, or StateExited) arrives.
import type { TaskCall } from "./tasks";

export interface HistoryEvent {
    timestamp: Date;
    type: string;
    id: number;
    previousEventId: number;
    [details: string]: unknown;
}

/** An event of aws-local-stepfunctions' `eventLogs`, reduced to the fields read here. */
export interface EngineEvent {
    type: string;
    timestamp: number;
    input?: unknown;
    output?: unknown;
    Error?: string;
    Cause?: unknown;
    state?: { name: string; type: string; input?: unknown; output?: unknown };
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const truncated = { truncated: false };

export class HistoryRecorder {
    private readonly calls = new Map<string, TaskCall[]>();

    constructor(
        private readonly region: string,
        private readonly roleArn: string,
        /** The `resourceType` and `resource` of a Task state, for failures that happen before any call. */
        private readonly resourceOf: (state: string) => { resourceType: string; resource: string },
        /** The history so far: empty for a new execution, what was kept for a resumed one. */
        readonly events: HistoryEvent[] = [],
    ) {}

    /** A Task handler was called (each retry is a call). */
    recordCall(call: TaskCall): void {
        const queue = this.calls.get(call.state) ?? [];
        queue.push(call);
        this.calls.set(call.state, queue);
    }

    record(event: EngineEvent): void {
        const at = new Date(event.timestamp);
        const state = event.state;
        switch (event.type) {
            case "ExecutionStarted":
                return this.add(at, "ExecutionStarted", {
                    executionStartedEventDetails: { input: json(event.input), inputDetails: truncated, roleArn: this.roleArn },
                });
            case "StateEntered":
                return this.add(at, `${state!.type}StateEntered`, {
                    stateEnteredEventDetails: { name: state!.name, input: json(state!.input), inputDetails: truncated },
                });
            case "StateFailed":
                if (state!.type === "Task") this.endAttempt(state!.name, at, { error: event.Error ?? "States.TaskFailed", cause: String(event.Cause ?? "") });
                return;
            case "StateExited":
                if (state!.type === "Task") this.endAttempt(state!.name, at);
                return this.add(at, `${state!.type}StateExited`, {
                    stateExitedEventDetails: { name: state!.name, output: json(state!.output), outputDetails: truncated },
                });
            case "ExecutionSucceeded":
                return this.add(at, "ExecutionSucceeded", { executionSucceededEventDetails: { output: json(event.output), outputDetails: truncated } });
            case "ExecutionFailed":
                return this.add(at, "ExecutionFailed", { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? "") } });
            case "ExecutionAborted":
                // The error and cause StopExecution was given, when it was given them.
                return this.add(at, "ExecutionAborted", {
                    executionAbortedEventDetails: { ...(event.Error !== undefined ? { error: event.Error } : {}), ...(event.Cause !== undefined ? { cause: String(event.Cause) } : {}) },
                });
            case "ExecutionTimeout":
                return this.add(at, "ExecutionTimedOut", { executionTimedOutEventDetails: { error: "States.Timeout" } });
            // StateRetried and StateCaught have no event of their own on AWS: the next attempt's
            // Task events, or the next state's, show them.
        }
    }

    /**
     * The events of one Task attempt. After a caught failure the engine still exits the state;
     * that attempt was already reported, so the exit finds no call waiting.
     */
    private endAttempt(stateName: string, at: Date, failure?: { error: string; cause: string }): void {
        const call = this.calls.get(stateName)?.shift();
        if (!call && !failure) return;
        const resource = call ? { resourceType: call.resourceType, resource: call.resource } : this.resourceOf(stateName);
        if (call) {
            const scheduledAt = new Date(call.scheduledAt);
            this.add(scheduledAt, "TaskScheduled", {
                taskScheduledEventDetails: { ...resource, region: this.region, parameters: json(call.parameters) },
            });
            this.add(scheduledAt, "TaskStarted", { taskStartedEventDetails: resource });
        }
        const endedAt = call?.endedAt ? new Date(call.endedAt) : at;
        if (!failure) {
            this.add(endedAt, "TaskSucceeded", { taskSucceededEventDetails: { ...resource, output: json(call!.output), outputDetails: truncated } });
        } else if (failure.error === "States.Timeout") {
            this.add(endedAt, "TaskTimedOut", { taskTimedOutEventDetails: { ...resource, ...failure } });
        } else {
            this.add(endedAt, "TaskFailed", { taskFailedEventDetails: { ...resource, ...failure } });
        }
    }

    private add(timestamp: Date, type: string, details: Record<string, unknown>): void {
        const id = this.events.length + 1;
        this.events.push({ timestamp, type, id, previousEventId: id - 1, ...details });
    }
}
