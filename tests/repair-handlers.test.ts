// The repair's two functions, with their real SDK clients: the one that starts the repair machine
// on a status change event (against a local stand-in of the Step Functions API), and the one that
// writes the saga's outcome record (against dynalite).
// First: the fake AWS environment must be in place before the handlers create their SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { executionArnOf } from "../components/model/arns";
import { Env, OUTCOME_RECORD_SK, SAGA_STATE_KEY, SagaErrors } from "../components/model/conventions";
import { handler as recordOutcome } from "../handlers/lib/repair-outcome";
import { handler as startRepair, InvalidStatusChange, repairInputOf } from "../handlers/lib/repair-start";
import { InvalidInput } from "../handlers/lib/saga-event";
import { demoTrip } from "../handlers/travel/trip";
import { withEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { SfnStub, sfnStub } from "./support/sfn-stub";

const SAGA_MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:booking-machine";

/** A status change event as EventBridge delivers it from Step Functions. */
function statusChange(sagaId: string, detail: Record<string, unknown> = {}) {
    return {
        version: "0",
        id: randomUUID(),
        "detail-type": "Step Functions Execution Status Change",
        source: "aws.states",
        account: "000000000000",
        time: "2026-05-01T10:00:02Z",
        region: "us-east-1",
        resources: [executionArnOf(SAGA_MACHINE, sagaId)],
        detail: {
            executionArn: executionArnOf(SAGA_MACHINE, sagaId),
            stateMachineArn: SAGA_MACHINE,
            name: sagaId,
            status: "ABORTED",
            startDate: 1777629600000,
            stopDate: 1777629602000,
            input: JSON.stringify(demoTrip(sagaId)),
            inputDetails: { included: true },
            output: null,
            error: null,
            cause: null,
            ...detail,
        },
    };
}

const COMPENSATION_FAILED = {
    failure: { Error: "PaymentFailed", Cause: JSON.stringify({ errorType: "PaymentFailed", errorMessage: "declined" }) },
    compensationFailures: { Flight: { Error: "FlightDeskDown", Cause: JSON.stringify({ errorType: "FlightDeskDown", errorMessage: "down" }) } },
};

describe("the repair's start function", () => {
    let sfn: SfnStub;
    before(async () => {
        sfn = await sfnStub();
    });
    beforeEach(() => sfn.reset());

    const start = (event: unknown) => withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn }, () => startRepair(event));

    it("starts the repair machine named after the saga, with the execution's input and how it ended", async () => {
        const sagaId = `trip-${randomUUID()}`;
        const result = await start(statusChange(sagaId));
        assert.deepEqual(result, { sagaId, executionArn: executionArnOf(sfn.stateMachineArn, sagaId), started: true });
        assert.deepEqual(sfn.calls, [
            {
                stateMachineArn: sfn.stateMachineArn,
                name: sagaId,
                input: JSON.stringify({
                    sagaId,
                    executionArn: executionArnOf(SAGA_MACHINE, sagaId),
                    cause: { status: "ABORTED", error: null },
                    input: demoTrip(sagaId),
                }),
            },
        ]);
    });

    it("starts nothing new for a duplicate event: the same name and the same input are the same execution", async () => {
        const sagaId = `trip-${randomUUID()}`;
        const event = statusChange(sagaId, { status: "TIMED_OUT", error: "States.Timeout" });
        const first = await start(event);
        // EventBridge delivers at least once: the same event, under another id.
        const again = await start({ ...event, id: randomUUID() });
        assert.equal(again.executionArn, first.executionArn);
        assert.equal(sfn.calls.length, 2);
        assert.equal(sfn.calls[1].input, sfn.calls[0].input, "the input is a function of the event's detail only");
    });

    it("starts nothing once the saga's repair has ended (ExecutionAlreadyExists), and does not fail", async () => {
        const sagaId = `trip-${randomUUID()}`;
        sfn.setExecution(sagaId, { status: "SUCCEEDED" });
        assert.deepEqual(await start(statusChange(sagaId)), { sagaId, started: false });
    });

    it("gives the compensations the saga's state after a failed compensation, as the saga's machine did", () => {
        const sagaId = `trip-${randomUUID()}`;
        const input = repairInputOf(statusChange(sagaId, { status: "FAILED", error: SagaErrors.CompensationFailed, cause: JSON.stringify(COMPENSATION_FAILED) }));
        assert.deepEqual(input.cause, { status: "FAILED", error: SagaErrors.CompensationFailed });
        assert.deepEqual(input.input, { ...demoTrip(sagaId), [SAGA_STATE_KEY]: COMPENSATION_FAILED });
        // Another error's cause is no saga state: the input stays the execution's.
        const runtime = repairInputOf(statusChange(sagaId, { status: "FAILED", error: "States.Runtime", cause: JSON.stringify(COMPENSATION_FAILED) }));
        assert.deepEqual(runtime.input, demoTrip(sagaId));
    });

    it("refuses an event it cannot act on, starting nothing (Lambda's retries then end on the needs-attention queue)", async () => {
        const sagaId = `trip-${randomUUID()}`;
        const cases: [unknown, string][] = [
            [{ ...statusChange(sagaId), source: "aws.lambda" }, 'Expected a "Step Functions Execution Status Change" event from aws.states; got source "aws.lambda", detail-type "Step Functions Execution Status Change".'],
            [statusChange(sagaId, { name: "", executionArn: undefined }), "The status change has no `detail.name`, `detail.executionArn`."],
            [
                statusChange(sagaId, { input: null, inputDetails: { included: false } }),
                `The status change of ${executionArnOf(SAGA_MACHINE, sagaId)} does not include the execution's input (over EventBridge's 256 KB), so its compensations cannot be given it: start the repair by hand with the input DescribeExecution reports.`,
            ],
            [statusChange(sagaId, { input: "[1, 2]" }), `The input of ${executionArnOf(SAGA_MACHINE, sagaId)} is not a JSON object: [1, 2]`],
        ];
        for (const [event, message] of cases) {
            await assert.rejects(start(event), (error: unknown) => error instanceof InvalidStatusChange && error.message === message, message);
        }
        assert.deepEqual(sfn.calls, []);
    });

    it("fails when Step Functions refuses, so that Lambda retries the event", async () => {
        const other = "arn:aws:states:us-east-1:000000000000:stateMachine:another";
        await assert.rejects(
            withEnv({ [Env.stateMachineArn]: other }, () => startRepair(statusChange(`trip-${randomUUID()}`))),
            { name: "StateMachineDoesNotExist" },
        );
    });
});

describe("the repair's outcome function", () => {
    let table: LocalTable;
    before(async () => {
        table = await localTable();
    });

    const request = (sagaId: string, outcome: string, extra: Record<string, unknown> = {}) => ({
        sagaId,
        outcome,
        executionArn: executionArnOf(SAGA_MACHINE, sagaId),
        cause: { status: "FAILED", error: SagaErrors.CompensationFailed },
        repairExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:booking-repair-machine:${sagaId}`,
        repairStartedAt: "2026-05-01T10:00:03.000Z",
        ...extra,
    });
    const outcomeOf = async (sagaId: string) => (await table.itemsOf(sagaId)).find((r) => r.sk === OUTCOME_RECORD_SK);

    it("records the repair under the saga's partition, then its final outcome with when", async () => {
        const sagaId = `trip-${randomUUID()}`;
        assert.deepEqual(await recordOutcome(request(sagaId, "repairing")), { outcome: "repairing", written: true });
        const common = {
            pk: sagaId,
            sk: OUTCOME_RECORD_SK,
            type: "SagaOutcome",
            executionArn: executionArnOf(SAGA_MACHINE, sagaId),
            executionStatus: "FAILED",
            executionError: SagaErrors.CompensationFailed,
            repairExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:booking-repair-machine:${sagaId}`,
            repairStartedAt: "2026-05-01T10:00:03.000Z",
        };
        assert.deepEqual(await outcomeOf(sagaId), { ...common, outcome: "repairing" });
        const before = Date.now();
        assert.deepEqual(await recordOutcome(request(sagaId, "rolled_back")), { outcome: "rolled_back", written: true });
        const record = (await outcomeOf(sagaId)) ?? {};
        const repairedAt = Date.parse(record.repairedAt);
        assert.deepEqual(record, { ...common, outcome: "rolled_back", repairedAt: record.repairedAt });
        assert.ok(repairedAt >= before - 1 && repairedAt <= Date.now(), record.repairedAt);
    });

    it("never lets 'repairing' replace a final outcome", async () => {
        const sagaId = `trip-${randomUUID()}`;
        await recordOutcome(request(sagaId, "rolled_back"));
        assert.deepEqual(await recordOutcome(request(sagaId, "repairing")), { outcome: "repairing", written: false });
        assert.equal((await outcomeOf(sagaId))?.outcome, "rolled_back");
    });

    it("records the steps that need a person, with their errors", async () => {
        const sagaId = `trip-${randomUUID()}`;
        const failures = { Flight: { Error: "FlightDeskDown", Cause: '{"errorType":"FlightDeskDown","errorMessage":"down"}' } };
        await recordOutcome(request(sagaId, "needs_attention", { cause: { status: "ABORTED", error: null }, failures }));
        const record = await outcomeOf(sagaId);
        assert.equal(record?.outcome, "needs_attention");
        assert.equal(record?.executionStatus, "ABORTED");
        assert.equal(record?.executionError, undefined);
        assert.deepEqual(JSON.parse(record!.needsAttention), failures);
        assert.ok(!Number.isNaN(Date.parse(record!.needsAttentionAt)));
    });

    it("refuses a request without its saga id or with an unknown outcome, writing nothing", async () => {
        const sagaId = `trip-${randomUUID()}`;
        await assert.rejects(recordOutcome({ ...request(sagaId, "repairing"), sagaId: "" }), {
            name: InvalidInput.name,
            message: "The outcome request needs non-empty strings for: `sagaId`.",
        });
        await assert.rejects(recordOutcome(request(sagaId, "done")), { message: '`outcome` must be one of repairing, rolled_back, needs_attention; got "done".' });
        assert.deepEqual(await table.itemsOf(sagaId), []);
    });
});
