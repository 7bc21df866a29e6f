// The repair, executed: the travel saga's machine and then its repair machine, both generated, run
// by the local ASL engine with every Task bound to the real handler (the cancels, the repair's
// outcome function), against dynalite. The EventBridge hop between them is the start function's
// own mapping (repairInputOf) of the status change event Step Functions would send. Retries wait
// 0 ms here: the horizon is counted in attempts, as MaxAttempts says.
// First: the fake AWS environment must be in place before the handlers create their SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Env, OUTCOME_RECORD_SK, SAGA_STATE_KEY, SagaErrors } from "../components/model/conventions";
import { buildRepairDefinition, repairAttempts } from "../components/model/repair";
import { stateNameOf } from "../components/model/steps";
import { handler as recordOutcome } from "../handlers/lib/repair-outcome";
import { repairInputOf } from "../handlers/lib/repair-start";
import * as flight from "../handlers/travel/flight";
import * as hotel from "../handlers/travel/hotel";
import * as payment from "../handlers/travel/payment";
import { handler as status } from "../handlers/travel/status";
import { travelSteps } from "../handlers/travel/steps";
import { demoTrip } from "../handlers/travel/trip";
import { setEnv, withEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { LambdaHandler, loadStepHandlers, LocalSagaResult, runLocalSaga } from "./support/local-saga";
import { sfnStub } from "./support/sfn-stub";

const SAGA_MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:saga-local";
const HORIZON = 60;
const cancelled = (type: string) => ({ type, transaction_status: "cancelled" });

class FlightDeskDown extends Error {
    constructor() {
        super("The flight desk does not answer.");
        this.name = "FlightDeskDown";
    }
}

const down: LambdaHandler = () => {
    throw new FlightDeskDown();
};

describe("the repair machine executed locally, with the travel saga's real handlers", () => {
    let table: LocalTable;
    let handlers: Record<string, LambdaHandler>;
    let restoreEnv: () => void;
    const repairDefinition = buildRepairDefinition({
        steps: travelSteps,
        functionArns: Object.fromEntries(travelSteps.map((s) => [stateNameOf(s, "cancel"), `arn:aws:lambda:us-east-1:000000000000:function:${s.name}-cancel`])),
        outcomeFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:repair-outcome",
        needsAttentionQueueUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/needs-attention",
        horizonSeconds: HORIZON,
    });

    before(async () => {
        table = await localTable();
        handlers = loadStepHandlers(travelSteps);
        restoreEnv = setEnv({ [Env.failureInjection]: "true", [Env.compensationFailureRate]: undefined });
    });
    after(() => restoreEnv());

    const summaryOf = async (tripId: string) =>
        (await table.itemsOf(tripId)).filter((r) => r.sk !== OUTCOME_RECORD_SK).map(({ type, transaction_status }) => ({ type, transaction_status }));
    const outcomeOf = async (tripId: string) => (await table.itemsOf(tripId)).find((r) => r.sk === OUTCOME_RECORD_SK);

    /** The status change event of an execution of the saga's machine, as EventBridge delivers it. */
    const statusChange = (tripId: string, input: object, status: string, run?: LocalSagaResult) => ({
        source: "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        detail: {
            executionArn: `${SAGA_MACHINE.replace(":stateMachine:", ":execution:")}:${tripId}`,
            stateMachineArn: SAGA_MACHINE,
            name: tripId,
            status,
            input: JSON.stringify(input),
            inputDetails: { included: true },
            error: run?.error?.name ?? null,
            cause: run?.error?.cause ?? null,
        },
    });

    /** Runs the repair of that execution, with the cancels' handlers (some replaced) and the outcome function. */
    const repair = (event: unknown, overrides: Record<string, LambdaHandler> = {}) => {
        const input = repairInputOf(event);
        const cancels = Object.fromEntries(travelSteps.map((s) => [stateNameOf(s, "cancel"), handlers[stateNameOf(s, "cancel")]]));
        return runLocalSaga({
            steps: travelSteps,
            definition: repairDefinition,
            handlers: { ...cancels, ...overrides, "Record Repairing": recordOutcome as LambdaHandler },
            input,
            executionName: input.sagaId,
        });
    };

    /** A failed payment whose saga's own run cannot cancel the flight: all 3 retries fail, the booking stays pending. */
    async function compensationFailed() {
        const tripId = `trip-${randomUUID()}`;
        const input = demoTrip(tripId, "failPayment");
        const saga = await runLocalSaga({ steps: travelSteps, handlers: { ...handlers, "Cancel Flight": down }, input, executionName: tripId });
        assert.equal(saga.error?.name, SagaErrors.CompensationFailed);
        return { tripId, input, saga };
    }

    it("rolls back, late, a saga whose compensation failed all its retries: the repair retries it until it recovers, and records the outcome", async () => {
        const { tripId, input, saga } = await compensationFailed();
        assert.deepEqual(await summaryOf(tripId), [{ type: "Flight", transaction_status: "pending" }, cancelled("Hotel"), cancelled("Payment")]);

        // The flight desk answers again after two more failures.
        let calls = 0;
        const recovers: LambdaHandler = async (event) => {
            calls += 1;
            if (calls <= 2) throw new FlightDeskDown();
            return handlers["Cancel Flight"](event);
        };
        const event = statusChange(tripId, input, "FAILED", saga);
        const run = await repair(event, { "Cancel Flight": recovers });
        assert.deepEqual(run.statesEntered, ["Record Repairing", "Refund Payment", "Cancel Flight", "Cancel Hotel", "Record Rolled Back", "Repaired"]);
        assert.deepEqual(run.retriesByState, { "Cancel Flight": 2 });
        assert.equal(run.error, undefined);
        assert.deepEqual(run.queue, [], "nobody is told");
        // Nothing is left half-done; the earlier cancels ran again and changed nothing.
        assert.deepEqual(await summaryOf(tripId), [cancelled("Flight"), cancelled("Hotel"), cancelled("Payment")]);
        const outcome = await outcomeOf(tripId);
        assert.deepEqual(
            { outcome: outcome?.outcome, executionStatus: outcome?.executionStatus, executionError: outcome?.executionError },
            { outcome: "rolled_back", executionStatus: "FAILED", executionError: SagaErrors.CompensationFailed },
        );
        assert.ok(!Number.isNaN(Date.parse(outcome!.repairedAt)));

        // The status route says so, while the execution stays FAILED.
        const sfn = await sfnStub();
        sfn.setExecution(tripId, { status: "FAILED", error: saga.error!.name, cause: saga.error!.cause });
        const body = JSON.parse((await withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn }, () => status({ pathParameters: { tripId } }))).body);
        assert.deepEqual(
            { outcome: body.outcome, repairedFrom: body.repairedFrom, repairedAt: body.repairedAt, status: body.status },
            { outcome: "rolled_back", repairedFrom: "compensation_failed", repairedAt: outcome!.repairedAt, status: "FAILED" },
        );
    });

    it("tells a person of a compensation that fails past the horizon, with the exact saga, step, error and input; the older compensations still run", async () => {
        const { tripId, input, saga } = await compensationFailed();
        const run = await repair(statusChange(tripId, input, "FAILED", saga), { "Cancel Flight": down });
        assert.deepEqual(run.statesEntered, [
            "Record Repairing",
            "Refund Payment",
            "Cancel Flight",
            "Record Flight needs attention",
            "Cancel Hotel (after a failed repair)",
            "Record Needs Attention",
            "Needs Attention",
        ]);
        assert.deepEqual(run.retriesByState, { "Cancel Flight": repairAttempts(HORIZON) });
        assert.equal(run.error?.name, SagaErrors.NeedsAttention);
        assert.equal(run.queue.length, 1);
        const [message] = run.queue as Record<string, any>[];
        assert.deepEqual(
            { sagaId: message.sagaId, executionArn: message.executionArn, step: message.step, state: message.state, error: message.error.Error, cause: message.cause },
            {
                sagaId: tripId,
                executionArn: `${SAGA_MACHINE.replace(":stateMachine:", ":execution:")}:${tripId}`,
                step: "Flight",
                state: "Cancel Flight",
                error: "FlightDeskDown",
                cause: { status: "FAILED", error: SagaErrors.CompensationFailed },
            },
        );
        assert.match(message.repairExecutionArn, new RegExp(`:execution:saga-local:${tripId}$`));
        // The input each cancel received: the trip, and the saga's state from the failed run.
        assert.deepEqual({ ...message.input, [SAGA_STATE_KEY]: undefined }, { ...input, [SAGA_STATE_KEY]: undefined });
        assert.equal(message.input[SAGA_STATE_KEY].failure.Error, "PaymentFailed");
        assert.deepEqual(await summaryOf(tripId), [{ type: "Flight", transaction_status: "pending" }, cancelled("Hotel"), cancelled("Payment")]);
        const outcome = await outcomeOf(tripId);
        assert.equal(outcome?.outcome, "needs_attention");
        assert.deepEqual(Object.keys(JSON.parse(outcome!.needsAttention)), ["Flight"]);
    });

    it("compensates an aborted saga that had taken the payment and left the bookings pending", async () => {
        // What Ctrl-C left in the measurement: a confirmed payment beside pending bookings, nothing compensated.
        const tripId = `trip-${randomUUID()}`;
        const input = demoTrip(tripId);
        await hotel.reserve(input);
        await flight.reserve(input);
        await payment.take(input);
        const run = await repair(statusChange(tripId, input, "ABORTED"));
        assert.deepEqual(run.statesEntered, ["Record Repairing", "Refund Payment", "Cancel Flight", "Cancel Hotel", "Record Rolled Back", "Repaired"]);
        assert.deepEqual(await summaryOf(tripId), [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }]);
        assert.deepEqual([(await outcomeOf(tripId))?.outcome, (await outcomeOf(tripId))?.executionStatus], ["rolled_back", "ABORTED"]);
    });
});
