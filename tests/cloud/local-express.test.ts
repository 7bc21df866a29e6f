// EXPRESS state machines of a program (tests/fixtures/express-program) on the local cloud, as AWS
// runs them: started through the Step Functions API, recording their outcome in DynamoDB through
// Step Functions' own integration, as their role allows (IAM enforced); their events in their log
// group at its level (ALL with data, ERROR without), in AWS's record format, read back through
// the CloudWatch Logs API (@aws-sdk/client-cloudwatch-logs) and GET /_local/logs/<group>; no
// EventBridge status-change event for them, where a STANDARD machine's executions send theirs; a
// schedule rule's function fired with EventBridge's Scheduled Event.
import "../support/aws-env";
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import assert from "node:assert/strict";
import * as path from "node:path";
import { banner } from "../../local/banner";
import { bootCloud, Booted } from "../../local/client";
import { curlLines, hasMachineCurl, paste } from "../support/pasted";

const FIXTURE = path.join(__dirname, "..", "fixtures", "express-program");

interface LogRecord {
    id: string;
    type: string;
    details: Record<string, unknown>;
    previous_event_id: string;
    event_timestamp: string;
    execution_arn: string;
    redrive_count: string;
}

describe("EXPRESS state machines of a program on the local cloud (tests/fixtures/express-program)", () => {
    let booted: Booted;
    let sfn: SFNClient;
    let logs: CloudWatchLogsClient;
    let dynamo: DynamoDBClient;
    const output = (name: string) => String(booted.cloud.outputs[name]);
    const start = async (machine: string, input: object) => (await sfn.send(new StartExecutionCommand({ stateMachineArn: output(machine), name: "order", input: JSON.stringify(input) }))).executionArn!;
    const recordsOf = async (group: string, executionArn: string) => {
        const { events = [] } = await logs.send(new FilterLogEventsCommand({ logGroupName: output(group) }));
        return events.map((event) => JSON.parse(event.message!) as LogRecord).filter((record) => record.execution_arn === executionArn);
    };

    before(async () => {
        booted = await bootCloud({ programDir: FIXTURE });
        const aws = { endpoint: booted.cloud.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
        sfn = new SFNClient(aws);
        logs = new CloudWatchLogsClient(aws);
        dynamo = new DynamoDBClient(aws);
    });
    after(async () => {
        for (const client of [sfn, logs, dynamo]) client?.destroy();
        await booted?.cloud.stop();
    });

    it("runs an execution that records its outcome through the DynamoDB integration, and logs every event with its data (ALL)", async () => {
        const executionArn = await start("expressArn", { id: "o-1" });
        assert.match(executionArn, /:express:express-[0-9a-f]{7}:order:[0-9a-f-]{36}$/);
        await booted.cloud.idle();
        const { Item } = await dynamo.send(new GetItemCommand({ TableName: output("tableName"), Key: { pk: { S: "o-1" } } }));
        assert.deepEqual(Item, { pk: { S: "o-1" }, runs: { N: "1" }, order_status: { S: "done" } });

        const records = await recordsOf("allLogsName", executionArn);
        assert.deepEqual(records.map((r) => r.type), [
            "ExecutionStarted",
            "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
            "ChoiceStateEntered", "ChoiceStateExited",
            "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
            "ExecutionSucceeded",
        ]);
        assert.deepEqual(records.map((r) => r.id), records.map((_r, i) => String(i + 1)));
        assert.deepEqual(records.map((r) => r.previous_event_id), records.map((_r, i) => String(i)));
        assert.ok(records.every((r) => /^\d{13}$/.test(r.event_timestamp) && r.redrive_count === "0"));
        assert.deepEqual(records[0].details, { input: '{"id":"o-1"}', inputDetails: { truncated: false }, roleArn: records[0].details.roleArn });
        assert.match(String(records[0].details.roleArn), /^arn:aws:iam::000000000000:role\/machine-role-/);
        assert.deepEqual([records[2].details.resourceType, records[2].details.resource], ["dynamodb", "updateItem"]);
        assert.equal(JSON.parse(String(records[2].details.parameters)).Key.pk.S, "o-1");
        assert.equal(records[1].details.name, "Record");

        // Its stream is the execution's own, named as Step Functions names them.
        const { logStreams = [] } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: output("allLogsName") }));
        assert.equal(logStreams.length, 1);
        assert.match(logStreams[0].logStreamName!, /^states\/express-[0-9a-f]{7}\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\/[0-9a-f]{8}$/);
        const stream = await logs.send(new GetLogEventsCommand({ logGroupName: output("allLogsName"), logStreamName: logStreams[0].logStreamName, startFromHead: true }));
        assert.equal(stream.events?.length, records.length);
    });

    it("starts another execution for a taken name, as EXPRESS does: both run, both are logged", async () => {
        const [first, second] = [await start("expressArn", { id: "o-2" }), await start("expressArn", { id: "o-2" })];
        assert.notEqual(first, second);
        await booted.cloud.idle();
        const { Item } = await dynamo.send(new GetItemCommand({ TableName: output("tableName"), Key: { pk: { S: "o-2" } } }));
        assert.equal(Item?.runs.N, "2");
        for (const arn of [first, second]) assert.equal((await recordsOf("allLogsName", arn)).at(-1)?.type, "ExecutionSucceeded");
    });

    it("logs only the failures at level ERROR, without the execution's data; the role's refused write is DynamoDB.AmazonDynamoDBException", async () => {
        const executionArn = await start("errorsOnlyArn", { id: "o-3" });
        await booted.cloud.idle();
        const records = await recordsOf("errorLogsName", executionArn);
        assert.deepEqual(records.map((r) => r.type), ["TaskFailed", "ExecutionFailed"]);
        assert.equal(records[0].details.error, "DynamoDB.AmazonDynamoDBException");
        assert.match(String(records[0].details.cause), /is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/forbidden-[0-9a-f]{7}.*Error Code: AccessDeniedException;/);
        assert.equal(records[1].details.error, "DynamoDB.AmazonDynamoDBException");
        // Failures only: the ALL group has nothing of it, and no record carries input or output.
        assert.deepEqual(await recordsOf("allLogsName", executionArn), []);
        assert.ok(records.every((r) => !("input" in r.details) && !("output" in r.details)));
    });

    it("filters a group's events with a JSON filter pattern, and answers CloudWatch Logs' errors", async () => {
        const failing = await start("expressArn", { id: "o-4", fail: true });
        await booted.cloud.idle();
        const { events = [] } = await logs.send(new FilterLogEventsCommand({ logGroupName: output("allLogsName"), filterPattern: '{ $.type = "ExecutionFailed" || $.type = "FailStateEntered" }' }));
        const failed = events.map((event) => JSON.parse(event.message!) as LogRecord);
        assert.deepEqual(failed.map((r) => [r.type, r.execution_arn]), [["FailStateEntered", failing], ["ExecutionFailed", failing]]);
        assert.deepEqual(failed[1].details, { cause: "The order asked to fail.", error: "Order.Refused" });
        const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "express-" }));
        assert.deepEqual(logGroups.map((g) => [g.logGroupName, g.retentionInDays]).sort(), [[output("allLogsName"), 7], [output("errorLogsName"), 7]]);
        await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: "nope" })), ResourceNotFoundException);
        await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: output("allLogsName"), filterPattern: "%ERROR%" })), /reads term and JSON filter patterns/);
    });

    it("serves a group's records at GET /_local/logs/<group>, parsed, newest n with ?limit", async () => {
        const { status, body } = await booted.client.get(`${booted.cloud.url}/_local/logs/${encodeURIComponent(output("allLogsName"))}?limit=1`);
        assert.equal(status, 200);
        assert.equal(body.events.length, 1);
        assert.equal(body.events[0].json.type, "ExecutionFailed");
        const listed = await booted.client.get(`${booted.cloud.url}/_local/logs`);
        assert.ok(listed.body.logGroups.some((group: { logGroupName: string; events: number }) => group.logGroupName === output("allLogsName") && group.events > 30));
        assert.equal((await booted.client.get(`${booted.cloud.url}/_local/logs/nope`)).status, 404);
    });

    it("sends EventBridge no status-change event for EXPRESS executions, where a STANDARD machine's send theirs", async () => {
        const queue = async () => (await booted.client.get(`${booted.cloud.url}/_local/queues/${output("statusChangesQueue")}`)).body.messages as { json: { detail: { stateMachineArn: string; status: string } } }[];
        assert.deepEqual(await queue(), []);
        await sfn.send(new StartExecutionCommand({ stateMachineArn: output("standardArn"), name: "standard-1", input: JSON.stringify({ id: "o-5" }) }));
        await booted.cloud.idle();
        const changes = await queue();
        assert.deepEqual(changes.map((m) => [m.json.detail.stateMachineArn, m.json.detail.status]), [[output("standardArn"), "RUNNING"], [output("standardArn"), "SUCCEEDED"]]);
    });

    it("lists the schedule rule with its next firing a minute on, and fires its function with a Scheduled Event when asked", async () => {
        const rule = output("scheduleArn").split("/").pop()!;
        const listed = await booted.client.get(`${booted.cloud.url}/_local/schedules`);
        const [schedule] = listed.body.schedules;
        assert.deepEqual([schedule.name, schedule.expression], [rule, "rate(1 minute)"]);
        assert.ok(Date.parse(schedule.nextFiring) > Date.now() + 30_000, "a minute after the start, not yet");
        const fired = await fetch(`${booted.cloud.url}/_local/schedules/${rule}`, { method: "POST" });
        assert.equal(fired.status, 202);
        await booted.cloud.idle();
        const { Item } = await dynamo.send(new GetItemCommand({ TableName: output("tableName"), Key: { pk: { S: "ticks" } } }));
        assert.equal(Item?.ticks.N, "1");
        const event = JSON.parse(Item!.last_event.S!);
        assert.deepEqual([event["detail-type"], event.source, event.resources], ["Scheduled Event", "aws.events", [output("scheduleArn")]]);
        assert.equal((await fetch(`${booted.cloud.url}/_local/schedules/nope`, { method: "POST" })).status, 404);
    });

    it("counts what AWS bills: each EXPRESS execution and its duration rounded up to 100 ms, the integration's DynamoDB requests", async () => {
        await fetch(`${booted.cloud.url}/_local/metrics`, { method: "DELETE" });
        await start("expressArn", { id: "o-6" });
        await booted.cloud.idle();
        const metrics = booted.cloud.metrics();
        const express = metrics.stepFunctions.byStateMachine[output("expressArn").split(":").pop()!];
        assert.equal(express.executionsStarted, 1);
        assert.equal(express.express?.executionsClosed, 1);
        assert.ok(express.express!.billedDurationMs >= express.express!.durationMs && express.express!.billedDurationMs % 100 === 0, JSON.stringify(express.express));
        // Record and Done: two UpdateItem requests, made by Step Functions itself.
        assert.deepEqual(metrics.dynamodb.byOperation, { UpdateItem: 2 });
        const standard = metrics.stepFunctions.byStateMachine[output("standardArn").split(":").pop()!];
        assert.equal(standard?.express, undefined);
    });

    it("npm start's banner points at an EXPRESS machine's log group, not at ListExecutions or DescribeExecution, which refuse it", async function () {
        // The program's machine as the banner reads it (its output), and an API to start sagas at.
        const cloud = { ...booted.cloud, outputs: { ...booted.cloud.outputs, stateMachineArn: output("expressArn"), apiUrl: `${booted.cloud.url}/v1/` } };
        assert.deepEqual(booted.cloud.stateMachine(output("expressArn")), { type: "EXPRESS", logGroupName: output("allLogsName") });
        assert.deepEqual(booted.cloud.stateMachine(output("standardArn")), { type: "STANDARD" });
        const text = banner(cloud, { retryIntervalMs: 0, verbose: true });
        assert.ok(text.includes(`  aws logs filter-log-events --log-group-name ${output("allLogsName")}`), text);
        assert.ok(!text.includes("list-executions") && !text.includes("describe-execution") && !text.includes("ListExecutions"), text);
        const logsLine = curlLines(text).find((line) => line.includes("/_local/logs/"));
        assert.ok(logsLine, text);
        if (!hasMachineCurl()) return this.skip();
        const pasted = JSON.parse(await paste(logsLine));
        assert.equal(pasted.logGroupName, output("allLogsName"));
        assert.ok(pasted.events.length > 0);
    });
});
