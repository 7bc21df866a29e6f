// One execution of a local state machine: run by aws-local-stepfunctions with every Task bound to
// the local cloud, its status, output or error, and its history, as DescribeExecution and
// GetExecutionHistory report them; and where closed ones are kept across restarts.
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from "./engine";
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineEvent, HistoryEvent, HistoryRecorder } from "./history";
import { bindTasks, DefinitionLike, TaskTargets } from "./tasks";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

/** What an execution is, closed or not: also what the data folder keeps. */
export interface ExecutionRecord {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: Date;
    stopDate?: Date;
    input: string;
    output?: string;
    error?: string;
    cause?: string;
    history: HistoryEvent[];
}

/** The machine an execution runs on, and where its Tasks and events go. */
export interface ExecutionHost {
    engine: StateMachine;
    definition: DefinitionLike;
    stateMachineArn: string;
    stateMachineName: string;
    roleArn: string;
    region: string;
    targets: TaskTargets;
    /** Milliseconds between retries instead of the definition's intervals; undefined keeps them. */
    retryIntervalMs?: number;
    onEvent(execution: ExecutionRecord, event: EngineEvent): void;
    onClosed(execution: ExecutionRecord): void;
}

export class LocalExecution {
    readonly record: ExecutionRecord;
    /** Settles when the execution has closed and its history is complete. */
    readonly done: Promise<void>;
    private readonly abortRun: () => void;

    constructor(host: ExecutionHost, executionArn: string, name: string, input: string) {
        const startDate = new Date();
        const recorder = new HistoryRecorder(host.region, host.roleArn, (state) => resourceOf(host.definition, state));
        const record: ExecutionRecord = { executionArn, stateMachineArn: host.stateMachineArn, name, status: "RUNNING", startDate, input, history: recorder.events };
        this.record = record;
        const retryIntervalOverrides =
            host.retryIntervalMs === undefined
                ? undefined
                : Object.fromEntries(Object.keys(host.definition.States).map((state) => [state, host.retryIntervalMs!]));
        const run = host.engine.run(JSON.parse(input), {
            overrides: {
                taskResourceLocalHandlers: bindTasks(host.definition, host.targets, (call) => recorder.recordCall(call)),
                retryIntervalOverrides,
            },
            context: {
                Execution: { Id: executionArn, Name: name, StartTime: startDate.toISOString(), RoleArn: host.roleArn, Input: JSON.parse(input) },
                StateMachine: { Id: host.stateMachineArn, Name: host.stateMachineName },
            },
        });
        this.abortRun = run.abort;
        // Settled at once, so a failed execution is never an unhandled rejection while events stream.
        const outcome = run.result.then(
            (output) => ({ status: "SUCCEEDED" as const, output: JSON.stringify(output) }),
            (error: unknown) => outcomeOfError(error),
        );
        this.done = (async () => {
            for await (const event of run.eventLogs) {
                const engineEvent = event as unknown as EngineEvent;
                recorder.record(engineEvent);
                host.onEvent(record, engineEvent);
            }
            Object.assign(record, await outcome, { stopDate: new Date() });
            host.onClosed(record);
        })();
    }

    /** StopExecution: ends a running execution as ABORTED. */
    abort(error?: string, cause?: string): void {
        if (this.record.status !== "RUNNING") return;
        Object.assign(this.record, error === undefined ? {} : { error }, cause === undefined ? {} : { cause });
        this.abortRun();
    }
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

/**
 * Keeps closed executions in the data folder (one JSON line each), so that after a restart the
 * Step Functions API still knows the executions whose records the tables kept, and StartExecution
 * still refuses their names as AWS would.
 */
export class ExecutionStore {
    private readonly file: string;

    constructor(dataDir: string) {
        const dir = path.join(dataDir, "stepfunctions");
        fs.mkdirSync(dir, { recursive: true });
        this.file = path.join(dir, "executions.jsonl");
    }

    /** Every execution kept, the latest line of each ARN winning. */
    load(): ExecutionRecord[] {
        if (!fs.existsSync(this.file)) return [];
        const byArn = new Map<string, ExecutionRecord>();
        for (const line of fs.readFileSync(this.file, "utf8").split("\n")) {
            if (line.trim() === "") continue;
            const record = revive(JSON.parse(line));
            byArn.set(record.executionArn, record);
        }
        return [...byArn.values()];
    }

    save(record: ExecutionRecord): void {
        fs.appendFileSync(this.file, `${JSON.stringify(record)}\n`);
    }
}

function revive(raw: ExecutionRecord): ExecutionRecord {
    return {
        ...raw,
        startDate: new Date(raw.startDate),
        ...(raw.stopDate ? { stopDate: new Date(raw.stopDate) } : {}),
        history: raw.history.map((event) => ({ ...event, timestamp: new Date(event.timestamp) })),
    };
}
