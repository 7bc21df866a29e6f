// Properties of every saga, not of a few examples: random sagas (1 to 8 steps, each with or
// without a confirm), rendered by the model's builders and read by the policy pack. Every count
// and order below is derived from the generated steps; nothing is pinned.
//   - the main machine: with nothing failing, every reserve then every confirm, then Succeeded; a
//     forward failure at any point runs the compensation of every step already done (the failing
//     step's too), newest first, whichever compensations fail on the way, and never Succeeds;
//   - the repair machine compensates the same steps in the same order;
//   - the policy pack passes every generated saga stack, and each policy catches the mutation of
//     the kind it exists for, naming what was broken.
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { SagaStep } from "../components/model/args";
import { walk } from "../components/model/asl";
import { SagaErrors } from "../components/model/conventions";
import { afterFailedCompensation, buildSagaDefinition, recordFailureStateName } from "../components/model/definition";
import { afterFailedRepair, buildRepairDefinition, statusChangePattern } from "../components/model/repair";
import { FixedStates, RepairStates, stateNameOf } from "../components/model/steps";
import {
    policies,
    sagaCompensationFailuresRecorded,
    sagaCompensationFailuresRepaired,
    sagaCompensationsRetry,
    sagaStepsHaveCompensators,
    sagaStoppedExecutionsCompensated,
} from "../policy-pack/policies";
import { TestResource, messages, violations } from "./support/policy-args";
import { arn, names, sagaStack, step, withDefinition, without } from "./support/policy-fixtures";

/** Unique step names (ignoring case, as the model requires) and whether each step has a confirm. */
const sagas = fc
    .uniqueArray(fc.tuple(fc.stringMatching(/^[A-Z][a-z0-9]{0,7}$/), fc.boolean()), { minLength: 1, maxLength: 8, selector: ([name]) => name.toLowerCase() })
    .map((shape) => shape.map(([name, withConfirm]) => step(name, withConfirm)));

/** The forward states in the order a run meets them: every reserve, then every confirm. */
const forwardStates = (steps: SagaStep[]) => [
    ...steps.map((s) => stateNameOf(s, "reserve")),
    ...steps.filter((s) => s.confirm).map((s) => stateNameOf(s, "confirm")),
];

/** The steps a failure of `failed` must compensate, newest first: up to its own step, or every step once all have reserved. */
function toCompensate(steps: SagaStep[], failed: string): SagaStep[] {
    const reserving = steps.findIndex((s) => stateNameOf(s, "reserve") === failed);
    return (reserving >= 0 ? steps.slice(0, reserving + 1) : [...steps]).reverse();
}

/** The step each state compensates, in the order the run entered them (both copies of a compensation count). */
function compensated(steps: SagaStep[], entered: string[], copyOf: (cancel: string) => string): string[] {
    const stepOf = new Map(steps.flatMap((s) => [stateNameOf(s, "cancel"), copyOf(stateNameOf(s, "cancel"))].map((state) => [state, s.name] as const)));
    return entered.flatMap((state) => stepOf.get(state) ?? []);
}

const functionArns = (steps: SagaStep[]) =>
    Object.fromEntries(steps.flatMap((s) => (["reserve", "confirm", "cancel"] as const).filter((role) => s[role]).map((role) => [stateNameOf(s, role), arn.lambda(`${s.name}-${role}`)])));

const mainMachine = (steps: SagaStep[]) => buildSagaDefinition({ steps, functionArns: functionArns(steps), failureQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/failures" });

/** A saga with one forward state that fails, and any set of its compensations that fail too. */
const failingRuns = sagas.chain((steps) =>
    fc.record({
        steps: fc.constant(steps),
        failed: fc.constantFrom(...forwardStates(steps)),
        failingCancels: fc.subarray(steps.map((s) => stateNameOf(s, "cancel"))),
    }),
);

describe("every saga the builders render (property tests over random sagas)", () => {
    it("runs every reserve, then every confirm, and succeeds when nothing fails", () => {
        fc.assert(
            fc.property(sagas, (steps) => {
                const entered = walk(mainMachine(steps));
                assert.deepEqual(entered, [...forwardStates(steps), FixedStates.succeeded]);
            }),
        );
    });

    it("compensates every step already done, newest first, on any forward failure, and never succeeds", () => {
        fc.assert(
            fc.property(failingRuns, ({ steps, failed, failingCancels }) => {
                // A failing compensation fails wherever it runs: in the clean chain and in its copy after an earlier failure.
                const entered = walk(mainMachine(steps), new Set([failed, ...failingCancels, ...failingCancels.map(afterFailedCompensation)]));
                const expected = toCompensate(steps, failed);
                assert.deepEqual(compensated(steps, entered, afterFailedCompensation), expected.map((s) => s.name));
                // Forward work stops at the failure: no forward state after it is entered.
                const forward = forwardStates(steps);
                assert.deepEqual(entered.filter((state) => forward.includes(state)), forward.slice(0, forward.indexOf(failed) + 1));
                assert.ok(!entered.includes(FixedStates.succeeded), `${failed} failed, yet the run reached ${FixedStates.succeeded}`);
                // A compensation that failed is recorded, and the saga ends saying so; else it rolled back cleanly.
                const failedCancels = expected.filter((s) => failingCancels.includes(stateNameOf(s, "cancel")));
                assert.deepEqual(
                    entered.filter((state) => steps.some((s) => recordFailureStateName(s) === state)),
                    failedCancels.map(recordFailureStateName),
                );
                assert.equal(entered.at(-1), failedCancels.length > 0 ? FixedStates.compensationFailed : FixedStates.rolledBack);
            }),
        );
    });

    it("repairs by compensating the same steps in the same order, ending rolled back, or needing attention when one still fails", () => {
        fc.assert(
            fc.property(failingRuns, ({ steps, failingCancels }) => {
                const repair = buildRepairDefinition({
                    steps,
                    functionArns: functionArns(steps),
                    outcomeFunctionArn: arn.lambda("outcome"),
                    needsAttentionQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/needs-attention",
                });
                // A failure of the last forward state compensates every step: what a repair of any failed saga runs again.
                const main = walk(mainMachine(steps), new Set([forwardStates(steps).at(-1)!]));
                const entered = walk(repair, new Set([...failingCancels, ...failingCancels.map(afterFailedRepair)]));
                assert.deepEqual(compensated(steps, entered, afterFailedRepair), compensated(steps, main, afterFailedCompensation));
                assert.equal(entered.at(-1), failingCancels.length > 0 ? RepairStates.needsAttention : RepairStates.repaired);
            }),
        );
    });
});

/** A generated saga's stack as the policy pack sees it, with the repair's status-change rule and target. */
function stackOf(steps: SagaStep[]): TestResource[] {
    const n = names("travel");
    const machineArn = arn.machine(n.machine);
    const rule = "travel-status-changes";
    return [
        ...sagaStack(steps),
        { type: "aws:cloudwatch/eventRule:EventRule", name: rule, props: { name: rule, eventPattern: JSON.stringify(statusChangePattern(machineArn, SagaErrors.RolledBack)) } },
        { type: "aws:cloudwatch/eventTarget:EventTarget", name: `${rule}-target`, props: { rule, arn: arn.lambda("travel-repair-start") } },
    ];
}

const MACHINE = "travel-machine";

describe("the policy pack over every saga the builders render (property tests)", () => {
    it("passes every generated saga", async () => {
        await fc.assert(
            fc.asyncProperty(sagas, async (steps) => {
                const stack = stackOf(steps);
                for (const p of policies) assert.deepEqual(await messages(violations(p as never, stack)), [], p.name);
            }),
            { numRuns: 25 },
        );
    });

    // Each mutation breaks one state of a random saga; the policy that exists for it must report
    // that state (the messages name it).
    const broken = (steps: SagaStep[], change: (asl: { States: Record<string, any> }) => void) => withDefinition(stackOf(steps), change, MACHINE);
    const reported = async (p: (typeof policies)[number], stack: TestResource[], state: string) => {
        const found = await messages(violations(p as never, stack));
        assert.ok(found.length > 0 && found.every((m) => m.includes(MACHINE)) && found.some((m) => m.includes(`"${state}"`)), `${p.name} did not name "${state}": ${JSON.stringify(found)}`);
    };
    const withForward = sagas.chain((steps) => fc.record({ steps: fc.constant(steps), state: fc.constantFrom(...forwardStates(steps)) }));
    const withCancel = sagas.chain((steps) => fc.record({ steps: fc.constant(steps), state: fc.constantFrom(...steps.map((s) => stateNameOf(s, "cancel"))) }));

    it("saga-steps-have-compensators catches a forward task whose failure is not caught", async () => {
        await fc.assert(
            fc.asyncProperty(withForward, async ({ steps, state }) => reported(sagaStepsHaveCompensators, broken(steps, (asl) => delete asl.States[state].Catch), state)),
            { numRuns: 30 },
        );
    });

    it("saga-steps-have-compensators catches a forward failure that skips its own step's compensation", async () => {
        await fc.assert(
            fc.asyncProperty(withForward, async ({ steps, state }) => {
                // The failure goes where the compensation of the step compensated first would have led.
                const first = toCompensate(steps, state)[0];
                const next = (asl: { States: Record<string, any> }) => asl.States[stateNameOf(first, "cancel")].Next;
                return reported(sagaStepsHaveCompensators, broken(steps, (asl) => (asl.States[state].Catch[0].Next = next(asl))), state);
            }),
            { numRuns: 30 },
        );
    });

    it("saga-compensations-retry catches a compensation without a Retry", async () => {
        await fc.assert(
            fc.asyncProperty(withCancel, async ({ steps, state }) => reported(sagaCompensationsRetry, broken(steps, (asl) => delete asl.States[state].Retry), state)),
            { numRuns: 30 },
        );
    });

    it("saga-compensation-failures-recorded catches a compensation whose failure is not recorded", async () => {
        await fc.assert(
            fc.asyncProperty(withCancel, async ({ steps, state }) => reported(sagaCompensationFailuresRecorded, broken(steps, (asl) => delete asl.States[state].Catch), state)),
            { numRuns: 30 },
        );
    });

    it("the repair policies catch a saga whose status changes reach no repair", async () => {
        await fc.assert(
            fc.asyncProperty(sagas, async (steps) => {
                const stack = without(stackOf(steps), "travel-status-changes-target");
                for (const p of [sagaCompensationFailuresRepaired, sagaStoppedExecutionsCompensated]) {
                    const found = await messages(violations(p, stack));
                    assert.equal(found.length, 1, p.name);
                    assert.match(found[0], new RegExp(`^State machine "${MACHINE}"`));
                }
            }),
            { numRuns: 20 },
        );
    });
});
