// The EventBridge event Step Functions sends when an execution of a STANDARD machine changes
// status ("Step Functions Execution Status Change"), in AWS's shape. Pure: the policy pack builds
// the events a rule must catch from it, the local cloud the events its executions send.
import { STATUS_CHANGE_EVENT } from "./conventions";

/** What the event says of the execution. */
export interface ExecutionStatusChange {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED. */
    status: string;
    /** Epoch milliseconds, as the event carries them. */
    startDate: number;
    /** Null while RUNNING. */
    stopDate: number | null;
    input: string;
    output: string | null;
    error: string | null;
    cause: string | null;
}

/** Where and when the event was sent: its envelope. */
export interface EventEnvelope {
    id: string;
    account: string;
    region: string;
    /** ISO 8601, to the second, as EventBridge writes it. */
    time: string;
}

export function statusChangeEvent(execution: ExecutionStatusChange, envelope: EventEnvelope) {
    return {
        version: "0",
        id: envelope.id,
        "detail-type": STATUS_CHANGE_EVENT.detailType,
        source: STATUS_CHANGE_EVENT.source,
        account: envelope.account,
        time: envelope.time,
        region: envelope.region,
        resources: [execution.executionArn],
        detail: {
            ...execution,
            inputDetails: { included: true },
            outputDetails: execution.output === null ? null : { included: true },
            stateMachineVersionArn: null,
            stateMachineAliasArn: null,
            redriveCount: 0,
        },
    };
}

export type StatusChangeEvent = ReturnType<typeof statusChangeEvent>;
