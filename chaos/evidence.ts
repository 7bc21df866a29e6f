// Gathers what the invariants are checked against, through the local cloud's own APIs as an
// operator would on AWS: the whole table (DynamoDB Scan), every execution of the saga's machine and
// of its repair machine with its history (Step Functions ListExecutions, DescribeExecution,
// GetExecutionHistory), the failure queue and the needs-attention queue (GET /_local/queues/<name>).
import { DynamoDBClient, paginateScan } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, HistoryEvent, paginateGetExecutionHistory, paginateListExecutions, SFNClient } from "@aws-sdk/client-sfn";
import { runPool, type SagaClient } from "../local/client";
import { OUTCOME_RECORD_SK } from "../components/model/conventions";
import { enteredStateOf, statesEnteredOf } from "../components/model/outcomes";
import { ExecutionEvidence, TaskAttempt, TripEvidence } from "./model";

export interface EvidenceSources {
    /** The local cloud's one endpoint. */
    url: string;
    region: string;
    tableName: string;
    stateMachineArn: string;
    repairMachineArn: string;
    failureQueueUrl: string;
    needsAttentionQueueUrl: string;
    client: SagaClient;
}

/** The sources of the stack's outputs (index.ts exports them all). */
export function evidenceSources(url: string, region: string, outputs: Record<string, unknown>, client: SagaClient): EvidenceSources {
    const output = (name: string) => String(outputs[name]);
    return {
        url,
        region,
        client,
        tableName: output("tableName"),
        stateMachineArn: output("stateMachineArn"),
        repairMachineArn: output("repairMachineArn"),
        failureQueueUrl: output("failureQueueUrl"),
        needsAttentionQueueUrl: output("needsAttentionQueueUrl"),
    };
}

/** The evidence of every saga started (by id), and of any other saga found on the way. */
export async function gatherEvidence(sources: EvidenceSources, started: string[]): Promise<TripEvidence[]> {
    const aws = { endpoint: sources.url, region: sources.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    const dynamo = new DynamoDBClient(aws);
    const sfn = new SFNClient(aws);
    try {
        const [records, executions, repairs, failures, needsAttention] = await Promise.all([
            scanTable(dynamo, sources.tableName),
            readExecutions(sfn, sources.stateMachineArn),
            readExecutions(sfn, sources.repairMachineArn),
            readStepsNamed(sources.client, sources.failureQueueUrl),
            readStepsNamed(sources.client, sources.needsAttentionQueueUrl),
        ]);
        const ids = [...new Set([...started, ...records.keys(), ...executions.keys(), ...repairs.keys(), ...failures.keys(), ...needsAttention.keys()])];
        return ids.map((tripId) => {
            const all = records.get(tripId) ?? [];
            const outcomeRecord = all.find((record) => record.sk === OUTCOME_RECORD_SK);
            return {
                tripId,
                execution: executions.get(tripId),
                records: all.filter((record) => record !== outcomeRecord),
                failureRecords: failures.get(tripId) ?? [],
                ...(repairs.has(tripId) ? { repair: repairs.get(tripId) } : {}),
                ...(outcomeRecord ? { outcomeRecord } : {}),
                needsAttention: needsAttention.get(tripId) ?? [],
            };
        });
    } finally {
        dynamo.destroy();
        sfn.destroy();
    }
}

/** An execution's evidence from its status, error and history events (in order). */
export function executionEvidence(status: string, error: string | undefined, events: HistoryEvent[]): ExecutionEvidence {
    const attempts: TaskAttempt[] = [];
    let state: string | undefined;
    for (const event of events) {
        // Task events name no state: they belong to the Task state entered last.
        state = enteredStateOf(event) ?? state;
        if (state === undefined) continue;
        if (event.type === "TaskSucceeded") attempts.push({ state });
        if (event.type === "TaskFailed") attempts.push({ state, error: event.taskFailedEventDetails?.error });
        if (event.type === "TaskTimedOut") attempts.push({ state, error: event.taskTimedOutEventDetails?.error ?? "States.Timeout" });
    }
    return { status, ...(error !== undefined ? { error } : {}), statesEntered: statesEnteredOf(events), attempts };
}

/** Every record of the table, by saga id (the partition key). */
async function scanTable(dynamo: DynamoDBClient, tableName: string): Promise<Map<string, Record<string, string>[]>> {
    const bySaga = new Map<string, Record<string, string>[]>();
    for await (const page of paginateScan({ client: dynamo }, { TableName: tableName, ConsistentRead: true })) {
        for (const item of page.Items ?? []) {
            const record = Object.fromEntries(Object.entries(item).map(([name, value]) => [name, value.S ?? JSON.stringify(value)]));
            bySaga.set(record.pk, [...(bySaga.get(record.pk) ?? []), record]);
        }
    }
    return bySaga;
}

/** Every execution of the machine with its history, by name (the saga id). */
async function readExecutions(sfn: SFNClient, stateMachineArn: string): Promise<Map<string, ExecutionEvidence>> {
    const arns: { name: string; arn: string }[] = [];
    for await (const page of paginateListExecutions({ client: sfn }, { stateMachineArn, maxResults: 1000 })) {
        for (const execution of page.executions ?? []) arns.push({ name: execution.name!, arn: execution.executionArn! });
    }
    const byName = new Map<string, ExecutionEvidence>();
    await runPool(arns.length, 8, async (i) => {
        const { name, arn } = arns[i];
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
        const events: HistoryEvent[] = [];
        for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn: arn, maxResults: 1000 })) events.push(...(page.events ?? []));
        byName.set(name, executionEvidence(described.status!, described.error, events));
    });
    return byName;
}

/**
 * The step each message of a queue names, by saga id: the failure queue's records, the
 * needs-attention queue's steps. A message naming no step (a repair that ended unexpectedly, as an
 * EventBridge event; a start that failed, as Lambda's invocation record) counts as step "?".
 */
async function readStepsNamed(client: SagaClient, queueUrl: string): Promise<Map<string, string[]>> {
    const { status, body } = await client.get(`${client.cloudUrl}/_local/queues/${queueUrl.split("/").pop()}`);
    if (status !== 200) throw new Error(`GET ${queueUrl} answered ${status}: ${JSON.stringify(body)}`);
    const bySaga = new Map<string, string[]>();
    for (const { json } of body.messages as { json?: Record<string, any> }[]) {
        const sagaId = String(json?.sagaId ?? json?.detail?.name ?? json?.requestPayload?.detail?.name);
        bySaga.set(sagaId, [...(bySaga.get(sagaId) ?? []), typeof json?.step === "string" ? json.step : "?"]);
    }
    return bySaga;
}
