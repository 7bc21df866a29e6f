// How a test says "SagaComponent refuses these arguments": the travel saga with `args` over it
// throws a pulumi.ResourceError with exactly `message`, before any child exists.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { SagaComponent, SagaComponentArgs } from "../../components";
import { travelStart, travelSteps } from "../../handlers/travel/steps";
import { recorded, resetRecords } from "./mocks";
import { ResourceTypes } from "../../components/model/resource-types";

export function refuses(name: string, args: Partial<SagaComponentArgs>, message: string): void {
    resetRecords();
    assert.throws(
        () => new SagaComponent(name, { steps: travelSteps, start: travelStart, ...args }),
        (error: unknown) => {
            assert.ok(pulumi.ResourceError.isInstance(error), "a pulumi.ResourceError");
            assert.equal((error as Error).message, message);
            return true;
        },
    );
    // Only the component itself was registered: no child exists.
    assert.deepEqual(recorded.filter((r) => r.type !== ResourceTypes.component), [], "no child exists");
}
