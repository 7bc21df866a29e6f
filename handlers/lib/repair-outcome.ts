// The Lambda through which a saga's repair machine writes the saga's outcome record: "repairing"
// when the repair starts, then "rolled_back" or "needs_attention". The execution it repairs stays
// FAILED (or ABORTED, TIMED_OUT) in Step Functions, so the status route reads the saga's own
// outcome here, under the saga's partition. Part of the package: the component bundles it itself.
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { Env, ExpressOutcomes, OUTCOME_RECORD_SK, OUTCOME_RECORD_TYPE, RepairOutcome, RepairOutcomes } from "../../components/model/conventions";
import { log, requireEnv } from "./env";
import { InvalidInput } from "./saga-event";

// Created once per container; the SDK reads AWS_ENDPOINT_URL_DYNAMODB itself, as on Lambda.
const dynamo = new DynamoDBClient({});

/** What the repair machine sends (components/model/repair.ts writes these fields). */
export interface OutcomeRequest {
    sagaId: string;
    outcome: RepairOutcome;
    /** The execution being repaired, and how it ended; null when the sweep of an EXPRESS saga found none recorded. */
    executionArn: string | null;
    cause: { status: string; error: string | null };
    repairExecutionArn: string;
    repairStartedAt: string;
    /** With needs_attention: each step whose compensation still failed past the horizon, with its error. */
    failures?: Record<string, unknown>;
}

export { OUTCOME_RECORD_TYPE };

export async function handler(event: unknown): Promise<{ outcome: RepairOutcome; written: boolean }> {
    const request = outcomeRequestOf(event);
    const item = outcomeRecord(request, new Date());
    try {
        await dynamo.send(
            new PutItemCommand({
                TableName: requireEnv(Env.tableName),
                Item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])),
                // "repairing" never replaces a final outcome (a repair started again by hand, or a
                // redrive); it does replace an EXPRESS saga's open record (running, or a failed
                // compensation the sweep handed over), which takes it out of the open-saga index.
                ...(request.outcome === RepairOutcomes.repairing
                    ? {
                          ConditionExpression: "attribute_not_exists(pk) OR outcome IN (:repairing, :running, :compensationFailed)",
                          ExpressionAttributeValues: {
                              ":repairing": { S: RepairOutcomes.repairing },
                              ":running": { S: ExpressOutcomes.running },
                              ":compensationFailed": { S: ExpressOutcomes.compensationFailed },
                          },
                      }
                    : {}),
            }),
        );
    } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        log("info", "The saga already has a final outcome: left as it is", { sagaId: request.sagaId, outcome: request.outcome });
        return { outcome: request.outcome, written: false };
    }
    log(request.outcome === RepairOutcomes.needsAttention ? "warn" : "info", "Saga outcome recorded", { sagaId: request.sagaId, outcome: request.outcome });
    return { outcome: request.outcome, written: true };
}

/** The record, as the repair reached its outcome `now`: strings only, as every saga record. */
export function outcomeRecord(request: OutcomeRequest, now: Date): Record<string, string> {
    const time = now.toISOString();
    const at: Record<string, string> =
        request.outcome === RepairOutcomes.rolledBack ? { repairedAt: time } : request.outcome === RepairOutcomes.needsAttention ? { needsAttentionAt: time } : {};
    return {
        pk: request.sagaId,
        sk: OUTCOME_RECORD_SK,
        type: OUTCOME_RECORD_TYPE,
        outcome: request.outcome,
        ...(request.executionArn !== null ? { executionArn: request.executionArn } : {}),
        executionStatus: request.cause.status,
        ...(request.cause.error !== null ? { executionError: request.cause.error } : {}),
        repairExecutionArn: request.repairExecutionArn,
        repairStartedAt: request.repairStartedAt,
        ...at,
        ...(request.failures !== undefined ? { needsAttention: JSON.stringify(request.failures) } : {}),
    };
}

const OUTCOMES: readonly string[] = Object.values(RepairOutcomes);

function outcomeRequestOf(event: unknown): OutcomeRequest {
    const fields = (typeof event === "object" && event !== null ? event : {}) as Partial<Record<keyof OutcomeRequest, unknown>>;
    const strings = ["sagaId", "executionArn", "repairExecutionArn", "repairStartedAt"] as const;
    // An EXPRESS saga's sweep may know no execution: null, never absent or empty.
    const missing = strings.filter((field) => !(field === "executionArn" && fields[field] === null) && (typeof fields[field] !== "string" || fields[field] === ""));
    if (missing.length > 0) throw new InvalidInput(`The outcome request needs non-empty strings for: ${missing.map((f) => `\`${f}\``).join(", ")}.`);
    if (!OUTCOMES.includes(fields.outcome as string)) throw new InvalidInput(`\`outcome\` must be one of ${OUTCOMES.join(", ")}; got ${JSON.stringify(fields.outcome)}.`);
    const cause = fields.cause as Partial<OutcomeRequest["cause"]> | undefined;
    if (typeof cause?.status !== "string") throw new InvalidInput("The outcome request needs `cause.status`, how the repaired execution ended.");
    return { ...(fields as OutcomeRequest), cause: { status: cause.status, error: typeof cause.error === "string" ? cause.error : null } };
}
