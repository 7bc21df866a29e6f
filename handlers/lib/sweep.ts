// The sweep of open EXPRESS sagas, run every minute by an EventBridge schedule (components/sweep.ts).
// EXPRESS sends no status-change events, so this is how a saga whose execution ended without
// recording an outcome (timed out, failed on its own, vanished) or never started (its start died
// after recording it), and a saga whose execution recorded a failed compensation, reach the repair
// machine, which compensates what is left, newest first. It reads the table's sparse index of open
// sagas, due from their deadline (or at once after a failed compensation), and starts the repair
// named after each saga: Step Functions (STANDARD) then starts nothing new for a saga twice.
// Part of the package: the component bundles it itself.
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, paginateQuery, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { Env, ExpressOutcomes, OPEN_SHARDS, OpenSagaIndex, OUTCOME_RECORD_SK, SAGA_STATE_KEY, SagaErrors, SagaRecordFields } from "../../components/model/conventions";
import { log, requireEnv } from "./env";
import { parseObject, type RepairInput } from "./repair-start";

// Created once per container; the SDK reads AWS_ENDPOINT_URL_DYNAMODB and _SFN itself, as on Lambda.
const dynamo = new DynamoDBClient({});
const sfn = new SFNClient({});

/** What one sweep did. */
export interface SweepReport {
    /** Open sagas due by now, as the index listed them. */
    due: number;
    /** Repairs started. */
    repaired: string[];
    /** Sagas whose repair had been started before: taken out of the index. */
    closed: string[];
    /** Sagas the index listed that were no longer open when read. */
    skipped: number;
}

/** Some sagas could not be handed over; the next sweep tries them again. */
export class SweepIncomplete extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SweepIncomplete";
    }
}

export async function handler(): Promise<SweepReport> {
    return sweep(new Date());
}

/** Hands every open saga due by `now` to the repair machine. */
export async function sweep(now: Date): Promise<SweepReport> {
    const report: SweepReport = { due: 0, repaired: [], closed: [], skipped: 0 };
    const failures: string[] = [];
    for (const sagaId of await dueSagas(now)) {
        report.due++;
        try {
            // The index is eventually consistent and holds keys only: the record itself decides.
            const record = await readRecord(sagaId);
            const repair = record && repairInputOf(record);
            if (!record || !repair) {
                report.skipped++;
                continue;
            }
            if (await startRepair(repair)) report.repaired.push(sagaId);
            else if (await closeRecord(sagaId, record[OpenSagaIndex.due])) report.closed.push(sagaId);
            else report.skipped++;
        } catch (error) {
            failures.push(sagaId);
            log("error", "Could not hand the saga to the repair; the next sweep tries again", { sagaId, error: String(error) });
        }
    }
    log(report.due > 0 ? "info" : "debug", "Open sagas swept", { due: report.due, repaired: report.repaired.length, closed: report.closed.length, skipped: report.skipped, failed: failures.length });
    if (failures.length > 0) throw new SweepIncomplete(`${failures.length} of ${report.due} due sagas could not be handed to the repair (${failures.slice(0, 5).join(", ")}); the next sweep tries them again.`);
    return report;
}

/** The ids of the open sagas due by `now`, from every shard of the index. */
async function dueSagas(now: Date): Promise<string[]> {
    const ids: string[] = [];
    for (const shard of OPEN_SHARDS) {
        const pages = paginateQuery(
            { client: dynamo },
            {
                TableName: requireEnv(Env.tableName),
                IndexName: OpenSagaIndex.name,
                KeyConditionExpression: "#shard = :shard AND #due <= :now",
                ExpressionAttributeNames: { "#shard": OpenSagaIndex.shard, "#due": OpenSagaIndex.due },
                ExpressionAttributeValues: { ":shard": { S: shard }, ":now": { S: now.toISOString() } },
            },
        );
        for await (const page of pages) ids.push(...(page.Items ?? []).flatMap((item) => (item.pk?.S !== undefined ? [item.pk.S] : [])));
    }
    return ids;
}

async function readRecord(sagaId: string): Promise<Record<string, string> | undefined> {
    const { Item } = await dynamo.send(
        new GetItemCommand({ TableName: requireEnv(Env.tableName), Key: { pk: { S: sagaId }, sk: { S: OUTCOME_RECORD_SK } }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return Object.fromEntries(Object.entries(Item).flatMap(([name, value]) => (value.S !== undefined ? [[name, value.S]] : [])));
}

/**
 * The repair's input for an open record: a saga still running past its deadline counts as timed
 * out (its execution timed out, failed on its own, vanished or never started: the repair runs
 * every compensation, which does nothing where nothing was done); one that recorded a failed
 * compensation gives the compensations the saga's state, as the STANDARD repair does. Undefined
 * when the record is no longer open.
 */
export function repairInputOf(record: Record<string, string>): RepairInput | undefined {
    if (record[OpenSagaIndex.shard] === undefined) return undefined;
    const input = parseObject(record[SagaRecordFields.input]) ?? {};
    const executionArn = record[SagaRecordFields.executionArn] ?? null;
    if (record.outcome === ExpressOutcomes.running) {
        return { sagaId: record.pk, executionArn, cause: { status: "TIMED_OUT", error: null }, input };
    }
    if (record.outcome === ExpressOutcomes.compensationFailed) {
        const state = parseObject(record[SagaRecordFields.sagaState]);
        return { sagaId: record.pk, executionArn, cause: { status: "FAILED", error: SagaErrors.CompensationFailed }, input: state ? { ...input, [SAGA_STATE_KEY]: state } : input };
    }
    return undefined;
}

/** Starts the saga's repair; false when one was started before (a repair's name is the saga id). */
async function startRepair(repair: RepairInput): Promise<boolean> {
    try {
        const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: requireEnv(Env.stateMachineArn), name: repair.sagaId, input: JSON.stringify(repair) }));
        log("info", "Repair started", { sagaId: repair.sagaId, ...repair.cause, repairExecutionArn: started.executionArn });
        return true;
    } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return false;
        throw error;
    }
}

/**
 * Takes a saga whose repair was started before out of the index, so that sweeps stop finding it:
 * the repair has it (its records replace this one), and a repair that ends unexpectedly reaches
 * the needs-attention queue by its own rule. Only while the record is as it was read.
 */
async function closeRecord(sagaId: string, due: string | undefined): Promise<boolean> {
    try {
        await dynamo.send(
            new UpdateItemCommand({
                TableName: requireEnv(Env.tableName),
                Key: { pk: { S: sagaId }, sk: { S: OUTCOME_RECORD_SK } },
                UpdateExpression: "REMOVE #shard, #due",
                ConditionExpression: "#due = :due",
                ExpressionAttributeNames: { "#shard": OpenSagaIndex.shard, "#due": OpenSagaIndex.due },
                ExpressionAttributeValues: { ":due": { S: due ?? "" } },
            }),
        );
        log("info", "The saga's repair was started before: taken out of the open sagas", { sagaId });
        return true;
    } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
    }
}
