// An execution as DescribeExecution reports it and the data folder keeps it (store.ts), apart from
// the code that runs it (execution.ts), so the store and the services read it without the runner.
import type { HistoryEvent } from "./history";

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
