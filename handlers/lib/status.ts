// The status Lambda behind the API's status route (e.g. GET /trips/{tripId}): what became of one
// saga, from its execution (and the input it was started with), and its records, from one Query on its partition. An execution that
// ended without a clean rollback is repaired later by the repair machine, which writes the saga's
// outcome record in that partition; the report then gives the repaired outcome. Generic: any
// saga's status route works with it unchanged.
import {
    DescribeExecutionCommand,
    DescribeExecutionCommandOutput,
    ExecutionDoesNotExist,
    SFNClient,
} from "@aws-sdk/client-sfn";
import { WorkflowType } from "../../components/model/args";
import { executionArnOf } from "../../components/model/arns";
import { Env, ExpressOutcomes, OUTCOME_RECORD_SK, RepairOutcomes, SagaErrors, SagaRecordFields } from "../../components/model/conventions";
import { ExecutionStatus, outcomeOf, SagaOutcome, SagaOutcomes } from "../../components/model/outcomes";
import { log, requireEnv } from "./env";
import { ApiGatewayProxyEvent, ApiGatewayProxyResult, respond } from "./http";
import { queryRecords, RecordItem } from "./records";
import { SAGA_ID_PATTERN, SAGA_ID_RULE } from "./saga-event";

// Created once per container; the SDK reads AWS_ENDPOINT_URL_SFN itself, as on Lambda.
const sfn = new SFNClient({});

/**
 * The status route has exactly one path parameter, the saga id (the component checks its path),
 * so the handler reads whichever it is: the name is written once, in the route's path.
 */
export function createStatusHandler() {
    return async function handler(event: ApiGatewayProxyEvent): Promise<ApiGatewayProxyResult> {
        // The API routes only GET here; any other method it answers itself (405).
        if (event.httpMethod !== undefined && event.httpMethod.toUpperCase() !== "GET") {
            return respond(405, { message: "Method not allowed: only GET reports a saga." }, { allow: "GET" });
        }
        const parameters = Object.entries(event.pathParameters ?? {});
        if (parameters.length !== 1 || parameters[0][1] === undefined) {
            log("error", "The status route must pass exactly one path parameter, the saga id", { received: parameters.map(([name]) => name) });
            return respond(500, { message: "The status route is misconfigured; the details are in the status function's logs." });
        }
        const [parameter, id] = parameters[0] as [string, string];
        if (!SAGA_ID_PATTERN.test(id)) return respond(400, { message: `\`${parameter}\` must be ${SAGA_ID_RULE}.` });

        const ids = { id, [parameter]: id };
        try {
            const express = process.env[Env.workflowType] === WorkflowType.EXPRESS;
            // The execution first, the records after: once the execution has ended, the records
            // read next are its final ones. An EXPRESS execution cannot be described: the saga's
            // own record, which its start wrote and its machine (or a repair) completes, stands in.
            const execution = express ? undefined : await describeExecution(id);
            const records = await queryRecords(id);
            if (express) {
                const sagaRecord = records.find((record) => record.sk === OUTCOME_RECORD_SK);
                if (sagaRecord) {
                    const report = summarizeRecord(sagaRecord);
                    log("info", "Saga reported", { id, outcome: report.outcome });
                    return respond(200, { ...ids, ...report, records: records.filter((record) => record !== sagaRecord) });
                }
            }
            if (!execution) {
                // Step Functions forgets an execution 90 days after it ends, while its records
                // stay: they are listed, since they are what an operator then looks for.
                return respond(404, {
                    ...ids,
                    message: `No saga with ${parameter} "${id}" was found: it was never started, or it ended more than 90 days ago.`,
                    records,
                });
            }
            // The outcome record is reported through the outcome, not listed among the saga's records.
            const outcome = records.find((record) => record.sk === OUTCOME_RECORD_SK);
            const report = summarize(execution, outcome);
            log("info", "Saga reported", { id, outcome: report.outcome });
            // The saga's input as it was started (e.g. the order a POST carried), beside what became of it.
            const input = execution.input === undefined ? null : parseJson(execution.input);
            return respond(200, { ...ids, ...report, input, records: records.filter((record) => record !== outcome) });
        } catch (error) {
            // Details stay in the logs: they may name the account, the machine or the role.
            log("error", "Could not report the saga", { id, error: String(error), requestId: event.requestContext?.requestId });
            return respond(500, { message: "Could not report the saga; the details are in the status function's logs." });
        }
    };
}

/** The saga's execution (named after the saga id by the start handler); undefined when there is none. */
async function describeExecution(id: string): Promise<DescribeExecutionCommandOutput | undefined> {
    const executionArn = executionArnOf(requireEnv(Env.stateMachineArn), id);
    try {
        return await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
        if (error instanceof ExecutionDoesNotExist) return undefined;
        throw error;
    }
}

type Execution = Pick<DescribeExecutionCommandOutput, "status" | "executionArn" | "startDate" | "stopDate" | "error" | "cause">;

/** The outcomes of an execution that the repair machine repairs (the component's EventBridge rule). */
export const REPAIRED_OUTCOMES: readonly SagaOutcome[] = [SagaOutcomes.compensationFailed, SagaOutcomes.failed, SagaOutcomes.timedOut, SagaOutcomes.aborted];

/**
 * The outcome, the repair's when there is one, and the execution's own fields (its cause as
 * callers see it); absent ones are null, so every report has one shape. `repairedFrom` is the
 * execution's own outcome when a repair took over; `repairedAt` when it rolled the saga back;
 * `needsAttention` the error of each step whose compensation outlasted the repair horizon.
 */
export function summarize(execution: Execution, outcomeRecord?: RecordItem) {
    if (execution.status === undefined) throw new Error(`DescribeExecution returned no status for ${execution.executionArn}.`);
    const own = outcomeOf(execution.status, execution.error);
    const repair = outcomeRecord !== undefined && REPAIRED_OUTCOMES.includes(own) ? repairOf(outcomeRecord) : undefined;
    return {
        outcome: repair?.outcome ?? own,
        repairedFrom: repair ? own : null,
        repairedAt: repair?.repairedAt ?? null,
        needsAttention: repair?.needsAttention ?? null,
        status: execution.status,
        executionArn: execution.executionArn ?? null,
        startDate: execution.startDate?.toISOString() ?? null,
        stopDate: execution.stopDate?.toISOString() ?? null,
        error: execution.error ?? null,
        cause: publicCause(execution.cause),
    };
}

/** The execution status and error an EXPRESS saga's record stands for, by its outcome (written by its machine). */
const EXPRESS_ENDINGS: Record<string, { status: ExecutionStatus; error?: string }> = {
    [ExpressOutcomes.running]: { status: "RUNNING" },
    [ExpressOutcomes.succeeded]: { status: "SUCCEEDED" },
    [ExpressOutcomes.rolledBack]: { status: "FAILED", error: SagaErrors.RolledBack },
    [ExpressOutcomes.compensationFailed]: { status: "FAILED", error: SagaErrors.CompensationFailed },
};

/**
 * The report of an EXPRESS saga, from its record alone, in the shape of `summarize`'s: the outcome
 * its machine recorded (running until then), or once a repair has replaced the record, the
 * repair's outcome with what the repaired execution was (a saga the sweep found without an outcome
 * past its deadline counts as TIMED_OUT: its execution timed out, failed on its own, or never ran).
 */
export function summarizeRecord(record: RecordItem) {
    if (record.repairExecutionArn !== undefined) {
        const execution = { status: record.executionStatus as ExecutionStatus, error: record.executionError, executionArn: record.executionArn, startDate: undefined };
        return summarize(execution, record);
    }
    const ending = EXPRESS_ENDINGS[record.outcome];
    if (!ending) throw new Error(`The record of saga "${record.pk}" has the outcome ${JSON.stringify(record.outcome)}, which this code does not know.`);
    const startedAt = record[SagaRecordFields.startedAt];
    return summarize({
        status: ending.status,
        error: ending.error,
        executionArn: record[SagaRecordFields.executionArn],
        startDate: startedAt !== undefined ? new Date(startedAt) : undefined,
        cause: record[SagaRecordFields.sagaState],
    });
}

/** What the outcome record says; undefined when it says nothing this code knows (then the execution's own outcome stands). */
function repairOf(record: RecordItem): { outcome: SagaOutcome; repairedAt: string | null; needsAttention: unknown } | undefined {
    switch (record.outcome) {
        case RepairOutcomes.repairing:
            return { outcome: SagaOutcomes.repairing, repairedAt: null, needsAttention: null };
        case RepairOutcomes.rolledBack:
            return { outcome: SagaOutcomes.rolledBack, repairedAt: record.repairedAt ?? null, needsAttention: null };
        case RepairOutcomes.needsAttention:
            return { outcome: SagaOutcomes.needsAttention, repairedAt: null, needsAttention: publicCause(record.needsAttention) };
        default:
            log("warn", "Ignored an outcome record this code does not know", { id: record.pk, outcome: record.outcome });
            return undefined;
    }
}

/** A failure as callers see it: its type and message. */
export interface PublicError {
    errorType: string;
    errorMessage: string;
}

/** Where errors carry their stack: Node's and Lambda's names. Stacks name files and lines: never for callers. */
const TRACE_KEYS = new Set(["trace", "stackTrace", "stack"]);

/**
 * The execution's cause as callers see it: parsed when it is JSON (the saga's causes are), each
 * error in it reduced to its `errorType` and `errorMessage`. A failed function's error carries its
 * stack trace with file paths (`trace`); after a failed compensation the cause is the saga's state,
 * whose errors are `{ Error, Cause }` pairs with such an error, as a JSON string, for `Cause`.
 * A cause that is not JSON (e.g. of States.Runtime) is given as it is.
 */
export function publicCause(cause: string | undefined): unknown {
    return cause === undefined ? null : publicValue(parseJson(cause));
}

function publicValue(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(publicValue);
    if (typeof value !== "object" || value === null) return value;
    const fields = value as Record<string, unknown>;
    if (isFunctionError(fields)) return publicError(undefined, fields);
    if (typeof fields.Error === "string" && "Cause" in fields) return pairError(fields.Error, fields.Cause);
    return Object.fromEntries(
        Object.entries(fields)
            .filter(([key]) => !TRACE_KEYS.has(key))
            .map(([key, nested]) => [key, publicValue(nested)]),
    );
}

/** A Lambda function's error: Node's `errorType`/`errorMessage`/`trace`, or a timeout's lone `errorMessage`. */
function isFunctionError(fields: Record<string, unknown>): boolean {
    return typeof fields.errorType === "string" || (typeof fields.errorMessage === "string" && !("Error" in fields));
}

function publicError(errorType: string | undefined, fields: Record<string, unknown>): PublicError {
    return {
        errorType: typeof fields.errorType === "string" ? fields.errorType : (errorType ?? "Error"),
        errorMessage: typeof fields.errorMessage === "string" ? fields.errorMessage : "",
    };
}

/** An error Step Functions recorded (a Catch's `{ Error, Cause }`): the function's error when `Cause` is one. */
function pairError(error: string, cause: unknown): PublicError {
    const parsed = typeof cause === "string" ? parseJson(cause) : cause;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && isFunctionError(parsed as Record<string, unknown>)) {
        return publicError(error, parsed as Record<string, unknown>);
    }
    const message = typeof parsed === "string" ? parsed : parsed === undefined || parsed === null ? "" : JSON.stringify(publicValue(parsed));
    return { errorType: error, errorMessage: message };
}

/** The value of a JSON text, or the text itself when it is not JSON. */
function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}
