// The repair on the local cloud, end to end over HTTP: Step Functions' status changes reach the
// program's EventBridge rule, whose target starts the repair machine (local/events/service.ts), with every
// compensation failing (saga:compensationFailureRate=1) until the fault is switched off
// (PUT /_local/faults). Then, on the same data folder, a restart: an event delivered but not marked
// delivered (a crash in between) is delivered again and starts nothing new, and a short repair
// horizon (saga:repairHorizonSeconds=60) ends a never-ending fault on the needs-attention queue.
// Retries wait 20 ms: a repair's 35 retries of a cancel (its 24-hour horizon) take under a second.
import "../support/aws-env";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { banner } from "../../local/banner";
import { bootCloud, Booted } from "../../local/client";
import { until } from "../support/until";
import { encodeLine } from "../../local/jsonl";
import { unseal, withoutChecksum } from "../support/data-folder";
import { LIVE_STATUSES } from "../../chaos/model";

const RETRY_MS = 20;
const FAULT_ON = { "saga:compensationFailureRate": "1" };

async function status(booted: Booted, tripId: string): Promise<Record<string, any>> {
    const { status: code, body } = await booted.client.status(tripId);
    assert.equal(code, 200, JSON.stringify(body));
    return body as Record<string, any>;
}

/** The repair machine's executions, by name. */
async function repairs(booted: Booted): Promise<Map<string, { executionArn: string; status: string }>> {
    const { body } = await booted.client.stepFunctions("ListExecutions", { stateMachineArn: booted.cloud.outputs.repairMachineArn });
    return new Map((body.executions as { name: string; executionArn: string; status: string }[]).map((e) => [e.name, e]));
}

async function failedAttempts(booted: Booted, executionArn: string): Promise<number> {
    const { body } = await booted.client.stepFunctions("GetExecutionHistory", { executionArn, maxResults: 1000 });
    return (body.events as { type: string }[]).filter((event) => event.type === "TaskFailed").length;
}

const live = (records: Record<string, string>[]) => records.filter((record) => LIVE_STATUSES.includes(record.transaction_status));

describe("the repair on the local cloud", function () {
    const dataDir = fs.mkdtempSync(path.join(tmpdir(), "saga-repair-"));
    let booted: Booted;
    before(async () => {
        booted = await bootCloud({ dataDir, config: FAULT_ON, retryIntervalMs: RETRY_MS });
    });
    after(async () => {
        await booted?.cloud.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("provisions the rules, their targets, the start function's permission and asynchronous retries from the program", () => {
        const provisioned = booted.cloud.resources.provisioned;
        const count = (type: string) => provisioned.filter((resource) => resource.type === type).length;
        assert.deepEqual([count("aws:cloudwatch/eventRule:EventRule"), count("aws:cloudwatch/eventTarget:EventTarget")], [2, 2]);
        assert.equal(count("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"), 1);
        const forEvents = provisioned.filter((resource) => resource.type === "aws:lambda/permission:Permission" && resource.local?.startsWith("events.amazonaws.com"));
        assert.equal(forEvents.length, 1);
    });

    it("refuses a fault rate that is no probability, and reports the rate of every compensation", async () => {
        assert.equal((await booted.client.setCompensationFailureRate(2)).status, 400);
        assert.equal((await booted.client.setCompensationFailureRate("0" as unknown as number)).status, 400);
        const { body } = await booted.client.get(`${booted.cloud.url}/_local/faults`);
        assert.deepEqual(Object.values(body.compensationFailureRate), [1, 1, 1]);
    });

    it("repairs a compensation_failed saga and a stopped one, retrying while the fault lasts, and rolls both back late once it ends", async () => {
        // B fails its payment and every compensation: compensation_failed, then the repair.
        assert.equal((await booted.client.start({ tripID: "repair-b", runType: "failPayment" })).status, 202);
        // C is stopped while it compensates: ABORTED, with nothing compensated yet.
        assert.equal((await booted.client.start({ tripID: "repair-c", runType: "failPayment" })).status, 202);
        await until("C compensating", async () => booted.lines.some((line) => line === "saga repair-c   -> Refund Payment"), 15_000);
        const c = await status(booted, "repair-c");
        assert.equal((await booted.client.stepFunctions("StopExecution", { executionArn: c.executionArn })).status, 200);

        const retrying = await until("both repairs retrying", async () => {
            const running = await repairs(booted);
            const [b, c] = [running.get("repair-b"), running.get("repair-c")];
            if (!b || !c || b.status !== "RUNNING" || c.status !== "RUNNING") return undefined;
            const failed = [await failedAttempts(booted, b.executionArn), await failedAttempts(booted, c.executionArn)];
            return failed.every((n) => n >= 3) && failed;
        }, 15_000);
        assert.ok(retrying.every((n) => n >= 3));
        // Each repair is the repair machine's execution named after the saga; the status route says so.
        const [b, stopped] = [await status(booted, "repair-b"), await status(booted, "repair-c")];
        assert.deepEqual([b.outcome, b.repairedFrom], ["repairing", "compensation_failed"]);
        assert.deepEqual([stopped.outcome, stopped.repairedFrom, stopped.status], ["repairing", "aborted", "ABORTED"]);

        // The fault ends: from their next attempt on, the compensations succeed.
        const switched = await booted.client.setCompensationFailureRate(0);
        assert.equal(switched.status, 200);
        assert.deepEqual(Object.values(switched.body.compensationFailureRate), [0, 0, 0]);
        await booted.cloud.idle();
        for (const [tripId, from] of [["repair-b", "compensation_failed"], ["repair-c", "aborted"]]) {
            const report = await status(booted, tripId);
            assert.deepEqual([report.outcome, report.repairedFrom], ["rolled_back", from], tripId);
            assert.ok(Date.parse(report.repairedAt) >= Date.parse(report.stopDate), `${tripId} repaired after its execution ended`);
            assert.deepEqual(live(report.records), [], `${tripId}: nothing left in effect`);
        }
        assert.deepEqual([...(await repairs(booted)).values()].map((e) => e.status), ["SUCCEEDED", "SUCCEEDED"]);
        // The log tells the repair from the saga: its own lines, and a late rollback, not a success.
        assert.ok(booted.lines.some((line) => /^saga repair-b COMPENSATION FAILED: .*; its repair takes over \(Saga\.CompensationFailed, \d+ ms\)$/.test(line)), booted.lines.join("\n"));
        for (const tripId of ["repair-b", "repair-c"]) {
            assert.match(booted.lines.find((line) => line.startsWith(`repair of saga ${tripId} started on `)) ?? "", /started on booking-repair-machine-/, tripId);
            assert.match(booted.lines.find((line) => line.startsWith(`repair of saga ${tripId} ROLLED BACK`)) ?? "", /^repair of saga \S+ ROLLED BACK, late: every compensation repaired in \d+ ms$/, tripId);
            assert.ok(!booted.lines.some((line) => line.startsWith(`saga ${tripId} SUCCEEDED`)), `${tripId}'s repair is not logged as the saga's success`);
        }
        // A repair's retries: its first failure, then one summary line per compensation, never a line per retry.
        const repairLines = booted.lines.filter((line) => line.startsWith("repair of saga repair-b "));
        assert.deepEqual(repairLines.filter((line) => line.includes("retrying ") && !line.includes("retrying until")), [], "no line per retry");
        const failedStates = repairLines.map((line) => / x {2}(.+) failed: /.exec(line)?.[1]).filter((state): state is string => state !== undefined);
        assert.ok(failedStates.length > 0, repairLines.join("\n"));
        assert.equal(new Set(failedStates).size, failedStates.length, `one failure line per compensation: ${failedStates.join(", ")}`);
        for (const state of failedStates) {
            const summaries = repairLines.filter((line) => line.includes(`~  ${state} succeeded after `));
            assert.equal(summaries.length, 1, `${state}: ${repairLines.join("\n")}`);
            assert.match(summaries[0], /succeeded after \d+ failed attempts?$/);
        }
    });

    it("starts no repair for a clean rollback or a success", async () => {
        await booted.client.start({ tripID: "clean-d", runType: "failPayment" });
        await booted.client.start({ tripID: "clean-e" });
        await booted.cloud.idle();
        assert.deepEqual([(await status(booted, "clean-d")).outcome, (await status(booted, "clean-e")).outcome], ["rolled_back", "succeeded"]);
        assert.equal((await status(booted, "clean-d")).repairedFrom, null);
        assert.deepEqual([...(await repairs(booted)).keys()].sort(), ["repair-b", "repair-c"]);
    });

    describe("after a restart on the same data folder, with a 60-second repair horizon", function () {
        let firstLines: string[];
        before(async () => {
            await booted.cloud.stop();
            firstLines = booted.lines;
            // A crash between delivering B's status change and marking it delivered: it is delivered again.
            // Each line is a record and its checksum (local/jsonl.ts); a crash leaves no seal (local/data-folder.ts).
            const journal = path.join(dataDir, "events", "pending.jsonl");
            const taken = fs.readFileSync(journal, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(withoutChecksum(line)));
            const changeOfB = taken.find((line) => line.event?.detail.name === "repair-b" && line.event.detail.status === "FAILED").event;
            fs.appendFileSync(journal, encodeLine({ event: changeOfB }));
            unseal(dataDir);
            booted = await bootCloud({ dataDir, config: { ...FAULT_ON, "saga:repairHorizonSeconds": "60" }, retryIntervalMs: RETRY_MS });
        });

        it("delivers an undelivered event again, and its duplicate starts nothing new", async () => {
            assert.ok(booted.lines.some((line) => /^Delivering again 1 event/.test(line)), booted.lines.join("\n"));
            await booted.cloud.idle();
            // The start function ran once more, and found the repair started before.
            const metrics = booted.cloud.metrics();
            assert.equal(Object.entries(metrics.lambda.byFunction).find(([name]) => name.startsWith("booking-repair-start"))?.[1], 1);
            assert.equal(metrics.stepFunctions.executionsStarted, 0);
            const listed = await repairs(booted);
            assert.deepEqual([...listed.keys()].sort(), ["repair-b", "repair-c"]);
            assert.equal(listed.get("repair-b")!.status, "SUCCEEDED");
            assert.equal((await status(booted, "repair-b")).outcome, "rolled_back");
        });

        it("sends a saga whose fault outlasts the horizon to the needs-attention queue, and only that saga", async () => {
            await booted.client.start({ tripID: "stuck-a", runType: "failPayment" });
            await booted.cloud.idle();
            const report = await status(booted, "stuck-a");
            assert.deepEqual([report.outcome, report.repairedFrom], ["needs_attention", "compensation_failed"]);
            assert.deepEqual(Object.keys(report.needsAttention).sort(), ["Flight", "Hotel", "Payment"]);
            // A 60-second horizon is 6 retries of each cancel.
            const repair = (await repairs(booted)).get("stuck-a")!;
            assert.equal(repair.status, "FAILED");
            assert.equal(await failedAttempts(booted, repair.executionArn), 3 * 7);
            assert.ok(booted.lines.some((line) => /^repair of saga stuck-a NEEDS ATTENTION: .* \(Saga\.NeedsAttention, \d+ ms\)$/.test(line)), booted.lines.join("\n"));

            const name = String(booted.cloud.outputs.needsAttentionQueueUrl).split("/").pop();
            const { body } = await booted.client.get(`${booted.cloud.url}/_local/queues/${name}`);
            const messages = (body.messages as { json: Record<string, string> }[]).map((m) => m.json);
            assert.deepEqual(messages.map((m) => [m.sagaId, m.step]), [["stuck-a", "Payment"], ["stuck-a", "Flight"], ["stuck-a", "Hotel"]]);
        });

        it("needed no permission the stack does not grant: IAM, enforced, refused nothing", () => {
            assert.deepEqual([...firstLines, ...booted.lines].filter((line) => /^iam\b/.test(line)), []);
        });
    });

    describe("with npm start's spacing of a repair's retries (repairRetryIntervalMs)", function () {
        const REPAIR_MS = 250;
        let spaced: Booted;
        before(async () => {
            spaced = await bootCloud({ config: FAULT_ON, retryIntervalMs: 0, repairRetryIntervalMs: REPAIR_MS });
        });
        after(() => spaced?.cloud.stop());

        it("spaces a repair's retries as asked, while the saga's own retries keep retryIntervalMs, and the banner says how long a repair retries", async () => {
            assert.equal((await spaced.client.start({ tripID: "spaced-a", runType: "failPayment" })).status, 202);
            const repair = await until("the repair retrying", async () => {
                const found = (await repairs(spaced)).get("spaced-a");
                return found && (await failedAttempts(spaced, found.executionArn)) >= 3 && found;
            }, 15_000);
            const failedAt = async (executionArn: string) => {
                const { body } = await spaced.client.stepFunctions("GetExecutionHistory", { executionArn, maxResults: 1000 });
                return (body.events as { type: string; timestamp: number }[]).filter((e) => e.type === "TaskFailed").map((e) => e.timestamp * 1000);
            };
            const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);
            const repairGaps = gaps((await failedAt(repair.executionArn)).slice(0, 3));
            assert.ok(repairGaps.every((gap) => gap >= REPAIR_MS - 5), `the repair's retries ${repairGaps.join(", ")} ms apart`);
            const saga = await status(spaced, "spaced-a");
            const sagaGaps = gaps((await failedAt(saga.executionArn)).slice(0, 3));
            assert.ok(sagaGaps.some((gap) => gap < REPAIR_MS - 5), `the saga's own retries ${sagaGaps.join(", ")} ms apart`);
            assert.equal((await spaced.client.setCompensationFailureRate(0)).status, 200);
            await spaced.cloud.idle();
            assert.equal((await status(spaced, "spaced-a")).outcome, "rolled_back");
            // The reference program's 24-hour horizon: 35 retries, at npm start's 15 s, about 9 minutes.
            assert.match(
                banner(spaced.cloud, { retryIntervalMs: 250, repairRetryIntervalMs: 15_000 }),
                /^Retries wait 250 ms here, not the definition's intervals; a repair's 15000 ms, so it retries each compensation 35 times over about 9 min \(on AWS, up to its horizon\) \(--retry-interval, --repair-retry-interval\)\.$/m,
            );
        });
    });
});
