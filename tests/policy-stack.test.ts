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

    it("sees the saga's resources: a Lambda per action, each role's policy, the machine and the API stage", () => {
        const ofType = (type: string) => stack.filter((r) => r.type === type);
        const roles = ofType("aws:lambda/function:Function").map((r) => (r.outputs.tags as Record<string, string>)["saga:role"]);
        // Hotel and Flight reserve, confirm and cancel; Payment has no confirm; the start (and any status) Lambda.
        const count = (role: string) => roles.filter((r) => r === role).length;
        assert.deepEqual([count("reserve"), count("confirm"), count("cancel"), count("start")], [3, 2, 3, 1]);
        assert.equal(ofType("aws:iam/rolePolicy:RolePolicy").length, roles.length + 1);
        assert.equal(ofType("aws:sfn/stateMachine:StateMachine").length, 1);
        assert.equal(ofType("aws:apigateway/stage:Stage").length, 1);
    });

    it("matches the definition's tasks to the step Lambdas by ARN, so a missing compensator is named by step", async () => {
        const withoutPaymentCancel = asOutputs(stack).filter((r) => r.name !== "booking-payment-cancel");
        const found = (await violations(sagaStepsHaveCompensators, withoutPaymentCancel)).map((v) => v.message);
        assert.equal(
            found[0],
            'Step "Payment" of saga "booking" must have a compensator: its reserve Lambda "booking-payment-reserve" has no cancel Lambda beside it (tagged saga:name=booking, saga:step=Payment, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
        );
        assert.equal(
            found[1],
            'State machine "booking-machine" must compensate step "Payment" when forward task "Take Payment" (step "Payment") fails: the path of its Catch on ["States.ALL"] runs "Refund Payment", then "Cancel Flight", then "Cancel Hotel" and ends at "Rolled Back". Run the compensators of steps "Payment", "Flight" and "Hotel", newest first, before the Fail state.',
        );
    });

    it("advises against the API the stack makes public with saga:publicApi", async () => {
        const publicStack = await captureIndexStack({ "saga:publicApi": "true" });
        const found = (await violations(apiRequiresAuthorization, asInputs(publicStack))).map((v) => v.message);
        assert.deepEqual(found, [
            'REST API "booking-api" must not let anonymous callers in: ANY /, ANY /{proxy+}, GET /trips/{tripId} have no authorization; ' +
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
