// The travel saga's status Lambda, called with API Gateway proxy events for GET /trips/{tripId}:
// its real SDK clients talk to dynalite (the records) and to a local stand-in of the Step
// Functions API (the execution).
// First: the fake AWS environment must be in place before the handler creates its SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { executionArnOf } from "../components/model/arns";
import { Env, OUTCOME_RECORD_SK, SagaErrors } from "../components/model/conventions";
import { recordKey, reserveRecord } from "../handlers/lib/records";
import { handler as recordOutcome } from "../handlers/lib/repair-outcome";
import * as flight from "../handlers/travel/flight";
import * as hotel from "../handlers/travel/hotel";
import * as payment from "../handlers/travel/payment";
import { handler as status } from "../handlers/travel/status";
import { demoTrip } from "../handlers/travel/trip";
import { withEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { ExecutionState, SfnStub, sfnStub } from "./support/sfn-stub";

const newTripId = () => `trip-${randomUUID()}`;
const bodyOf = (response: { body: string }) => JSON.parse(response.body);

/** A failed action's error as the Lambda integration records it, stack trace included: the saga's rollback cause. */
const PAYMENT_FAILURE = {
    errorType: "PaymentFailed",
    errorMessage: 'Failure injected on purpose by run type "failPayment".',
    trace: ["PaymentFailed: Failure injected on purpose", "    at take (/var/task/index.js:120:11)", "    at Runtime.handler (/var/task/index.js:98:5)"],
};
/** What callers see of it: the type and the message. */
const PAYMENT_FAILURE_SEEN = { errorType: PAYMENT_FAILURE.errorType, errorMessage: PAYMENT_FAILURE.errorMessage };
/** The saga's state after a failed compensation: the cause of Saga.CompensationFailed. */
const COMPENSATION_FAILURE = {
    failure: { Error: "PaymentFailed", Cause: JSON.stringify(PAYMENT_FAILURE) },
    compensationFailures: {
        Flight: { Error: "Lambda.ServiceException", Cause: "Rate exceeded" },
        Hotel: { Error: "InjectedCompensationFailure", Cause: JSON.stringify({ errorType: "InjectedCompensationFailure", errorMessage: "Cancel failed on purpose.", trace: ["at cancel (/var/task/index.js:7:1)"] }) },
        // A Lambda timeout has no errorType; a Python function's stack is `stackTrace`.
        Payment: { Error: "Sandbox.Timedout", Cause: JSON.stringify({ errorMessage: "Task timed out after 10.00 seconds" }) },
        Car: { Error: "ValueError", Cause: JSON.stringify({ errorType: "ValueError", errorMessage: "bad", stackTrace: ['  File "/var/task/app.py", line 3'], requestId: "r-1" }) },
    },
};
const COMPENSATION_FAILURE_SEEN = {
    failure: PAYMENT_FAILURE_SEEN,
    compensationFailures: {
        Flight: { errorType: "Lambda.ServiceException", errorMessage: "Rate exceeded" },
        Hotel: { errorType: "InjectedCompensationFailure", errorMessage: "Cancel failed on purpose." },
        Payment: { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 10.00 seconds" },
        Car: { errorType: "ValueError", errorMessage: "bad" },
    },
};

describe("travel status handler", () => {
    let sfn: SfnStub;
    let table: LocalTable;
    before(async () => {
        [sfn, table] = await Promise.all([sfnStub(), localTable()]);
    });
    beforeEach(() => sfn.reset());

    const request = (pathParameters: Record<string, string> | null, env: Record<string, string | undefined> = {}) =>
        withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn, ...env }, () => status({ pathParameters }));

    /** The store's operations while `body` runs. */
    async function operationsDuring<T>(body: () => Promise<T>): Promise<{ result: T; operations: string[] }> {
        const before = table.operations.length;
        const result = await body();
        return { result, operations: table.operations.slice(before) };
    }

    /** Books a trip's hotel, flight and payment as the saga's actions do; returns its records. */
    async function book(tripId: string) {
        const trip = demoTrip(tripId);
        await hotel.reserve(trip);
        await flight.reserve(trip);
        await payment.take(trip);
        return table.itemsOf(tripId);
    }

    it("reports a running saga with the input it was started with and its records, from one Query on the trip's partition only", async () => {
        const tripId = newTripId();
        const executionArn = sfn.setExecution(tripId, { status: "RUNNING" }, JSON.stringify(demoTrip(tripId)));
        const records = await book(tripId);
        // Another trip, and one whose id starts with this one: neither may show up.
        await book(newTripId());
        await book(`${tripId}-2`);

        const { result: response, operations } = await operationsDuring(() => request({ tripId }));
        assert.equal(response.statusCode, 200);
        assert.equal(response.headers["content-type"], "application/json");
        const body = bodyOf(response);
        assert.ok(!Number.isNaN(Date.parse(body.startDate)));
        assert.deepEqual(body, {
            id: tripId,
            tripId,
            outcome: "running",
            repairedFrom: null,
            repairedAt: null,
            needsAttention: null,
            status: "RUNNING",
            executionArn,
            startDate: body.startDate,
            stopDate: null,
            error: null,
            cause: null,
            input: demoTrip(tripId),
            records,
        });
        assert.deepEqual(
            records.map((r) => r.sk.split("#")[0]),
            ["FLIGHT", "HOTEL", "PAYMENT"],
        );
        assert.deepEqual(operations, ["Query"]);
        assert.deepEqual(sfn.described, [executionArnOf(sfn.stateMachineArn, tripId)]);
    });

    // Each status (and error) an execution can show, the outcome it means, and the cause reported.
    const outcomes: { state: ExecutionState; outcome: string; cause: unknown }[] = [
        { state: { status: "SUCCEEDED" }, outcome: "succeeded", cause: null },
        {
            state: { status: "FAILED", error: SagaErrors.RolledBack, cause: JSON.stringify(PAYMENT_FAILURE) },
            outcome: "rolled_back",
            cause: PAYMENT_FAILURE_SEEN,
        },
        {
            state: { status: "FAILED", error: SagaErrors.CompensationFailed, cause: JSON.stringify(COMPENSATION_FAILURE) },
            outcome: "compensation_failed",
            cause: COMPENSATION_FAILURE_SEEN,
        },
        {
            state: { status: "FAILED", error: "States.Runtime", cause: "An error occurred while executing the state 'Reserve Hotel'." },
            outcome: "failed",
            cause: "An error occurred while executing the state 'Reserve Hotel'.",
        },
        { state: { status: "TIMED_OUT", error: "States.Timeout" }, outcome: "timed_out", cause: null },
        { state: { status: "ABORTED" }, outcome: "aborted", cause: null },
        { state: { status: "PENDING_REDRIVE", error: SagaErrors.RolledBack }, outcome: "running", cause: null },
    ];
    for (const { state, outcome, cause } of outcomes) {
        const label = [state.status, state.error].filter(Boolean).join(" ");
        it(`reports ${label} as "${outcome}", with the execution's dates, error and cause (each error's type and message)`, async () => {
            const tripId = newTripId();
            sfn.setExecution(tripId, state);
            const response = await request({ tripId });
            assert.equal(response.statusCode, 200);
            const body = bodyOf(response);
            assert.deepEqual(
                { outcome: body.outcome, status: body.status, error: body.error, cause: body.cause, records: body.records },
                { outcome, status: state.status, error: state.error ?? null, cause, records: [] },
            );
            assert.equal(body.stopDate, new Date(Date.parse(body.startDate) + 60_000).toISOString());
        });
    }

    it("never shows callers a stack trace or a file path, however the cause nests its errors", async () => {
        const nested = { note: "kept", errors: [{ Error: "A", Cause: JSON.stringify(PAYMENT_FAILURE) }], stack: "at x (/var/task/index.js:1:1)" };
        for (const cause of [PAYMENT_FAILURE, COMPENSATION_FAILURE, nested]) {
            const tripId = newTripId();
            sfn.setExecution(tripId, { status: "FAILED", error: "Some.Error", cause: JSON.stringify(cause) });
            const response = await request({ tripId });
            assert.equal(response.statusCode, 200);
            assert.doesNotMatch(response.body, /trace|stack|\/var\/task|index\.js|app\.py|requestId/i);
        }
        const tripId = newTripId();
        sfn.setExecution(tripId, { status: "FAILED", error: "Some.Error", cause: JSON.stringify(nested) });
        assert.deepEqual(bodyOf(await request({ tripId })).cause, { note: "kept", errors: [{ errorType: "PaymentFailed", errorMessage: PAYMENT_FAILURE.errorMessage }] });
    });

    it("answers 405 with Allow to a method other than GET (the API routes only GET to it)", async () => {
        const response = await withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn }, () => status({ httpMethod: "POST", pathParameters: { tripId: "trip-1" } }));
        assert.equal(response.statusCode, 405);
        assert.equal(response.headers.allow, "GET");
        assert.deepEqual(sfn.described, []);
    });

    it("shows the records a rolled-back saga kept: the refunded payment and the bookings' tombstones, nothing pending", async () => {
        const tripId = newTripId();
        const trip = demoTrip(tripId);
        await book(tripId);
        await payment.refund(trip);
        await flight.cancel(trip);
        await hotel.cancel(trip);
        sfn.setExecution(tripId, { status: "FAILED", error: SagaErrors.RolledBack, cause: JSON.stringify(PAYMENT_FAILURE) });
        const body = bodyOf(await request({ tripId }));
        assert.equal(body.outcome, "rolled_back");
        assert.deepEqual(
            body.records.map((r: Record<string, string>) => [r.type, r.transaction_status]),
            [
                ["Flight", "cancelled"],
                ["Hotel", "cancelled"],
                ["Payment", "refunded"],
            ],
        );
    });

    /** Writes a saga's outcome record as its repair machine does, through the real outcome function. */
    const repaired = (tripId: string, outcome: string, state: ExecutionState, failures?: Record<string, unknown>) =>
        recordOutcome({
            sagaId: tripId,
            outcome,
            executionArn: executionArnOf(sfn.stateMachineArn, tripId),
            cause: { status: state.status, error: state.error ?? null },
            repairExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:saga-test-repair:${tripId}`,
            repairStartedAt: "2026-05-01T10:00:03.000Z",
            ...(failures ? { failures } : {}),
        });

    // Each execution the repair takes over, and each outcome record the repair writes: what is reported.
    const REPAIRED: { state: ExecutionState; from: string }[] = [
        { state: { status: "FAILED", error: SagaErrors.CompensationFailed, cause: JSON.stringify(COMPENSATION_FAILURE) }, from: "compensation_failed" },
        { state: { status: "ABORTED" }, from: "aborted" },
        { state: { status: "TIMED_OUT", error: "States.Timeout" }, from: "timed_out" },
        { state: { status: "FAILED", error: "States.Runtime", cause: "An error occurred while executing the state 'Reserve Hotel'." }, from: "failed" },
    ];
    for (const { state, from } of REPAIRED) {
        it(`reports a saga that ended ${from}, under repair, as "repairing", then "rolled_back" with when, from its outcome record; the execution stays ${state.status}`, async () => {
            const tripId = newTripId();
            sfn.setExecution(tripId, state);
            const records = await book(tripId);
            await repaired(tripId, "repairing", state);
            const during = bodyOf(await request({ tripId }));
            assert.deepEqual(
                { outcome: during.outcome, repairedFrom: during.repairedFrom, repairedAt: during.repairedAt, needsAttention: during.needsAttention, status: during.status, error: during.error },
                { outcome: "repairing", repairedFrom: from, repairedAt: null, needsAttention: null, status: state.status, error: state.error ?? null },
            );
            // The outcome record is reported through the outcome, not among the saga's records.
            assert.deepEqual(during.records, records);
            await repaired(tripId, "rolled_back", state);
            const after = bodyOf(await request({ tripId }));
            const record = (await table.itemsOf(tripId)).find((r) => r.sk === OUTCOME_RECORD_SK)!;
            assert.deepEqual(
                { outcome: after.outcome, repairedFrom: after.repairedFrom, repairedAt: after.repairedAt, status: after.status },
                { outcome: "rolled_back", repairedFrom: from, repairedAt: record.repairedAt, status: state.status },
            );
            assert.ok(!Number.isNaN(Date.parse(after.repairedAt)));
        });
    }

    it('reports "needs_attention" with each step\'s error, never a stack trace, when a compensation outlasted the repair horizon', async () => {
        const tripId = newTripId();
        const state: ExecutionState = { status: "ABORTED" };
        sfn.setExecution(tripId, state);
        await repaired(tripId, "needs_attention", state, { Flight: COMPENSATION_FAILURE.compensationFailures.Hotel });
        const response = await request({ tripId });
        const body = bodyOf(response);
        assert.deepEqual(
            { outcome: body.outcome, repairedFrom: body.repairedFrom, repairedAt: body.repairedAt, needsAttention: body.needsAttention, records: body.records },
            {
                outcome: "needs_attention",
                repairedFrom: "aborted",
                repairedAt: null,
                needsAttention: { Flight: COMPENSATION_FAILURE_SEEN.compensationFailures.Hotel },
                records: [],
            },
        );
        assert.doesNotMatch(response.body, /trace|\/var\/task/);
    });

    it("ignores an outcome record beside an execution that needs no repair (succeeded, rolled back cleanly, running), or one it does not know", async () => {
        const own: [ExecutionState, string][] = [
            [{ status: "SUCCEEDED" }, "succeeded"],
            [{ status: "FAILED", error: SagaErrors.RolledBack }, "rolled_back"],
            [{ status: "RUNNING" }, "running"],
        ];
        for (const [state, outcome] of own) {
            const tripId = newTripId();
            sfn.setExecution(tripId, state);
            await repaired(tripId, "needs_attention", state, {});
            const body = bodyOf(await request({ tripId }));
            assert.deepEqual([body.outcome, body.repairedFrom, body.needsAttention], [outcome, null, null], state.status);
        }
        const tripId = newTripId();
        sfn.setExecution(tripId, { status: "ABORTED" });
        await reserveRecord({ pk: tripId, sk: OUTCOME_RECORD_SK, outcome: "tidied" });
        const body = bodyOf(await request({ tripId }));
        assert.deepEqual([body.outcome, body.repairedFrom, body.records], ["aborted", null, []]);
    });

    it("lists the outcome record among the records when the execution is forgotten (404)", async () => {
        const tripId = newTripId();
        await repaired(tripId, "rolled_back", { status: "ABORTED" });
        const body = bodyOf(await request({ tripId }));
        assert.deepEqual(body.records.map((r: Record<string, string>) => [r.sk, r.outcome]), [[OUTCOME_RECORD_SK, "rolled_back"]]);
    });

    it("answers 404 when the trip has no execution, still listing the records under its id", async () => {
        const tripId = newTripId();
        const message = `No saga with tripId "${tripId}" was found: it was never started, or it ended more than 90 days ago.`;
        const never = await request({ tripId });
        assert.equal(never.statusCode, 404);
        assert.deepEqual(bodyOf(never), { id: tripId, tripId, message, records: [] });
        // E.g. a saga whose execution Step Functions no longer keeps.
        const orphan = { ...recordKey(tripId, "HOTEL"), trip_id: tripId, type: "Hotel", transaction_status: "confirmed" };
        await reserveRecord(orphan);
        const response = await request({ tripId });
        assert.equal(response.statusCode, 404);
        assert.deepEqual(bodyOf(response), { id: tripId, tripId, message, records: [orphan] });
    });

    it("answers 400 to a malformed trip id, asking neither Step Functions nor the table", async () => {
        const { operations } = await operationsDuring(async () => {
            for (const tripId of ["", "has space", "..", "x".repeat(65), "trip;drop", "trip%2F42"]) {
                const response = await request({ tripId });
                assert.equal(response.statusCode, 400, tripId);
                assert.deepEqual(bodyOf(response), { message: "`tripId` must be 1 to 64 letters, digits, '-' or '_'." });
            }
        });
        assert.deepEqual(operations, []);
        assert.deepEqual(sfn.described, []);
    });

    it("reads a trip id of 64 characters, the longest allowed", async () => {
        const tripId = "t".repeat(64);
        sfn.setExecution(tripId, { status: "SUCCEEDED" });
        assert.equal(bodyOf(await request({ tripId })).outcome, "succeeded");
    });

    it("reads every page of a trip's records: one Query, continued past DynamoDB's 1 MB", async () => {
        const tripId = newTripId();
        sfn.setExecution(tripId, { status: "SUCCEEDED" });
        // Five records of about 300 KB: the first page holds four.
        for (const n of [1, 2, 3, 4, 5]) {
            await reserveRecord({ ...recordKey(tripId, `NOTE${n}`), trip_id: tripId, text: `${n}`.repeat(300_000) });
        }
        const { result: response, operations } = await operationsDuring(() => request({ tripId }));
        const records = bodyOf(response).records as Record<string, string>[];
        assert.deepEqual(records.map((r) => r.text[0]).sort(), ["1", "2", "3", "4", "5"]);
        assert.deepEqual(operations, ["Query", "Query"]);
    });

    it("answers 500 without internals when Step Functions refuses, and reads no records", async () => {
        // The stub denies, as IAM would, executions of a machine the role does not cover.
        const otherMachine = "arn:aws:states:us-east-1:000000000000:stateMachine:secret-name";
        const { result: response, operations } = await operationsDuring(() =>
            request({ tripId: newTripId() }, { [Env.stateMachineArn]: otherMachine }),
        );
        assert.equal(response.statusCode, 500);
        assert.deepEqual(bodyOf(response), { message: "Could not report the saga; the details are in the status function's logs." });
        assert.equal(sfn.described.length, 1);
        assert.deepEqual(operations, []);
    });

    it("answers 500 when STATE_MACHINE_ARN is not set or not a state machine's ARN, calling nothing", async () => {
        for (const arn of [undefined, "arn:aws:lambda:us-east-1:000000000000:function:saga-test"]) {
            const { result: response, operations } = await operationsDuring(() => request({ tripId: newTripId() }, { [Env.stateMachineArn]: arn }));
            assert.equal(response.statusCode, 500, String(arn));
            assert.deepEqual(operations, []);
        }
        assert.deepEqual(sfn.described, []);
    });

    it("answers 500 when the route does not pass exactly one path parameter (a misconfigured route)", async () => {
        const misconfigured: (Record<string, string> | null)[] = [null, {}, { tripId: "trip-1", legId: "leg-1" }];
        for (const pathParameters of misconfigured) {
            const response = await request(pathParameters);
            assert.equal(response.statusCode, 500);
            assert.match(bodyOf(response).message, /status route is misconfigured/);
        }
        assert.deepEqual(sfn.described, []);
    });
});
