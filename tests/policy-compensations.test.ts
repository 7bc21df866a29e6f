import * as assert from "node:assert/strict";
import { travelSteps } from "../handlers/travel/steps";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaCompensationFailuresRecorded, sagaCompensationsRetry } from "../policy-pack/policies";
import { TestResource, messages, resourceViolations } from "./support/policy-args";
import { changed, ofType, sagaStack, step, withDefinition } from "./support/policy-fixtures";
import { ResourceTypes } from "../components/model/resource-types";

const machines = (resources: TestResource[]) => ofType(resources, ResourceTypes.stateMachine);
const M = 'State machine "travel-machine"';

describe("policy saga-compensations-retry", () => {
    const check = (resources: TestResource[], config = {}) => messages(resourceViolations(sagaCompensationsRetry, machines(resources), config));

    it("passes the travel booking (every compensation retries all errors 3 times)", async () => {
        assert.deepEqual(await check(sagaStack(travelSteps)), []);
    });

    it("counts an omitted MaxAttempts as the ASL default of 3", async () => {
        const stack = withDefinition(sagaStack(), (asl) => delete asl.States["Cancel Hotel"].Retry[0].MaxAttempts);
        assert.deepEqual(await check(stack), []);
    });

    it("should fail if a compensator has no Retry", async () => {
        const stack = withDefinition(sagaStack(), (asl) => delete asl.States["Cancel Hotel"].Retry);
        assert.deepEqual(await check(stack), [
            `${M} must retry compensation "Cancel Hotel" on every error: add a Retry on ["States.ALL"] with MaxAttempts of at least 3, so a transient failure does not leave the step undone.`,
        ]);
    });

    it("should fail if a compensator retries only some errors", async () => {
        const stack = withDefinition(sagaStack(), (asl) => (asl.States["Cancel Flight"].Retry[0].ErrorEquals = ["Lambda.ServiceException"]));
        assert.deepEqual(await check(stack), [
            `${M} must retry compensation "Cancel Flight" on every error: add a Retry on ["States.ALL"] with MaxAttempts of at least 3, so a transient failure does not leave the step undone.`,
        ]);
    });

    it("should fail if a compensator retries too few times", async () => {
        const stack = withDefinition(sagaStack(), (asl) => (asl.States["Cancel Hotel"].Retry[0].MaxAttempts = 1));
        assert.deepEqual(await check(stack), [
            `${M} must retry compensation "Cancel Hotel" at least 3 times: its Retry on ["States.ALL"] has MaxAttempts 1. Set MaxAttempts to 3 or more.`,
        ]);
    });

    it("should fail if an earlier, narrower Retry gives some errors fewer attempts", async () => {
        const stack = withDefinition(sagaStack(), (asl) =>
            asl.States["Cancel Hotel"].Retry.unshift({ ErrorEquals: ["Lambda.ServiceException"], MaxAttempts: 1 }),
        );
        assert.deepEqual(await check(stack), [
            `${M} must retry compensation "Cancel Hotel" at least 3 times: its Retry on ["Lambda.ServiceException"] has MaxAttempts 1. Set MaxAttempts to 3 or more.`,
        ]);
    });

    it("should fail if the copy that runs after a failed compensation does not retry", async () => {
        const stack = withDefinition(sagaStack(), (asl) => delete asl.States["Cancel Hotel (after a failed compensation)"].Retry);
        assert.deepEqual(await check(stack), [
            `${M} must retry compensation "Cancel Hotel (after a failed compensation)" on every error: add a Retry on ["States.ALL"] with MaxAttempts of at least 3, so a transient failure does not leave the step undone.`,
        ]);
    });

    it("takes the minimum from its configuration", async () => {
        assert.deepEqual(await check(sagaStack(), { minimumRetries: 4 }), [
            `${M} must retry compensation "Cancel Hotel" at least 4 times: its Retry on ["States.ALL"] has MaxAttempts 3. Set MaxAttempts to 4 or more.`,
            `${M} must retry compensation "Cancel Hotel (after a failed compensation)" at least 4 times: its Retry on ["States.ALL"] has MaxAttempts 3. Set MaxAttempts to 4 or more.`,
            `${M} must retry compensation "Cancel Flight" at least 4 times: its Retry on ["States.ALL"] has MaxAttempts 3. Set MaxAttempts to 4 or more.`,
        ]);
    });

    it("says it could not run while the definition is unknown", async () => {
        const stack = changed(sagaStack(), "travel-machine", (p) => (p.definition = UNKNOWN_STRING_SENTINEL));
        await assert.rejects(check(stack), {
            name: "NotKnownYet",
            message:
                'the definition of state machine "travel-machine" is not known yet (a first preview builds it from ARNs that do not exist yet), so it was not checked; it is checked once known, e.g. by `pulumi up`',
        });
    });

    it("ignores a state machine that is no saga", async () => {
        const plain = { StartAt: "Work", States: { Work: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: "f" }, End: true } } };
        assert.deepEqual(await check([{ type: ResourceTypes.stateMachine, name: "etl", props: { definition: JSON.stringify(plain) } }]), []);
    });
});

describe("policy saga-compensation-failures-recorded", () => {
    const check = (resources: TestResource[]) => messages(resourceViolations(sagaCompensationFailuresRecorded, machines(resources)));
    // One step: its compensation has no copy, so each breaking case changes exactly one path.
    const oneStep = () => sagaStack([step("Hotel")]);

    it("passes the travel booking", async () => {
        assert.deepEqual(await check(sagaStack(travelSteps)), []);
    });

    it("should fail if a compensation has no Catch", async () => {
        const stack = withDefinition(sagaStack(), (asl) => delete asl.States["Cancel Flight"].Catch);
        assert.deepEqual(await check(stack), [
            `${M} must catch the failure of compensation "Cancel Flight" once its retries are spent: add a Catch on ["States.ALL"] that records the failure in the dead-letter queue (an SQS sendMessage task) and ends in a Fail state with an error of its own.`,
        ]);
    });

    it("should fail if a failed compensation is not recorded", async () => {
        const stack = withDefinition(sagaStack(), (asl) => (asl.States["Cancel Flight"].Catch[0].Next = "Cancel Hotel (after a failed compensation)"));
        assert.deepEqual(await check(stack), [
            `${M} must record the failure of compensation "Cancel Flight" durably: the path of its Catch sends nothing to a queue before it ends at "Compensation Failed". Send the failure to the dead-letter queue (an SQS sendMessage task) first.`,
        ]);
    });

    it("should fail if a failed compensation ends like a clean rollback", async () => {
        const stack = withDefinition(oneStep(), (asl) => (asl.States["Summarize Compensation Failures"].Next = "Rolled Back"));
        assert.deepEqual(await check(stack), [
            `${M} must tell a failed compensation apart from a clean rollback: when "Cancel Hotel" fails the execution ends at "Rolled Back" with the error "Saga.RolledBack", the same as a clean rollback. End it in a Fail state with an error of its own, e.g. "Saga.CompensationFailed".`,
        ]);
    });

    it("should fail if the failed outcome has no error name", async () => {
        const stack = withDefinition(oneStep(), (asl) => delete asl.States["Compensation Failed"].Error);
        assert.deepEqual(await check(stack), [
            `${M} must end a failed compensation with a named error: "Compensation Failed", where the path of the Catch of "Cancel Hotel" ends, has no \`Error\`. Give it one of its own, e.g. "Saga.CompensationFailed".`,
        ]);
    });

    it("should fail if a failed compensation can end in success", async () => {
        const stack = withDefinition(oneStep(), (asl) => (asl.States["Record Hotel compensation failure"].Next = "Succeeded"));
        assert.deepEqual(await check(stack), [
            `${M} must not end successfully when compensation "Cancel Hotel" fails: the path of its Catch reaches "Succeeded". End it in a Fail state with an error of its own.`,
        ]);
    });

    it("should fail if recording the failure can itself end the saga with the queue's error", async () => {
        const stack = withDefinition(oneStep(), (asl) => delete asl.States["Record Hotel compensation failure"].Catch);
        assert.deepEqual(await check(stack), [
            `${M} must finish the saga when recording a failed compensation fails: "Record Hotel compensation failure" has no Catch on ["States.ALL"], so an unreachable queue would end the execution with the queue's error instead of the compensation-failed outcome. Add a Catch that continues to its next state.`,
        ]);
    });

    it("says it could not run while the definition is unknown", async () => {
        const stack = changed(sagaStack(), "travel-machine", (p) => delete p.definition);
        await assert.rejects(check(stack), { name: "NotKnownYet" });
    });
});
