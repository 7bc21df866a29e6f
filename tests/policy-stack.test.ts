import * as assert from "node:assert/strict";
import { policies } from "../policy-pack/policies";
import { violations } from "./support/policy-args";
import { apiRequiresAuthorization, sagaStepsHaveCompensators } from "../policy-pack/policies";
import { CapturedResource, asInputs, asOutputs, captureIndexStack, travelStack } from "./support/policy-stack";

describe("the policy pack over the travel stack (index.ts under Pulumi mocks)", function () {
    this.timeout(60_000);
    let stack: CapturedResource[];

    before(async () => {
        stack = await travelStack();
    });

    it("sees the saga's resources: a Lambda per action, each role's policy, the machines, the rules and the API stage", () => {
        const ofType = (type: string) => stack.filter((r) => r.type === type);
        const roles = ofType("aws:lambda/function:Function").map((r) => (r.outputs.tags as Record<string, string>)["saga:role"]);
        // Hotel and Flight reserve, confirm and cancel; Payment has no confirm; the start (and any status) Lambda; the repair's two.
        const count = (role: string) => roles.filter((r) => r === role).length;
        assert.deepEqual([count("reserve"), count("confirm"), count("cancel"), count("start"), count("repair-start"), count("repair-outcome")], [3, 2, 3, 1, 1, 1]);
        // One per Lambda, and the saga's and the repair's machines.
        assert.equal(ofType("aws:iam/rolePolicy:RolePolicy").length, roles.length + 2);
        assert.deepEqual(ofType("aws:sfn/stateMachine:StateMachine").map((r) => r.name), ["booking-machine", "booking-repair-machine"]);
        assert.deepEqual(ofType("aws:cloudwatch/eventRule:EventRule").map((r) => r.name).sort(), ["booking-repair-failures", "booking-status-changes"]);
        assert.equal(ofType("aws:apigateway/stage:Stage").length, 1);
    });

    it("knows each task's step from its Comment, so a missing compensator is named by step", async () => {
        // Untagged, the Lambdas could be existing functions: the Comments still name the steps.
        const untagged = structuredClone(asOutputs(stack)).map((r) => (r.type === "aws:lambda/function:Function" ? { ...r, props: { ...r.props, tags: {} } } : r));
        assert.deepEqual(await violations(sagaStepsHaveCompensators, untagged), []);
        const machine = untagged.find((r) => r.name === "booking-machine") as (typeof untagged)[number];
        const asl = JSON.parse(machine.props.definition as string);
        for (const state of Object.values(asl.States) as { Catch?: { Next: string }[] }[]) {
            for (const catcher of state.Catch ?? []) if (catcher.Next === "Refund Payment") catcher.Next = "Cancel Flight";
        }
        machine.props.definition = JSON.stringify(asl);
        const found = (await violations(sagaStepsHaveCompensators, untagged)).map((v) => v.message);
        assert.equal(
            found[0],
            'State machine "booking-machine" must compensate step "Payment" when forward task "Take Payment" (step "Payment") fails: the path of its Catch on ["States.ALL"] runs "Cancel Flight", then "Cancel Hotel" and ends at "Rolled Back". Run the compensators of steps "Payment", "Flight" and "Hotel", newest first, before the Fail state.',
        );
        assert.equal(found.length, 3, "Take Payment, Confirm Hotel and Confirm Flight");
    });

    it("advises against the API the stack makes public with saga:publicApi", async () => {
        const publicStack = await captureIndexStack({ "saga:publicApi": "true" });
        const found = (await violations(apiRequiresAuthorization, asInputs(publicStack))).map((v) => v.message);
        assert.deepEqual(found, [
            'REST API "booking-api" must not let anonymous callers in: GET /, POST /, ANY /, GET /{proxy+}, POST /{proxy+}, ANY /{proxy+}, ' +
                "ANY /trips, GET /trips/{tripId}, ANY /trips/{tripId}, ANY /trips/{tripId}/{proxy+} have no authorization; " +
                "require SigV4 (SagaComponent `api.iamAuth`, the stack's `saga:publicApi` false), an authorizer or an API key.",
        ]);
    });

    for (const policy of policies) {
        it(`has no violation of ${policy.name} (${policy.enforcementLevel})`, async () => {
            const resources = "validateStack" in policy ? asOutputs(stack) : asInputs(stack);
            assert.deepEqual(await violations(policy, resources), []);
        });
    }
});

describe("the policy pack over the travel stack on EXPRESS (saga:workflowType)", function () {
    this.timeout(60_000);
    let stack: CapturedResource[];

    before(async () => {
        stack = await captureIndexStack({ "saga:workflowType": "EXPRESS" });
    });

    for (const policy of policies) {
        it(`has no violation of ${policy.name} (${policy.enforcementLevel})`, async () => {
            const resources = "validateStack" in policy ? asOutputs(stack) : asInputs(stack);
            assert.deepEqual(await violations(policy, resources), []);
        });
    }
});
