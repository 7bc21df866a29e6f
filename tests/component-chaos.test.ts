// SagaComponent's `testing.chaos` option: the faults a chaos test stack's step Lambdas inject into their
// writes. Stack configuration, checked before anything is created, and given to the step Lambdas
// only: never to the API's functions, and never settable from a request.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { SagaChaosOptions, SagaComponent } from "../components";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { byType, deploy, recorded, resetRecords, setupMocks } from "./support/mocks";
import { ResourceTypes } from "../components/model/resource-types";

const STEP_ROLES = ["reserve", "confirm", "cancel"];

/** SAGA_CHAOS of each function, by name: undefined where it has none. */
async function chaosByFunction(chaos: SagaChaosOptions | undefined): Promise<Record<string, string | undefined>> {
    await deploy(() => new SagaComponent("chaos", { steps: travelSteps, start: travelStart, status: { path: "/trips/{tripId}", handler: travelStatus }, testing: { chaos } }));
    return Object.fromEntries(byType(ResourceTypes.function).map((fn) => [fn.name, fn.inputs.environment.variables.SAGA_CHAOS]));
}

describe("SagaComponent's chaos option", () => {
    before(() => setupMocks());

    it("gives every step Lambda, and only those, the settings as one JSON variable with the defaults filled in", async () => {
        const byFunction = await chaosByFunction({ seed: 9, failBeforeWrite: 0.1, duplicateDelivery: 0.3 });
        const settings = { seed: 9, failBeforeWrite: 0.1, failAfterWrite: 0, duplicateDelivery: 0.3, maxDuplicateDelayMs: 200 };
        for (const [name, value] of Object.entries(byFunction)) {
            const isStep = STEP_ROLES.some((role) => name.endsWith(`-${role}`));
            assert.deepEqual(value === undefined ? undefined : JSON.parse(value), isStep ? settings : undefined, name);
        }
        assert.equal(Object.values(byFunction).filter((value) => value !== undefined).length, 8);
    });

    it("sets nothing when chaos is absent, or injects nothing and has no seed", async () => {
        for (const chaos of [undefined, {}, { failBeforeWrite: 0, failAfterWrite: 0, duplicateDelivery: 0, maxDuplicateDelayMs: 50 }]) {
            const byFunction = await chaosByFunction(chaos);
            assert.deepEqual(Object.values(byFunction).filter((value) => value !== undefined), [], JSON.stringify(chaos));
        }
    });

    it("rejects settings it does not know or out of range, before creating anything", () => {
        const cases: [unknown, string][] = [
            [{ failBeforeWrite: 1.5 }, "`testing.chaos.failBeforeWrite` must be a number from 0 to 1."],
            [{ duplicateDelivery: -0.1 }, "`testing.chaos.duplicateDelivery` must be a number from 0 to 1."],
            [{ seed: 1.5 }, "`testing.chaos.seed` must be a whole number from 0 to 4294967295."],
            [{ maxDuplicateDelayMs: 120_000 }, "`testing.chaos.maxDuplicateDelayMs` must be a whole number from 0 to 60000."],
            [{ failBeforWrite: 0.1 }, '`testing.chaos` has no setting "failBeforWrite"; the settings are seed, failBeforeWrite, failAfterWrite, duplicateDelivery, maxDuplicateDelayMs.'],
            ["0.1", '`testing.chaos` must be an object of fault probabilities, e.g. { "failBeforeWrite": 0.1 }.'],
        ];
        for (const [chaos, message] of cases) {
            resetRecords();
            assert.throws(
                () => new SagaComponent("badchaos", { steps: travelSteps, start: travelStart, testing: { chaos: chaos as SagaChaosOptions } }),
                (error: unknown) => pulumi.ResourceError.isInstance(error) && (error as Error).message === message,
                message,
            );
            assert.deepEqual(recorded.filter((r) => r.type !== ResourceTypes.component), []);
        }
    });
});
