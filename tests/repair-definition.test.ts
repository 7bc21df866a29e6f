// The repair machine's definition, from the pure builder: valid ASL for every saga shape, a golden
// copy for the travel booking, and a static walk with the policy pack's walker proving what it
// runs: every cancel newest first; a cancel failing past the horizon recorded for a person while
// the older cancels still run; retries whose waits cover the horizon.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SagaStep } from "../components/model/args";
import { RepairOutcomes, SagaErrors, taskComment } from "../components/model/conventions";
import {
    afterFailedRepair,
    buildRepairDefinition,
    recordNeedsAttentionStateName,
    repairAttempts,
    repairRetryDelay,
    validateRepairHorizon,
} from "../components/model/repair";
import { RepairStates, stateNameOf } from "../components/model/steps";
import { travelSteps } from "../handlers/travel/steps";
import { catchAllOf, pathsFrom, walk } from "../components/model/asl";
import { checkCompensationPaths, checkCompensationRetries, checkFailedCompensations, readSaga } from "../components/model/saga-reader";
import { assertValidAsl } from "./support/asl";
// eslint-disable-next-line @typescript-eslint/no-require-imports

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/needs-attention";
const OUTCOME_ARN = "arn:aws:lambda:us-east-1:123456789012:function:repair-outcome";
const fnArn = (state: string) => `arn:aws:lambda:us-east-1:123456789012:function:${state.replace(/ /g, "-")}`;

const step = (name: string, withConfirm = true): SagaStep => ({
    name,
    reserve: { module: `${name}.ts`, export: "reserve" },
    ...(withConfirm ? { confirm: { module: `${name}.ts`, export: "confirm" } } : {}),
    cancel: { module: `${name}.ts`, export: "cancel" },
});

const build = (steps: SagaStep[], horizonSeconds?: number) =>
    buildRepairDefinition({
        steps,
        functionArns: Object.fromEntries(steps.map((s) => [stateNameOf(s, "cancel"), fnArn(stateNameOf(s, "cancel"))])),
        outcomeFunctionArn: OUTCOME_ARN,
        needsAttentionQueueUrl: QUEUE_URL,
        horizonSeconds,
    });

const SHAPES: Record<string, SagaStep[]> = {
    "the travel booking": travelSteps,
    "one step": [step("Only", false)],
    "six steps": [step("A"), step("B", false), step("C"), step("D", false), step("E"), step("F")],
};

const cancelsNewestFirst = (steps: SagaStep[]) => steps.map((s) => stateNameOf(s, "cancel")).reverse();
/** The sum of the waits before the first `attempts` retries. */
const waited = (attempts: number) => Array.from({ length: attempts }, (_, k) => repairRetryDelay(k + 1)).reduce((a, b) => a + b, 0);

describe("the repair machine's definition", () => {
    for (const [shape, steps] of Object.entries(SHAPES)) {
        describe(`for ${shape}`, () => {
            const definition = build(steps);
            const cancels = cancelsNewestFirst(steps);
            const newestFirst = [...steps].reverse();

            it("passes asl-validator", () => {
                assertValidAsl(definition);
            });

            it("records the repair, runs every cancel newest first, records the rollback and succeeds", () => {
                assert.deepEqual(walk(definition), [RepairStates.recordRepairing, ...cancels, RepairStates.recordRolledBack, RepairStates.repaired]);
            });

            it("runs the cancels even when the repairing record cannot be written", () => {
                assert.deepEqual(walk(definition, new Set([RepairStates.recordRepairing])), [
                    RepairStates.recordRepairing,
                    ...cancels,
                    RepairStates.recordRolledBack,
                    RepairStates.repaired,
                ]);
            });

            it("sends a cancel that fails past the horizon to the needs-attention queue, then still runs every older cancel, and ends needing attention", () => {
                newestFirst.forEach((failed, i) => {
                    const older = cancels.slice(i + 1);
                    assert.deepEqual(walk(definition, new Set([cancels[i]])), [
                        RepairStates.recordRepairing,
                        ...cancels.slice(0, i + 1),
                        recordNeedsAttentionStateName(failed),
                        ...older.map(afterFailedRepair),
                        RepairStates.recordNeedsAttention,
                        RepairStates.needsAttention,
                    ]);
                });
            });

            it("sends every cancel that fails to the queue, each in its turn, and the older ones still run", () => {
                // The newest and the oldest fail; every one between still runs.
                const failing = new Set([cancels[0], ...(cancels.length > 1 ? [afterFailedRepair(cancels.at(-1)!)] : [])]);
                const run = walk(definition, failing);
                assert.deepEqual(
                    run.filter((state) => state.startsWith("Record ") && state.endsWith("needs attention")),
                    [newestFirst[0], ...(cancels.length > 1 ? [newestFirst.at(-1)!] : [])].map(recordNeedsAttentionStateName),
                );
                assert.deepEqual(run.slice(-2), [RepairStates.recordNeedsAttention, RepairStates.needsAttention]);
                for (const cancel of cancels.slice(1)) assert.ok(run.includes(afterFailedRepair(cancel)), `${cancel} runs`);
            });

            it("reaches, from every cancel's Catch, its needs-attention record and then every older cancel, on every path", () => {
                for (const [name, state] of Object.entries(definition.States).filter(([, s]) => s.Comment !== undefined)) {
                    const position = cancels.indexOf(name.replace(" (after a failed repair)", ""));
                    for (const { states, end } of pathsFrom(definition, catchAllOf(state)!.Next)) {
                        assert.equal(states[0], recordNeedsAttentionStateName(newestFirst[position]), name);
                        assert.deepEqual(
                            states.filter((s) => s.endsWith("(after a failed repair)")),
                            cancels.slice(position + 1).map(afterFailedRepair),
                            name,
                        );
                        assert.deepEqual(end, { kind: "failed", state: RepairStates.needsAttention });
                    }
                }
            });

            it("is what the policy pack calls compensation-only, and passes its compensation checks", () => {
                const reading = readSaga(definition);
                assert.equal(reading.compensationOnly, true);
                assert.deepEqual(reading.forward, []);
                assert.deepEqual([...reading.compensations].sort(), [...cancels, ...cancels.slice(1).map(afterFailedRepair)].sort());
                assert.deepEqual(checkCompensationRetries("repair", reading, 3), []);
                assert.deepEqual(checkFailedCompensations("repair", reading), []);
                assert.deepEqual(checkCompensationPaths("repair", reading), []);
            });
        });
    }

    describe("for the travel booking", () => {
        const definition = build(travelSteps);

        it("matches the reviewed golden definition", () => {
            const golden = path.join(__dirname, "golden", "travel-repair.asl.json");
            if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, JSON.stringify(definition, null, 2) + "\n");
            assert.deepEqual(definition, JSON.parse(fs.readFileSync(golden, "utf8")));
        });

        it("gives each cancel the saga's input, with the step's Comment, and retries it on every error with growing waits, no jitter", () => {
            for (const s of travelSteps) {
                const cancel = stateNameOf(s, "cancel");
                for (const name of [cancel, afterFailedRepair(cancel)].filter((n) => definition.States[n])) {
                    const state = definition.States[name];
                    assert.equal(state.Comment, taskComment(s.name, "cancel"), name);
                    assert.deepEqual(state.Parameters, { FunctionName: fnArn(cancel), "Payload.$": "$.input" }, name);
                    assert.deepEqual(state.Retry, [
                        { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 35, BackoffRate: 2, MaxDelaySeconds: 3600, JitterStrategy: "NONE" },
                    ]);
                    assert.deepEqual(state.Catch, [{ ErrorEquals: ["States.ALL"], ResultPath: `$.failures.${s.name}`, Next: recordNeedsAttentionStateName(s) }]);
                }
            }
        });

        it("tells a person the exact saga, step, state, error and input", () => {
            assert.deepEqual(definition.States["Record Flight needs attention"].Parameters, {
                QueueUrl: QUEUE_URL,
                MessageBody: {
                    "sagaId.$": "$.sagaId",
                    "executionArn.$": "$.executionArn",
                    "repairExecutionArn.$": "$$.Execution.Id",
                    step: "Flight",
                    state: "Cancel Flight",
                    "error.$": "$.failures.Flight",
                    "input.$": "$.input",
                    "cause.$": "$.cause",
                },
            });
        });

        it("writes the outcome record through the outcome function: repairing, then rolled back or needing attention with the failures", () => {
            const payload = (state: string) => (definition.States[state].Parameters as { FunctionName: string; Payload: Record<string, string> });
            const common = {
                "sagaId.$": "$.sagaId",
                "executionArn.$": "$.executionArn",
                "cause.$": "$.cause",
                "repairExecutionArn.$": "$$.Execution.Id",
                "repairStartedAt.$": "$$.Execution.StartTime",
            };
            assert.deepEqual(payload(RepairStates.recordRepairing), { FunctionName: OUTCOME_ARN, Payload: { ...common, outcome: RepairOutcomes.repairing } });
            assert.deepEqual(payload(RepairStates.recordRolledBack), { FunctionName: OUTCOME_ARN, Payload: { ...common, outcome: RepairOutcomes.rolledBack } });
            assert.deepEqual(payload(RepairStates.recordNeedsAttention), {
                FunctionName: OUTCOME_ARN,
                Payload: { ...common, outcome: RepairOutcomes.needsAttention, "failures.$": "$.failures" },
            });
            // The final records retry to the horizon too; an unwritten one fails the repair, which a rule reports.
            assert.equal((definition.States[RepairStates.recordRolledBack].Retry as { MaxAttempts: number }[])[0].MaxAttempts, 35);
            assert.equal(definition.States[RepairStates.recordRolledBack].Catch, undefined);
            assert.deepEqual(definition.States[RepairStates.needsAttention], {
                Type: "Fail",
                Error: SagaErrors.NeedsAttention,
                Cause: "A compensation still failed after the repair horizon: the needs-attention queue has one message per such step, with the saga id, the step, the error and the input.",
            });
            // A repair ends by itself: no time limit could cut one short.
            assert.equal(definition.TimeoutSeconds, undefined);
        });

        it("rejects a missing cancel ARN, naming the state", () =>
            assert.throws(
                () => buildRepairDefinition({ steps: travelSteps, functionArns: {}, outcomeFunctionArn: OUTCOME_ARN, needsAttentionQueueUrl: QUEUE_URL }),
                { message: 'No function ARN given for the state "Refund Payment".' },
            ));
    });

    describe("the horizon", () => {
        it("is covered by the waits of MaxAttempts retries, and not by one fewer", () => {
            for (const horizon of [60, 63, 64, 3600, 4095, 4096, 7_200, 86_400, 604_800, 7_816_095]) {
                const attempts = repairAttempts(horizon);
                assert.ok(waited(attempts) >= horizon, `${horizon}: ${attempts} retries wait ${waited(attempts)}`);
                assert.ok(waited(attempts - 1) < horizon, `${horizon}: ${attempts - 1} retries already wait ${waited(attempts - 1)}`);
                // The closed form of repair.ts's comment.
                const closed = horizon <= 4095 ? Math.ceil(Math.log2(horizon + 1)) : 12 + Math.ceil((horizon - 4095) / 3600);
                assert.equal(attempts, closed, String(horizon));
            }
            assert.equal(repairAttempts(86_400), 35);
        });

        it("waits 1 s, doubling, at most an hour", () => {
            assert.deepEqual([1, 2, 3, 12, 13, 40].map(repairRetryDelay), [1, 2, 4, 2048, 3600, 3600]);
        });

        it("is checked: a whole number from 60 to a year, and short enough for the steps", () => {
            const check = (horizon: unknown, steps: number) => () => validateRepairHorizon("repair.horizonSeconds", horizon, steps, 30);
            assert.throws(check(59, 1), { name: "SagaValidationError", message: "`repair.horizonSeconds` must be a whole number from 60 to 31536000." });
            assert.throws(check(600.5, 1), { message: "`repair.horizonSeconds` must be a whole number from 60 to 31536000." });
            // One step: the cancel and the final record, each retried to the horizon.
            assert.throws(check(31_536_000, 1), {
                message:
                    "`repair.horizonSeconds` (31536000) is too long for 1 step: a repair retries each step's compensation up to the horizon, one after the other, " +
                    "and a Step Functions execution lasts at most a year (31536000 seconds). With these steps the horizon can be at most 15635295 seconds.",
            });
            check(15_635_295, 1)();
            assert.throws(check(15_635_296, 1));
            check(60, 24)();
        });
    });
});
