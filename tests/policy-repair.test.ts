// The policies of the repair: a saga machine's failed compensations must be repaired (mandatory),
// its stopped, timed-out and unexpectedly failed executions compensated (advisory); the repair's
// own roles are least-privileged. Each starts from the travel stack of index.ts under the mocks
// and breaks one thing.
import * as assert from "node:assert/strict";
import { Tags } from "../components/model/conventions";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaCompensationFailuresRepaired, sagaLeastPrivilege, sagaStepsHaveCompensators, sagaStoppedExecutionsCompensated } from "../policy-pack/policies";
import { TestResource, messages, stackOutcome, stackViolations, urnOf } from "./support/policy-args";
import { changed, without } from "./support/policy-fixtures";
import { asOutputs, travelStack } from "./support/policy-stack";
import { ResourceTypes } from "../components/model/resource-types";

const RULE = "aws:cloudwatch/eventRule:EventRule";
const SUFFIX = "-a1b2c3d";
const MACHINE_ARN = `arn:aws:states:us-east-1:123456789012:stateMachine:booking-machine${SUFFIX}`;
const LABEL = 'State machine "booking-machine" (saga "booking")';
const DETAIL_TYPE = "Step Functions Execution Status Change";
const REPAIRED = (reason: string) =>
    `${LABEL} must have its failed compensations repaired: ${reason}, so a compensation that failed all its retries is never run again and the saga may stay half-done. ` +
    `Add a rule on the default event bus (source "aws.states", detail-type "${DETAIL_TYPE}", detail.stateMachineArn its ARN, detail.status FAILED) whose target runs the compensations again, as SagaComponent's repair does.`;
const COMPENSATED = (reason: string) =>
    `${LABEL} must have its stopped, timed-out and unexpectedly failed executions compensated: ${reason}; such an execution runs no compensation, so what it did stays done. ` +
    `Subscribe to them (source "aws.states", detail-type "${DETAIL_TYPE}", detail.stateMachineArn its ARN) with a target that runs the compensations, as SagaComponent's repair does.`;
const NONE = (endings: string) => `no enabled EventBridge rule on the default event bus with a target matches its "${DETAIL_TYPE}" events ${endings}`;
const FAILED_COMPENSATION = 'FAILED with the error "Saga.CompensationFailed"';
const STOPPED = 'ABORTED, TIMED_OUT or FAILED with an error of its own (e.g. "States.Runtime")';

/** The status change rule of the travel stack with another pattern (its `detail`, beside source and detail-type). */
const withDetail = (stack: TestResource[], detail: object) =>
    changed(stack, "booking-status-changes", (props) => (props.eventPattern = JSON.stringify({ source: ["aws.states"], "detail-type": [DETAIL_TYPE], detail })));

describe("the repair policies", () => {
    let stack: TestResource[];
    const repaired = (resources: TestResource[]) => messages(stackViolations(sagaCompensationFailuresRepaired, resources));
    const compensated = (resources: TestResource[]) => messages(stackViolations(sagaStoppedExecutionsCompensated, resources));

    before(async () => {
        stack = asOutputs(await travelStack());
    });

    it("pass the travel stack: its rule sends every ending but a clean rollback to the repair", async () => {
        assert.deepEqual(await repaired(stack), []);
        assert.deepEqual(await compensated(stack), []);
        assert.equal(sagaCompensationFailuresRepaired.enforcementLevel, "mandatory");
        assert.equal(sagaStoppedExecutionsCompensated.enforcementLevel, "advisory");
    });

    it("accept any rule that matches, e.g. by prefix, or one rule per ending", async () => {
        const byPrefix = withDetail(stack, { stateMachineArn: [{ prefix: "arn:aws:states:us-east-1:123456789012:stateMachine:booking-" }] });
        assert.deepEqual([await repaired(byPrefix), await compensated(byPrefix)], [[], []]);
        const failedOnly = withDetail(stack, { stateMachineArn: [MACHINE_ARN], status: ["FAILED"] });
        const second = structuredClone(stack.filter((r) => r.name === "booking-status-changes" || r.name === "booking-status-changes-target")).map((r) => ({
            ...r,
            name: `${r.name}-stopped`,
            props: r.type === RULE ? { ...r.props, name: "stopped", eventPattern: JSON.stringify({ detail: { status: ["ABORTED", "TIMED_OUT"] } }) } : { ...r.props, rule: "stopped" },
        }));
        assert.deepEqual([await repaired([...failedOnly, ...second]), await compensated([...failedOnly, ...second])], [[], []]);
    });

    it("should fail if no rule subscribes to the saga machine's status changes, on the machine", async () => {
        const bare = without(stack, "booking-status-changes", "booking-status-changes-target");
        const found = await stackViolations(sagaCompensationFailuresRepaired, bare);
        assert.deepEqual(found.map((v) => v.message), [REPAIRED(NONE(FAILED_COMPENSATION))]);
        assert.equal(found[0].urn, urnOf({ type: ResourceTypes.stateMachine, name: "booking-machine" }));
        assert.deepEqual(await compensated(bare), [COMPENSATED(NONE(STOPPED))]);
    });

    it("should fail if the rule matches only the stopped executions (mandatory), or only the failed ones (advisory)", async () => {
        const stoppedOnly = withDetail(stack, { stateMachineArn: [MACHINE_ARN], status: ["ABORTED", "TIMED_OUT"] });
        assert.deepEqual(await repaired(stoppedOnly), [REPAIRED(NONE(FAILED_COMPENSATION))]);
        assert.deepEqual(await compensated(stoppedOnly), [COMPENSATED(NONE('FAILED with an error of its own (e.g. "States.Runtime")'))]);
        const compensationFailedOnly = withDetail(stack, { stateMachineArn: [MACHINE_ARN], status: ["FAILED"], error: ["Saga.CompensationFailed"] });
        assert.deepEqual(await repaired(compensationFailedOnly), []);
        assert.deepEqual(await compensated(compensationFailedOnly), [COMPENSATED(NONE(STOPPED))]);
    });

    it("should fail if the rule leaves out the failed compensations, e.g. with anything-but", async () => {
        const skipping = withDetail(stack, { stateMachineArn: [MACHINE_ARN], error: [{ "anything-but": ["Saga.RolledBack", "Saga.CompensationFailed"] }] });
        assert.deepEqual(await repaired(skipping), [REPAIRED(NONE(FAILED_COMPENSATION))]);
    });

    it("should fail if the rule watches another state machine", async () => {
        const other = withDetail(stack, { stateMachineArn: [MACHINE_ARN.replace("booking-machine", "payments-machine")] });
        assert.deepEqual(await repaired(other), [REPAIRED(NONE(FAILED_COMPENSATION))]);
    });

    it("should fail if the rule that matches has no target, is disabled or is on another event bus, saying which", async () => {
        const noTarget = without(stack, "booking-status-changes-target");
        const nearMiss = (why: string) => REPAIRED(`${NONE(FAILED_COMPENSATION)} (rule "booking-status-changes" matches them but ${why})`);
        assert.deepEqual(await repaired(noTarget), [nearMiss("has no target")]);
        const disabled = changed(stack, "booking-status-changes", (props) => (props.state = "DISABLED"));
        assert.deepEqual(await repaired(disabled), [nearMiss("is disabled")]);
        const elsewhere = changed(changed(stack, "booking-status-changes", (props) => (props.eventBusName = "orders")), "booking-status-changes-target", (props) => (props.eventBusName = "orders"));
        assert.deepEqual(await repaired(elsewhere), [nearMiss("is on another event bus")]);
    });

    it("ask no rule of the repair machine, which only compensates, tagged or not", async () => {
        const untagged = changed(stack, "booking-repair-machine", (props) => delete props.tags[Tags.role]);
        assert.deepEqual(await repaired(without(untagged, "booking-repair-failures", "booking-repair-failures-target")), []);
    });

    it("wait, in a first preview, for the machine's ARN and the rule's pattern", async () => {
        const preview = changed(stack, "booking-machine", (props) => (props.arn = UNKNOWN_STRING_SENTINEL));
        const outcome = await stackOutcome(sagaCompensationFailuresRepaired, preview);
        assert.deepEqual(outcome.reported, []);
        assert.equal(
            outcome.error?.message,
            'the ARN of state machine "booking-machine" is not known yet, so the status-change subscriptions were not checked; they are checked once known, e.g. by `pulumi up`',
        );
        const patternUnknown = changed(stack, "booking-status-changes", (props) => (props.eventPattern = UNKNOWN_STRING_SENTINEL));
        assert.match((await stackOutcome(sagaCompensationFailuresRepaired, patternUnknown)).error?.message ?? "", /^EventBridge rule "booking-status-changes" is not known yet/);
    });
});

describe("the repair machine among the saga policies", () => {
    let stack: TestResource[];
    before(async () => {
        stack = asOutputs(await travelStack());
    });

    it("is not mistaken for a saga's forward machine: its cancels are compensations, not steps to compensate", async () => {
        assert.deepEqual(await messages(stackViolations(sagaStepsHaveCompensators, stack)), []);
        // Nor does one of its cancels stand for the saga machine's lost compensator.
        const lost = changed(stack, "booking-machine", (props) => {
            const asl = JSON.parse(props.definition);
            asl.States["Take Payment"].Catch[0].Next = "Cancel Flight";
            asl.States["Confirm Hotel"].Catch[0].Next = "Cancel Flight";
            asl.States["Confirm Flight"].Catch[0].Next = "Cancel Flight";
            delete asl.States["Refund Payment"];
            delete asl.States["Record Payment compensation failure"];
            props.definition = JSON.stringify(asl);
        });
        const withoutRefund = lost.filter((r) => r.name !== "booking-payment-cancel");
        const found = await messages(stackViolations(sagaStepsHaveCompensators, withoutRefund));
        assert.equal(
            found[0],
            'Step "Payment" of saga "booking" must have a compensator: its reserve Lambda "booking-payment-reserve" has no cancel Lambda beside it (tagged saga:name=booking, saga:step=Payment, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
        );
    });
});

describe("policy saga-least-privilege on the repair's roles", () => {
    let stack: TestResource[];
    const check = (resources: TestResource[]) => messages(stackViolations(sagaLeastPrivilege, resources));
    const START = 'IAM policy "booking-repair-start-policy" of the repair\'s start Lambda "booking-repair-start" (saga "booking")';
    const withStatements = (resources: TestResource[], name: string, change: (statements: any[]) => void) =>
        changed(resources, name, (props) => {
            const document = JSON.parse(props.policy);
            change(document.Statement);
            props.policy = JSON.stringify(document);
        });

    before(async () => {
        stack = asOutputs(await travelStack());
    });

    it("passes the travel stack's repair roles", async () => {
        assert.deepEqual(await check(stack), []);
    });

    it("should fail if the start function may start another machine", async () => {
        const other = "arn:aws:states:us-east-1:123456789012:stateMachine:payments-machine";
        const broken = withStatements(stack, "booking-repair-start-policy", (s) => (s[0].Resource = other));
        const found = await check(broken);
        assert.deepEqual(found, [
            `Statement "StartRepair" of ${START} must only reach the repair machine and the queues of saga "booking": it allows "states:StartExecution" on "${other}".`,
        ]);
        // Nor the saga's own machine: a repair starts nothing forward.
        const forward = withStatements(stack, "booking-repair-start-policy", (s) => (s[0].Resource = MACHINE_ARN));
        assert.deepEqual(await check(forward), [
            `Statement "StartRepair" of ${START} must only reach the repair machine and the queues of saga "booking": it allows "states:StartExecution" on "${MACHINE_ARN}".`,
        ]);
    });

    it("should fail if the API's start Lambda may start the repair machine, or the status Lambda describe its executions", async () => {
        const repairMachine = `arn:aws:states:us-east-1:123456789012:stateMachine:booking-repair-machine${SUFFIX}`;
        const start = withStatements(stack, "booking-start-policy", (s) => (s[0].Resource = [MACHINE_ARN, repairMachine]));
        assert.deepEqual(await check(start), [
            `Statement "StartSaga" of IAM policy "booking-start-policy" of the start Lambda "booking-start" (saga "booking") must only start its own state machine ("${MACHINE_ARN}"): it allows "states:StartExecution" on "${repairMachine}".`,
        ]);
        const repairExecutions = `${repairMachine.replace(":stateMachine:", ":execution:")}:*`;
        const status = withStatements(stack, "booking-status-policy", (s) => (s[0].Resource = repairExecutions));
        assert.deepEqual(await check(status), [
            `Statement "DescribeSagas" of IAM policy "booking-status-policy" of the status Lambda "booking-status" (saga "booking") must only describe executions of its own state machine ("${MACHINE_ARN.replace(":stateMachine:", ":execution:")}:*"): it allows "states:DescribeExecution" on "${repairExecutions}".`,
        ]);
    });

    it("should fail if the start function may do more than start the repair and report its failures", async () => {
        const broken = withStatements(stack, "booking-repair-start-policy", (s) => s[0].Action.push("states:StopExecution"));
        const found = await check(broken);
        assert.deepEqual(found, [
            `Statement "StartRepair" of ${START} must only start its saga's repair and report the events it fails on: remove "states:StopExecution".`,
        ]);
    });

    it("lets only the repair machine invoke the outcome function", async () => {
        const outcome = `arn:aws:lambda:us-east-1:123456789012:function:booking-repair-outcome${SUFFIX}`;
        const broken = withStatements(stack, "booking-machine-policy", (s) => s[0].Resource.push(outcome));
        assert.deepEqual(await check(broken), [
            `Statement "InvokeSteps" of IAM policy "booking-machine-policy" of state machine "booking-machine" (saga "booking") must only invoke the step Lambdas of saga "booking" and the functions its definition invokes: it allows "lambda:InvokeFunction" on "${outcome}".`,
        ]);
    });
});
