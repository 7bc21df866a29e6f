import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SagaErrors, TRANSIENT_LAMBDA_ERRORS } from "../components/model/conventions";
import { afterFailedCompensation, buildSagaDefinition, recordFailureStateName } from "../components/model/definition";
import { FixedStates, actionsOf, stateNameOf } from "../components/model/steps";
import { SagaStep } from "../components/model/args";
import { travelSteps } from "../handlers/travel/steps";
import { isTask, walk } from "../components/model/asl";
import { assertValidAsl } from "./support/asl";
// eslint-disable-next-line @typescript-eslint/no-require-imports

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/failures";

const step = (name: string, withConfirm = true): SagaStep => ({
    name,
    reserve: { module: `${name}.ts`, export: "reserve" },
    ...(withConfirm ? { confirm: { module: `${name}.ts`, export: "confirm" } } : {}),
    cancel: { module: `${name}.ts`, export: "cancel" },
});

const arnsFor = (steps: SagaStep[]) =>
    Object.fromEntries(
        steps.flatMap((s) =>
            actionsOf(s).map(({ role }) => {
                const state = stateNameOf(s, role);
                return [state, `arn:aws:lambda:us-east-1:123456789012:function:${s.name}-${role}`];
            }),
        ),
    );

const build = (steps: SagaStep[], options = {}) =>
    buildSagaDefinition({ steps, functionArns: arnsFor(steps), failureQueueUrl: QUEUE_URL, options });

const SHAPES: Record<string, SagaStep[]> = {
    "the travel booking": travelSteps,
    "one step with a confirm": [step("Only")],
    "one step without a confirm": [step("Only", false)],
    "six steps, some without a confirm": [step("A"), step("B", false), step("C"), step("D", false), step("E"), step("F")],
};

const reserves = (steps: SagaStep[]) => steps.map((s) => stateNameOf(s, "reserve"));
const confirms = (steps: SagaStep[]) => steps.filter((s) => s.confirm).map((s) => stateNameOf(s, "confirm"));
const cancelsNewestFirst = (steps: SagaStep[]) => steps.map((s) => stateNameOf(s, "cancel")).reverse();

describe("the generated state machine definition", () => {
    for (const [shape, steps] of Object.entries(SHAPES)) {
        describe(`for ${shape}`, () => {
            const definition = build(steps);

            it("passes asl-validator", () => {
                assertValidAsl(definition);
            });

            it("reserves every step in order, then confirms, then succeeds", () => {
                assert.deepEqual(walk(definition, new Set()), [...reserves(steps), ...confirms(steps), FixedStates.succeeded]);
            });

            it("compensates a failed reserve and every earlier step, newest first, and ends rolled back", () => {
                steps.forEach((_, i) => {
                    const failed = reserves(steps)[i];
                    const path = walk(definition, new Set([failed]));
                    assert.deepEqual(path, [
                        ...reserves(steps).slice(0, i + 1),
                        ...cancelsNewestFirst(steps).slice(steps.length - 1 - i),
                        FixedStates.rolledBack,
                    ]);
                });
            });

            it("compensates every step, newest first, when any confirm fails", () => {
                confirms(steps).forEach((failed, i) => {
                    const path = walk(definition, new Set([failed]));
                    assert.deepEqual(path, [
                        ...reserves(steps),
                        ...confirms(steps).slice(0, i + 1),
                        ...cancelsNewestFirst(steps),
                        FixedStates.rolledBack,
                    ]);
                });
            });

            it("records a compensation that fails, still runs the older ones and ends compensation-failed", () => {
                const lastReserve = reserves(steps).at(-1) as string;
                steps.forEach((failedStep, i) => {
                    const failedCancel = stateNameOf(failedStep, "cancel");
                    const path = walk(definition, new Set([lastReserve, failedCancel]));
                    const older = steps.slice(0, i).reverse().map((s) => afterFailedCompensation(stateNameOf(s, "cancel")));
                    assert.deepEqual(path, [
                        ...reserves(steps),
                        ...cancelsNewestFirst(steps).slice(0, steps.length - i),
                        recordFailureStateName(failedStep),
                        ...older,
                        FixedStates.summarizeFailures,
                        FixedStates.compensationFailed,
                    ]);
                });
            });

            it("never reaches success from a forward failure", () => {
                for (const forward of [...reserves(steps), ...confirms(steps)]) {
                    assert.ok(!walk(definition, new Set([forward])).includes(FixedStates.succeeded), forward);
                }
            });

            it("retries compensations on every error and forward actions only on transient Lambda errors", () => {
                const compensations = new Set(steps.map((s) => stateNameOf(s, "cancel")));
                for (const [name, state] of Object.entries(definition.States).filter(([, s]) => isTask(s))) {
                    const [retry] = state.Retry as { ErrorEquals: string[]; MaxAttempts: number }[];
                    const isCompensation = [...compensations].some((c) => name === c || name === afterFailedCompensation(c));
                    const isForward = !isCompensation && !name.startsWith("Record ");
                    if (isForward) assert.deepEqual(retry.ErrorEquals, [...TRANSIENT_LAMBDA_ERRORS], name);
                    else assert.deepEqual(retry, { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL" }, name);
                    assert.equal(state.TimeoutSeconds, 30, `${name} has a task timeout`);
                }
                assert.equal(definition.TimeoutSeconds, 900);
            });
        });
    }

    describe("for the travel booking", () => {
        const definition = build(travelSteps);

        it("matches the reviewed golden definition", () => {
            const golden = path.join(__dirname, "golden", "travel.asl.json");
            if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, JSON.stringify(definition, null, 2) + "\n");
            assert.deepEqual(definition, JSON.parse(fs.readFileSync(golden, "utf8")));
        });

        it("enters no more states than the original design on the common paths", () => {
            assert.equal(walk(definition, new Set()).length, 6);
            assert.deepEqual(walk(definition, new Set(["Take Payment"])), [
                "Reserve Hotel",
                "Reserve Flight",
                "Take Payment",
                "Refund Payment",
                "Cancel Flight",
                "Cancel Hotel",
                "Rolled Back",
            ]);
        });

        it("ends a clean rollback with Saga.RolledBack and the original error as the cause", () => {
            assert.deepEqual(definition.States[FixedStates.rolledBack], {
                Type: "Fail",
                Error: SagaErrors.RolledBack,
                CausePath: "$.saga.failure.Cause",
            });
            assert.equal(definition.States[FixedStates.compensationFailed].Error, SagaErrors.CompensationFailed);
        });

        it("records a failed compensation with the saga id, the step and the error", () => {
            const record = definition.States[recordFailureStateName(travelSteps[1])];
            assert.equal(record.Resource, "arn:aws:states:::sqs:sendMessage");
            assert.deepEqual(record.Parameters, {
                QueueUrl: QUEUE_URL,
                MessageBody: {
                    "sagaId.$": "$$.Execution.Name",
                    "executionArn.$": "$$.Execution.Id",
                    step: "Flight",
                    state: "Cancel Flight",
                    "error.$": "$.saga.compensationFailures.Flight",
                    "input.$": "$",
                },
            });
        });

        it("invokes each action's own function with the saga state and keeps the state unchanged", () => {
            const task = definition.States["Take Payment"];
            assert.equal(task.Resource, "arn:aws:states:::lambda:invoke");
            assert.deepEqual(task.Parameters, {
                FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:Payment-reserve",
                "Payload.$": "$",
            });
            assert.equal(task.ResultPath, null);
        });
    });

    describe("options", () => {
        it("applies the compensation retry policy and timeouts it is given", () => {
            const definition = build([step("A")], {
                compensationRetry: { maxAttempts: 5, intervalSeconds: 2, backoffRate: 1.5 },
                taskTimeoutSeconds: 10,
                timeoutSeconds: 120,
            });
            assert.deepEqual((definition.States["Cancel A"].Retry as unknown[])[0], {
                ErrorEquals: ["States.ALL"],
                IntervalSeconds: 2,
                MaxAttempts: 5,
                BackoffRate: 1.5,
                JitterStrategy: "FULL",
            });
            assert.equal(definition.States["Reserve A"].TimeoutSeconds, 10);
            assert.equal(definition.TimeoutSeconds, 120);
        });

        const rejects = (options: object, message: string) => assert.throws(() => build([step("A")], options), { message });
        it("rejects a negative retry count", () =>
            rejects({ compensationRetry: { maxAttempts: -1, intervalSeconds: 1, backoffRate: 2 } }, "`compensationRetry.maxAttempts` must be a whole number from 0 to 99999999."));
        it("rejects a backoff rate below 1", () =>
            rejects({ forwardRetry: { maxAttempts: 1, intervalSeconds: 1, backoffRate: 0.5 } }, "`forwardRetry.backoffRate` must be at least 1."));
        it("rejects a zero timeout", () => rejects({ timeoutSeconds: 0 }, "`timeoutSeconds` must be a whole number of seconds, at least 1."));
        it("rejects a missing function ARN, naming the state", () =>
            assert.throws(
                () => buildSagaDefinition({ steps: [step("A")], functionArns: {}, failureQueueUrl: QUEUE_URL }),
                { message: 'No function ARN given for the state "Reserve A".' },
            ));
    });

    describe("step validation", () => {
        const rejects = (steps: unknown, message: string) =>
            assert.throws(() => buildSagaDefinition({ steps: steps as SagaStep[], functionArns: {}, failureQueueUrl: QUEUE_URL }), {
                name: "SagaValidationError",
                message,
            });

        it("rejects an empty step list", () => rejects([], "`steps` must be a non-empty list of saga steps."));
        it("rejects a step without a compensator, naming it", () =>
            rejects(
                [step("Hotel"), { name: "Flight", reserve: { module: "f.ts" } }],
                'Step "Flight" has no `cancel` action: every step needs a compensating action that undoes `reserve`.',
            ));
        it("rejects a step without a reserve", () =>
            rejects([{ name: "Hotel", cancel: { module: "h.ts" } }], 'Step "Hotel" has no `reserve` action: every step needs one.'));
        it("rejects duplicate step names, ignoring case", () =>
            rejects([step("Hotel"), step("hotel")], 'Step "hotel" is defined twice: step names must be unique (ignoring case).'));
        it("rejects a name that cannot be part of state and resource names", () =>
            rejects(
                [step("Hotel booking")],
                'Step "Hotel booking" must have a `name` of letters and digits, starting with a letter, at most 24 characters.',
            ));
        it("rejects a step without a name, by position", () =>
            rejects([step("A"), { reserve: { module: "x" }, cancel: { module: "x" } }], "Step 2 must have a `name` of letters and digits, starting with a letter, at most 24 characters."));
        it("rejects an action without a source of code", () =>
            rejects(
                [{ ...step("A"), confirm: { export: "confirm" } }],
                'Step "A" `confirm` needs exactly one source of code and has none: `module` (a file the saga bundles), `code` with `handler` and `runtime` (an archive for any runtime), or `functionArn` (an existing function).',
            ));
        it("rejects table access the saga never grants, listing the allowed values", () =>
            rejects(
                [{ ...step("A"), reserve: { module: "a.ts", tableAccess: ["Scan"] } }],
                'Step "A" `reserve` asks for table access "Scan"; allowed values are GetItem, PutItem, UpdateItem, DeleteItem, Query.',
            ));
        it("rejects two actions with the same state name", () =>
            rejects(
                [step("A"), { ...step("B"), cancel: { module: "b.ts", stateName: "Cancel A" } }],
                'Step "B" `cancel` reuses the state name "Cancel A": state names must be unique.',
            ));
        it("rejects a state name that collides with a fixed state", () =>
            rejects([{ ...step("A"), confirm: { module: "a.ts", stateName: "Succeeded" } }], 'Step "A" `confirm` reuses the state name "Succeeded": state names must be unique.'));
        it("rejects a state name that collides with a state of the repair machine", () =>
            rejects([{ ...step("A"), cancel: { module: "a.ts", stateName: "Repaired" } }], 'Step "A" `cancel` reuses the state name "Repaired": state names must be unique.'));
    });
});
