// What the local cloud counts (GET /_local/metrics, LocalCloud.metrics()): Lambda requests,
// DynamoDB requests by operation, Step Functions transitions as STANDARD workflows bill them
// (states entered plus retries), API requests, Lambda durations and log bytes; and its seeded Math.random, which makes runs with random
// failures repeat. `npm run bench` costs each saga path from these counts.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { FixedStates } from "../../components/model/steps";
import { afterFailedCompensation, recordFailureStateName } from "../../components/model/definition";
import { LocalFunction } from "../../local/lambda/function";
import type { MetricsSnapshot } from "../../local/metrics";
import { travelSteps } from "../../handlers/travel/steps";
import { Booted, PROJECT_ROOT } from "../../local/client";
import { sharedCloud } from "../support/shared-cloud";

const FORWARD = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"];

describe("the local cloud's metrics", function () {
    let booted: Booted;
    // The shared cloud, with every compensation failing meanwhile (the fault switch), so a
    // rollback shows every retry; they wait 0 ms.
    before(async () => {
        ({ booted } = await sharedCloud());
        assert.equal((await booted.client.setCompensationFailureRate(1)).status, 200);
    });
    after(async () => void (await booted?.client.setCompensationFailureRate(0)));

    /** Runs one saga from a clean count (once what other tests started has ended), and answers what it cost. */
    async function costOf(query: Record<string, string>): Promise<MetricsSnapshot> {
        await booted.cloud.idle();
        const reset = await fetch(`${booted.cloud.url}/_local/metrics`, { method: "DELETE" });
        assert.equal(reset.status, 200);
        assert.equal((await booted.client.start(query)).status, 202);
        await booted.cloud.idle();
        const { status, body } = await booted.client.get(`${booted.cloud.url}/_local/metrics`);
        assert.equal(status, 200);
        assert.deepEqual(body, booted.cloud.metrics());
        return body;
    }

    const machineOf = (metrics: MetricsSnapshot) => Object.values(metrics.stepFunctions.byStateMachine)[0];

    it("counts a booking: 6 transitions, 6 Lambda requests (start and 5 steps), 3 puts and 2 updates", async () => {
        const metrics = await costOf({ tripID: `trip-${randomUUID().slice(0, 8)}` });
        assert.deepEqual(metrics.stepFunctions, {
            ...{ executionsStarted: 1, statesEntered: 6, retries: 0, stateTransitions: 6 },
            byStateMachine: {
                [String(booted.cloud.outputs.stateMachineArn).split(":").pop()!]: {
                    ...{ executionsStarted: 1, statesEntered: 6, retries: 0, stateTransitions: 6 },
                    byState: Object.fromEntries([...FORWARD, FixedStates.succeeded].sort().map((state) => [state, 1])),
                },
            },
        });
        assert.equal(metrics.lambda.invocations, 6);
        assert.deepEqual(Object.values(metrics.lambda.byFunction), [1, 1, 1, 1, 1, 1]);
        assert.deepEqual(metrics.dynamodb, { requests: 5, byOperation: { PutItem: 3, UpdateItem: 2 } });
        // What the rest of the bill needs: the one API request, each request's duration at its
        // function's memory and architecture (the component's default: 256 MB, arm64), and no
        // execution log on success (the STANDARD machine logs at level ERROR).
        assert.deepEqual(metrics.apiGateway, { requests: 1 });
        assert.deepEqual(Object.keys(metrics.lambda.durations), Object.keys(metrics.lambda.byFunction));
        for (const usage of Object.values(metrics.lambda.durations)) {
            assert.deepEqual([usage.memoryMb, usage.architecture, usage.requests], [256, "arm64", 1]);
            assert.ok(usage.durationMs > 0 && usage.billedDurationMs === Math.max(1, Math.ceil(usage.durationMs)), JSON.stringify(usage));
        }
        assert.deepEqual(metrics.logs, { bytesIngested: 0, byGroup: {} });
    });

    it("counts every retry of a failing compensation as a transition and a Lambda request", async () => {
        const metrics = await costOf({ tripID: `trip-${randomUUID().slice(0, 8)}`, runType: "failPayment" });
        const [hotel, flight, payment] = travelSteps;
        const cancels = ["Refund Payment", afterFailedCompensation("Cancel Flight"), afterFailedCompensation("Cancel Hotel")];
        // Each compensation: 1 attempt and 3 retries, then its failure recorded on the queue.
        assert.deepEqual(machineOf(metrics).byState, {
            ...Object.fromEntries(["Reserve Hotel", "Reserve Flight", "Take Payment"].map((state) => [state, 1])),
            ...Object.fromEntries(cancels.map((state) => [state, 4])),
            ...Object.fromEntries([payment, flight, hotel].map((step) => [recordFailureStateName(step), 1])),
            [FixedStates.summarizeFailures]: 1,
            [FixedStates.compensationFailed]: 1,
        });
        assert.deepEqual([machineOf(metrics).statesEntered, machineOf(metrics).retries, machineOf(metrics).stateTransitions], [11, 9, 20]);
        // Then the repair (its machine sorts after the saga's): it records repairing, retries each
        // cancel 35 times (its 24-hour horizon), sends each to the needs-attention queue, records that.
        const repair = Object.values(metrics.stepFunctions.byStateMachine)[1];
        assert.deepEqual([repair.statesEntered, repair.retries, metrics.stepFunctions.stateTransitions], [9, 3 * 35, 20 + 9 + 105]);
        // Lambda: the saga's start, 3 forward steps, 3 x 4 compensation attempts; the repair's start
        // function, its 2 outcome records and 3 x 36 cancel attempts.
        assert.equal(metrics.lambda.invocations, 1 + 3 + 12 + (1 + 2 + 3 * 36));
        // The payment failed before its write, and every compensation before touching the table; the
        // repair's outcome records: repairing, then needs_attention.
        assert.deepEqual(metrics.dynamodb.byOperation, { PutItem: 2 + 2 });
        // At level ERROR the machines log the failures, with their data: those bytes are counted by group.
        const groups = Object.keys(metrics.logs.byGroup);
        assert.ok(groups.length >= 1 && metrics.logs.bytesIngested > 0, JSON.stringify(metrics.logs));
        assert.equal(Object.values(metrics.logs.byGroup).reduce((sum, bytes) => sum + bytes, 0), metrics.logs.bytesIngested);
    });

    it("counts whoever calls: the status route's function and its Query; DELETE answers the counts and starts afresh", async () => {
        const tripId = `trip-${randomUUID().slice(0, 8)}`;
        await costOf({ tripID: tripId });
        const before = booted.cloud.metrics();
        assert.equal((await booted.client.status(tripId)).status, 200);
        const after = booted.cloud.metrics();
        assert.equal(after.lambda.invocations, before.lambda.invocations + 1);
        assert.equal(after.dynamodb.byOperation.Query, 1);

        const reset = await fetch(`${booted.cloud.url}/_local/metrics`, { method: "DELETE" });
        assert.deepEqual(await reset.json(), after);
        const fresh = booted.cloud.metrics();
        assert.deepEqual([fresh.lambda.invocations, fresh.dynamodb.requests, fresh.stepFunctions.stateTransitions], [0, 0, 0]);
        assert.deepEqual([fresh.apiGateway.requests, fresh.lambda.durations, fresh.lambda.logBytes, fresh.logs.bytesIngested], [0, {}, 0, 0]);
        assert.ok(fresh.since >= after.since);
    });
});

describe("the local cloud's seeded Math.random", function () {
    const started: LocalFunction[] = [];
    after(() => Promise.all(started.map((fn) => fn.stop())));

    /** Three draws of Math.random in a fresh function named `name`. */
    async function draws(name: string, randomSeed?: number): Promise<number[]> {
        const fn = new LocalFunction(
            {
                name,
                arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
                // Kept at load, as code may keep it: the seed must already be in place.
                files: { "index.js": "const random = Math.random; exports.handler = async () => [random(), random(), random()];" },
                handler: "index.handler",
                environment: {},
                timeoutSeconds: 3,
                memorySize: 128,
                architecture: "x86_64",
                credentials: { accessKeyId: "test", secretAccessKey: "test" },
            },
            { projectRoot: PROJECT_ROOT, environment: {}, onLog: () => undefined, randomSeed },
        );
        started.push(fn);
        const result = await fn.invoke({});
        assert.ok(result.ok);
        return result.payload as number[];
    }

    it("repeats with the same seed, and differs between functions and seeds", async () => {
        const [first, again, otherFunction, otherSeed] = await Promise.all([draws("a", 7), draws("a", 7), draws("b", 7), draws("a", 8)]);
        assert.deepEqual(again, first);
        assert.notDeepEqual(otherFunction, first);
        assert.notDeepEqual(otherSeed, first);
        assert.ok(first.every((value) => value >= 0 && value < 1));
    });

    it("is Node's own without a seed", async () => {
        const [first, second] = await Promise.all([draws("c"), draws("c")]);
        assert.notDeepEqual(second, first);
    });
});
