// The policy of EXPRESS saga machines (mandatory): every event logged with its data, a repair path
// that needs no status-change event (a schedule running the saga's sweep), a worst case within
// 5 minutes. Starts from the travel stack of index.ts on EXPRESS under the mocks and breaks one
// thing at a time.
import * as assert from "node:assert/strict";
import { sagaExpressMachineSafe } from "../policy-pack/policies";
import { TestResource, messages, stackViolations } from "./support/policy-args";
import { changed, without } from "./support/policy-fixtures";
import { asOutputs, captureIndexStack, travelStack } from "./support/policy-stack";

const LABEL = 'EXPRESS state machine "booking-machine" (saga "booking")';

describe("the EXPRESS machine policy", function () {
    this.timeout(60_000);
    let stack: TestResource[];
    const found = (resources: TestResource[]) => messages(stackViolations(sagaExpressMachineSafe, resources));
    const definitionOf = (resources: TestResource[]) => JSON.parse(resources.find((r) => r.name === "booking-machine")!.props.definition as string);
    const withDefinition = (resources: TestResource[], change: (asl: any) => void) =>
        changed(resources, "booking-machine", (props) => {
            const asl = JSON.parse(props.definition);
            change(asl);
            props.definition = JSON.stringify(asl);
        });

    before(async () => {
        stack = asOutputs(await captureIndexStack({ "saga:workflowType": "EXPRESS" }));
    });

    it("passes the travel stack on EXPRESS, and ignores STANDARD machines", async () => {
        assert.equal(sagaExpressMachineSafe.enforcementLevel, "mandatory");
        assert.deepEqual(await found(stack), []);
        assert.deepEqual(await found(asOutputs(await travelStack())), []);
    });

    it("should fail if the machine does not log every event with its data", async () => {
        const errorsOnly = changed(stack, "booking-machine", (props) => (props.loggingConfiguration.level = "ERROR"));
        assert.deepEqual(await found(errorsOnly), [
            `${LABEL} must log every event: loggingConfiguration.level is "ERROR", and an EXPRESS execution has no history in Step Functions, so its log is the only account of which states it ran and why it ended. Set it to "ALL".`,
        ]);
        const noData = changed(stack, "booking-machine", (props) => (props.loggingConfiguration.includeExecutionData = false));
        assert.match((await found(noData))[0], /must log the execution data: set loggingConfiguration\.includeExecutionData to true/);
        const nowhere = changed(stack, "booking-machine", (props) => delete props.loggingConfiguration.logDestination);
        assert.match((await found(nowhere))[0], /must name where its log goes/);
        const off = changed(stack, "booking-machine", (props) => delete props.loggingConfiguration);
        assert.match((await found(off))[0], /loggingConfiguration\.level is unset \(OFF\)/);
    });

    it("should fail if no enabled schedule runs the saga's sweep", async () => {
        const reason = (what: string) =>
            `${LABEL} must have a repair path that needs no status-change event (EXPRESS sends none): ${what}, so a saga whose execution timed out, failed on its own or never started is never compensated. ` +
            "Run a sweep of the saga's open records on a schedule (SagaComponent's EXPRESS sweep: rate(1 minute)) that hands them to the repair.";
        const noRule = without(stack, "booking-sweep-schedule");
        assert.deepEqual(await found(noRule), [reason('no enabled EventBridge rule with a scheduleExpression targets its sweep Lambda "booking-sweep"')]);
        const disabled = changed(stack, "booking-sweep-schedule", (props) => (props.state = "DISABLED"));
        assert.deepEqual(await found(disabled), [reason('no enabled EventBridge rule with a scheduleExpression targets its sweep Lambda "booking-sweep"')]);
        const noTarget = without(stack, "booking-sweep-schedule-target");
        assert.equal((await found(noTarget)).length, 1);
        const noSweep = without(stack, "booking-sweep");
        assert.deepEqual(await found(noSweep), [reason("the stack has no Lambda tagged saga:name=booking and saga:role=sweep")]);
    });

    it("should fail if the worst case of its longest path exceeds 5 minutes, naming the path", async () => {
        const slow = withDefinition(stack, (asl) => {
            for (const state of Object.values(asl.States) as any[]) if (state.Type === "Task") state.TimeoutSeconds = 10;
        });
        const [message] = await found(slow);
        assert.match(message, new RegExp(`^${LABEL.replace(/[()]/g, "\\$&")} must fit its worst case in the 300 seconds an EXPRESS execution may last, or a saga can be cut off mid-compensation: .* takes 527 seconds on its longest path \\("Reserve Hotel" -> .* -> "Record Compensation Failed"\\)`));
        const untimed = withDefinition(stack, (asl) => delete asl.States["Cancel Hotel"].TimeoutSeconds);
        assert.match((await found(untimed))[0], /takes \d{9,} seconds/);
        const loop = withDefinition(stack, (asl) => (asl.States["Rolled Back"] = { Type: "Pass", Next: "Reserve Hotel" }));
        assert.match((await found(loop))[0], /unbounded \(a loop, or a Wait without fixed Seconds\)/);
        assert.ok(definitionOf(stack).TimeoutSeconds <= 300);
    });
});

describe("the status-change repair policies on an EXPRESS machine", function () {
    this.timeout(60_000);
    it("leave it to the EXPRESS policy: EXPRESS sends no status-change event for a rule to match", async () => {
        const { sagaCompensationFailuresRepaired, sagaStoppedExecutionsCompensated } = await import("../policy-pack/policies");
        const stack = asOutputs(await captureIndexStack({ "saga:workflowType": "EXPRESS" }));
        const noRule = without(stack, "booking-status-changes");
        assert.deepEqual(await messages(stackViolations(sagaCompensationFailuresRepaired, noRule)), []);
        assert.deepEqual(await messages(stackViolations(sagaStoppedExecutionsCompensated, noRule)), []);
        assert.equal((await messages(stackViolations(sagaCompensationFailuresRepaired, without(asOutputs(await travelStack()), "booking-status-changes")))).length, 1);
    });
});
