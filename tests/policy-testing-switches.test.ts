import * as assert from "node:assert/strict";
import { travelStart, travelSteps } from "../handlers/travel/steps";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaTestingSwitchesOff as policy } from "../policy-pack/policies";
import { TestResource, messages, resourceViolations } from "./support/policy-args";
import { changed, componentStack, ofType, sagaStack } from "./support/policy-fixtures";
import { asInputs } from "./support/policy-stack";
import { ResourceTypes } from "../components/model/resource-types";

const check = (resources: TestResource[]) => messages(resourceViolations(policy, ofType(resources, ResourceTypes.function)));
/** The saga's Lambdas with `variables` added to the environment of one of them. */
const withVariables = (name: string, variables: Record<string, string>) =>
    changed(sagaStack(), name, (p) => Object.assign(p.environment.variables, variables));
const FIX = "Leave SagaComponent's `testing` unset (all off) on this stack.";
const must = (name: string) => `Lambda "${name}" must have the saga's testing switches off outside demo and test stacks:`;
const INJECTION = 'SAGA_FAILURE_INJECTION is "true" (a request\'s run type can make a step fail on purpose)';
const CHAOS = '{"seed":7,"failBeforeWrite":0.1,"failAfterWrite":0,"duplicateDelivery":0,"maxDuplicateDelayMs":200}';

describe("policy saga-testing-switches-off", () => {
    it("passes functions whose switches are off as SagaComponent writes them (\"false\", \"0\", no SAGA_CHAOS)", async () => {
        let stack = withVariables("travel-hotel-reserve", { SAGA_FAILURE_INJECTION: "false" });
        stack = changed(stack, "travel-hotel-cancel", (p) => Object.assign(p.environment.variables, { SAGA_FAILURE_INJECTION: "false", SAGA_COMPENSATION_FAILURE_RATE: "0" }));
        assert.deepEqual(await check(stack), []);
    });

    it("should fail if failure injection is on", async () => {
        assert.deepEqual(await check(withVariables("travel-hotel-reserve", { SAGA_FAILURE_INJECTION: "true" })), [`${must("travel-hotel-reserve")} ${INJECTION}. ${FIX}`]);
    });

    it("should fail if compensations fail at random (a rate above 0)", async () => {
        assert.deepEqual(await check(withVariables("travel-hotel-cancel", { SAGA_FAILURE_INJECTION: "false", SAGA_COMPENSATION_FAILURE_RATE: "0.4" })), [
            `${must("travel-hotel-cancel")} SAGA_COMPENSATION_FAILURE_RATE is "0.4" (its compensations fail at random). ${FIX}`,
        ]);
    });

    it("should fail if chaos is set", async () => {
        assert.deepEqual(await check(withVariables("travel-flight-reserve", { SAGA_CHAOS: CHAOS })), [
            `${must("travel-flight-reserve")} SAGA_CHAOS is ${JSON.stringify(CHAOS)} (its record writes fail or repeat at random). ${FIX}`,
        ]);
    });

    it("names every switch a function has on, in one violation", async () => {
        const found = await check(withVariables("travel-flight-cancel", { SAGA_FAILURE_INJECTION: "true", SAGA_COMPENSATION_FAILURE_RATE: "1", SAGA_CHAOS: CHAOS }));
        assert.equal(found.length, 1);
        assert.ok(found[0].startsWith(`${must("travel-flight-cancel")} ${INJECTION}; SAGA_COMPENSATION_FAILURE_RATE is "1" (`), found[0]);
        assert.ok(found[0].includes("; SAGA_CHAOS is "), found[0]);
    });

    it("leaves values not known yet (a first preview) alone", async () => {
        const stack = withVariables("travel-hotel-reserve", { SAGA_FAILURE_INJECTION: UNKNOWN_STRING_SENTINEL, SAGA_CHAOS: UNKNOWN_STRING_SENTINEL });
        assert.deepEqual(await check(stack), []);
    });

    describe("on SagaComponent's functions", () => {
        it("passes a saga with `testing` unset", async () => {
            assert.deepEqual(await check(asInputs(await componentStack("quiet", { steps: travelSteps, start: travelStart }))), []);
        });

        it("flags every function a switch reaches: injection on steps and start, the rate on cancels, chaos on steps", async () => {
            const stack = await componentStack("noisy", {
                steps: travelSteps,
                start: travelStart,
                testing: { failureInjection: true, compensationFailureRate: 0.25, chaos: { seed: 7, failBeforeWrite: 0.1 } },
            });
            const found = await messages(resourceViolations(policy, ofType(asInputs(stack), ResourceTypes.function)));
            const switches = (message: string) => [...message.matchAll(/(SAGA_[A-Z_]+) is /g)].map((m) => m[1]).join(" ");
            const byFunction = Object.fromEntries(found.map((m) => [/^Lambda "([^"]+)"/.exec(m)?.[1], switches(m)]));
            const step = "SAGA_FAILURE_INJECTION SAGA_CHAOS";
            const cancel = "SAGA_FAILURE_INJECTION SAGA_COMPENSATION_FAILURE_RATE SAGA_CHAOS";
            assert.deepEqual(byFunction, {
                "noisy-hotel-reserve": step,
                "noisy-hotel-confirm": step,
                "noisy-hotel-cancel": cancel,
                "noisy-flight-reserve": step,
                "noisy-flight-confirm": step,
                "noisy-flight-cancel": cancel,
                "noisy-payment-reserve": step,
                "noisy-payment-cancel": cancel,
                "noisy-start": "SAGA_FAILURE_INJECTION",
            });
        });
    });
});
