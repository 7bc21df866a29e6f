// The Lambda that starts a saga's repair. EventBridge sends it the "Step Functions Execution Status
// Change" event of every execution of the saga's machine that ended without a clean rollback (the
// component's rule: ABORTED, TIMED_OUT, or FAILED with any error but Saga.RolledBack), and it
// starts the repair machine, named after the execution (the saga id): Step Functions then starts
// nothing new for a duplicate event. Part of the package: the component bundles it itself.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { Env, SAGA_STATE_KEY, SagaErrors, STATUS_CHANGE_EVENT } from "../../components/model/conventions";
import { log, requireEnv } from "./env";

// Created once per container; the SDK reads AWS_ENDPOINT_URL_SFN itself, as on Lambda.
const sfn = new SFNClient({});

/** The fields of the event's `detail` this function reads (Step Functions sends more). */
export interface StatusChangeDetail {
    executionArn: string;
    stateMachineArn: string;
    /** The execution's name: the saga id. */
    name: string;
    status: string;
    /** The execution's input as JSON text; null when it was too large to include (see `inputDetails`). */
    input?: string | null;
    inputDetails?: { included?: boolean };
    error?: string | null;
    cause?: string | null;
}

/** The repair machine's input (components/model/repair.ts reads these fields). */
export interface RepairInput {
    sagaId: string;
    /** The execution being repaired; null when the sweep of an EXPRESS saga found none recorded (handlers/lib/sweep.ts). */
    executionArn: string | null;
    /** How it ended. */
    cause: { status: string; error: string | null };
    /**
     * What every compensation receives, as in the saga's machine: the execution's input, and after
     * a failed compensation the saga's state (the forward failure, the failed compensations), so
     * a compensation that leaves another run's record alone still does.
     */
    input: Record<string, unknown>;
}

/** The event is not a status change this function can act on; Lambda's retries end on the needs-attention queue. */
export class InvalidStatusChange extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidStatusChange";
    }
}

export async function handler(event: unknown): Promise<{ sagaId: string; executionArn?: string; started: boolean }> {
    const repair = repairInputOf(event);
    const fields = { sagaId: repair.sagaId, executionArn: repair.executionArn, ...repair.cause };
    try {
        const started = await sfn.send(
            new StartExecutionCommand({
                stateMachineArn: requireEnv(Env.stateMachineArn),
                // The saga id as the name: a duplicate event with the same input is the same execution,
                // and once the repair has ended its name is taken (ExecutionAlreadyExists).
                name: repair.sagaId,
                input: JSON.stringify(repair),
            }),
        );
        log("info", "Repair started", { ...fields, repairExecutionArn: started.executionArn });
        return { sagaId: repair.sagaId, executionArn: started.executionArn, started: true };
    } catch (error) {
        if (error instanceof ExecutionAlreadyExists) {
            log("info", "This saga's repair was started before: nothing new started", fields);
            return { sagaId: repair.sagaId, started: false };
        }
        // Lambda retries the event twice, then sends it to the needs-attention queue.
        throw error;
    }
}

/** The repair machine's input for a status change event; the same event always gives the same input. */
export function repairInputOf(event: unknown): RepairInput {
    const { source, "detail-type": detailType, detail } = (event ?? {}) as { source?: unknown; "detail-type"?: unknown; detail?: Partial<StatusChangeDetail> };
    if (source !== STATUS_CHANGE_EVENT.source || detailType !== STATUS_CHANGE_EVENT.detailType || typeof detail !== "object" || detail === null) {
        throw new InvalidStatusChange(`Expected a "${STATUS_CHANGE_EVENT.detailType}" event from ${STATUS_CHANGE_EVENT.source}; got source ${JSON.stringify(source)}, detail-type ${JSON.stringify(detailType)}.`);
    }
    const missing = (["name", "executionArn", "status"] as const).filter((field) => typeof detail[field] !== "string" || detail[field] === "");
    if (missing.length > 0) throw new InvalidStatusChange(`The status change has no ${missing.map((f) => `\`detail.${f}\``).join(", ")}.`);
    const { name, executionArn, status } = detail as StatusChangeDetail;
    if (detail.inputDetails?.included === false || typeof detail.input !== "string") {
        throw new InvalidStatusChange(
            `The status change of ${executionArn} does not include the execution's input (over EventBridge's 256 KB), so its compensations cannot be given it: start the repair by hand with the input DescribeExecution reports.`,
        );
    }
    const input = parseObject(detail.input);
    if (input === undefined) throw new InvalidStatusChange(`The input of ${executionArn} is not a JSON object: ${detail.input.slice(0, 80)}`);
    const error = typeof detail.error === "string" ? detail.error : null;
    const state = error === SagaErrors.CompensationFailed && typeof detail.cause === "string" ? parseObject(detail.cause) : undefined;
    return {
        sagaId: name,
        executionArn,
        cause: { status, error },
        input: state ? { ...input, [SAGA_STATE_KEY]: state } : input,
    };
}

/** The object a JSON text holds, or undefined when it holds something else, is no JSON, or is absent. */
export function parseObject(text: string | undefined): Record<string, unknown> | undefined {
    if (text === undefined) return undefined;
    try {
        const value = JSON.parse(text) as unknown;
        return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}
