// What Step Functions writes to a state machine's log group (its loggingConfiguration): each
// history event of an execution as a JSON record of AWS's format (the one the AWS console reads
// for EXPRESS executions, which have no history), at the configured level:
//   ALL    every event
//   ERROR  the failures: ExecutionFailed, ExecutionAborted, ExecutionTimedOut, FailStateEntered,
//          TaskFailed, TaskTimedOut, TaskStartFailed, TaskSubmitFailed, ... (ERROR_EVENTS)
//   FATAL  the execution's own end when it fails: ExecutionFailed, ExecutionAborted, ExecutionTimedOut
//   OFF    nothing
// and without the execution's data (input, output, a Task's parameters) unless includeExecutionData.
//   {"id":"2","type":"TaskStateEntered","details":{"input":"{...}","inputDetails":{"truncated":false},"name":"Reserve Hotel"},
//    "previous_event_id":"1","event_timestamp":"1733625600123","execution_arn":"arn:aws:states:...:express:...","redrive_count":"0"}
// Each run of an execution writes to a stream of its own (a duplicate of an EXPRESS execution, run
// twice as at-least-once allows, to another than the first run's), named as Step Functions names
// them: `states/<machine>/<yyyy-mm-dd-hh-mm of its start>/<8 hex digits>`.
import { createHash } from "node:crypto";
import type { HistoryEvent } from "../sfn/history";
import type { ExecutionRecord } from "../sfn/record";

export const LOG_LEVELS = ["ALL", "ERROR", "FATAL", "OFF"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A state machine's loggingConfiguration, as the local cloud keeps it. */
export interface StateMachineLogging {
    level: LogLevel;
    includeExecutionData: boolean;
    /** The log group's ARN, as the destination names it (`...:log-group:<name>:*`). */
    logGroupArn: string;
}

const FATAL_EVENTS: ReadonlySet<string> = new Set(["ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]);

const ERROR_EVENTS: ReadonlySet<string> = new Set([
    ...FATAL_EVENTS,
    "FailStateEntered",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapIterationAborted",
    "MapIterationFailed",
    "MapRunAborted",
    "MapRunFailed",
    "MapStateAborted",
    "MapStateFailed",
    "ParallelStateAborted",
    "ParallelStateFailed",
    "TaskFailed",
    "TaskStartFailed",
    "TaskStateAborted",
    "TaskSubmitFailed",
    "TaskTimedOut",
    "WaitStateAborted",
]);

/** Whether an event of this type is logged at this level. */
export function loggedAt(level: LogLevel, type: string): boolean {
    switch (level) {
        case "ALL":
            return true;
        case "ERROR":
            return ERROR_EVENTS.has(type);
        case "FATAL":
            return FATAL_EVENTS.has(type);
        case "OFF":
            return false;
    }
}

/** The fields of an event's details that are execution data. */
const DATA_FIELDS = new Set(["input", "inputDetails", "output", "outputDetails", "parameters"]);

/** One history event as its log record (see the top of this file). */
export function logRecord(execution: Pick<ExecutionRecord, "executionArn">, event: HistoryEvent, includeExecutionData: boolean): Record<string, unknown> {
    const detailsKey = Object.keys(event).find((key) => key.endsWith("EventDetails"));
    const details = (detailsKey ? event[detailsKey] : {}) as Record<string, unknown>;
    return {
        id: String(event.id),
        type: event.type,
        details: includeExecutionData ? details : Object.fromEntries(Object.entries(details).filter(([key]) => !DATA_FIELDS.has(key))),
        previous_event_id: String(event.previousEventId),
        event_timestamp: String(event.timestamp.getTime()),
        execution_arn: execution.executionArn,
        redrive_count: "0",
    };
}

/** The stream a run of an execution writes to (`run`: what tells its runs apart; default its ARN). */
export function executionLogStream(machineName: string, execution: Pick<ExecutionRecord, "executionArn" | "startDate">, run = execution.executionArn): string {
    const minute = execution.startDate.toISOString().slice(0, 16).replace(/[T:]/g, "-");
    return `states/${machineName}/${minute}/${createHash("sha256").update(run).digest("hex").slice(0, 8)}`;
}

/** The records of these events that the configuration logs: timestamp and message of each. */
export function executionLogEvents(logging: StateMachineLogging, execution: Pick<ExecutionRecord, "executionArn">, events: HistoryEvent[]): { timestamp: number; message: string }[] {
    return events
        .filter((event) => loggedAt(logging.level, event.type))
        .map((event) => ({ timestamp: event.timestamp.getTime(), message: JSON.stringify(logRecord(execution, event, logging.includeExecutionData)) }));
}

/**
 * The loggingConfiguration of a state machine, from the inputs of an aws.sfn.StateMachine
 * (`{ level, includeExecutionData, logDestination }`) or of CreateStateMachine
 * (`{ level, includeExecutionData, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }] }`);
 * undefined when it logs nothing.
 */
export function stateMachineLogging(configuration: unknown): StateMachineLogging | undefined {
    if (typeof configuration !== "object" || configuration === null) return undefined;
    const c = configuration as { level?: unknown; includeExecutionData?: unknown; logDestination?: unknown; destinations?: { cloudWatchLogsLogGroup?: { logGroupArn?: unknown } }[] };
    const level = (LOG_LEVELS as readonly unknown[]).includes(c.level) ? (c.level as LogLevel) : "OFF";
    const destination = c.logDestination ?? c.destinations?.[0]?.cloudWatchLogsLogGroup?.logGroupArn;
    if (level === "OFF" || typeof destination !== "string") return undefined;
    return { level, includeExecutionData: c.includeExecutionData === true, logGroupArn: destination };
}
