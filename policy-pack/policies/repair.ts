// Every saga converges: an execution of a saga's machine that ended without a clean rollback is
// heard of by something that compensates it again. Step Functions says so on EventBridge ("Step
// Functions Execution Status Change"); these policies look for an enabled rule on the default
// bus, with a target, whose pattern matches the machine's events for each such ending.
import { StackValidationPolicy } from "@pulumi/policy";
import { REPAIR_ROLE, SagaErrors, STATUS_CHANGE_EVENT, Tags } from "../../components/model/conventions";
import { matchesPattern } from "../../components/model/event-pattern";
import { statusChangeEvent } from "../../components/model/status-change";
import { readRules, RuleReading } from "../analysis/events";
import { isKnown, readMachines } from "../analysis/machines";
import { readSaga } from "../../components/model/saga-reader";
import { StackIndex, StackResource, fromPolicyResources } from "../analysis/stack";
import { NotKnownYet, UNKNOWN, str, tagsOf } from "../analysis/values";

/** An ending of an execution, as the status change event carries it. */
interface Ending {
    status: string;
    error: string | null;
    /** How messages name it. */
    label: string;
}

const COMPENSATION_FAILED: Ending = { status: "FAILED", error: SagaErrors.CompensationFailed, label: `FAILED with the error "${SagaErrors.CompensationFailed}"` };
const STOPPED: Ending[] = [
    { status: "ABORTED", error: null, label: "ABORTED" },
    { status: "TIMED_OUT", error: "States.Timeout", label: "TIMED_OUT" },
    { status: "FAILED", error: "States.Runtime", label: 'FAILED with an error of its own (e.g. "States.Runtime")' },
];

export const sagaCompensationFailuresRepaired: StackValidationPolicy = {
    name: "saga-compensation-failures-repaired",
    description:
        'Checks whether every saga state machine has its executions that end with a failed compensation (FAILED, "Saga.CompensationFailed") repaired: an enabled EventBridge rule on the default bus, with a target, matches those "Step Functions Execution Status Change" events, so the compensations are run again until they succeed (SagaComponent\'s repair machine does).',
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const { machine, label, unmatched } of uncovered(fromPolicyResources(args.resources), [COMPENSATION_FAILED])) {
            reportViolation(
                `${label} must have its failed compensations repaired: ${unmatched.reason}, so a compensation that failed all its retries is never run again and the saga may stay half-done. ` +
                    `Add a rule on the default event bus (source "${STATUS_CHANGE_EVENT.source}", detail-type "${STATUS_CHANGE_EVENT.detailType}", detail.stateMachineArn its ARN, detail.status FAILED) whose target runs the compensations again, as SagaComponent's repair does.`,
                machine.urn,
            );
        }
    },
};

export const sagaStoppedExecutionsCompensated: StackValidationPolicy = {
    name: "saga-stopped-executions-compensated",
    description:
        'Checks whether every saga state machine has its executions that were stopped (ABORTED), ran past their time limit (TIMED_OUT) or failed with an error of their own compensated: an enabled EventBridge rule on the default bus, with a target, matches those "Step Functions Execution Status Change" events. Such an execution runs no compensation itself.',
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        for (const { machine, label, unmatched } of uncovered(fromPolicyResources(args.resources), STOPPED)) {
            reportViolation(
                `${label} must have its stopped, timed-out and unexpectedly failed executions compensated: ${unmatched.reason}; such an execution runs no compensation, so what it did stays done. ` +
                    `Subscribe to them (source "${STATUS_CHANGE_EVENT.source}", detail-type "${STATUS_CHANGE_EVENT.detailType}", detail.stateMachineArn its ARN) with a target that runs the compensations, as SagaComponent's repair does.`,
                machine.urn,
            );
        }
    },
};

interface Uncovered {
    machine: StackResource;
    label: string;
    unmatched: { reason: string };
}

/**
 * The saga machines some of whose `endings` no usable rule matches. Throws NotKnownYet, after the
 * policy has reported what it could, while a machine's ARN or a rule's pattern is not known.
 */
function uncovered(resources: StackResource[], endings: Ending[]): Uncovered[] {
    const stack = new StackIndex(resources);
    const rules = readRules(stack);
    const unknown: string[] = [];
    const found: Uncovered[] = [];
    for (const reading of readMachines(stack)) {
        const { resource: machine, asl, saga } = reading;
        if (saga === undefined || tagsOf(machine.props)[Tags.role] === REPAIR_ROLE) continue;
        // EXPRESS sends no status-change events: its repair path is a schedule (policies/express.ts).
        if (machine.props.type === "EXPRESS") continue;
        // A compensation-only machine (a repair) is not repaired in turn.
        if (isKnown(asl) && readSaga(asl).compensationOnly) continue;
        const arn = str(machine.props.arn);
        if (machine.props.arn === UNKNOWN || arn === undefined) {
            unknown.push(`the ARN of state machine "${machine.name}"`);
            continue;
        }
        const patternsUnknown = rules.filter((rule) => rule.pattern === UNKNOWN || rule.name === UNKNOWN || rule.targets.includes(UNKNOWN));
        const missing = endings.filter((ending) => !rules.some((rule) => usable(rule) && matchesPattern(rule.pattern as Record<string, unknown>, statusChange(arn, ending))));
        if (missing.length === 0) continue;
        if (patternsUnknown.length > 0) {
            unknown.push(...patternsUnknown.map((rule) => `EventBridge rule "${rule.resource.name}"`));
            continue;
        }
        found.push({ machine, label: `State machine "${machine.name}" (saga "${saga}")`, unmatched: { reason: whyUnmatched(rules, arn, missing) } });
    }
    if (unknown.length > 0) {
        throw new NotKnownYet(`${[...new Set(unknown)].join(", ")} ${unknown.length > 1 ? "are" : "is"} not known yet, so the status-change subscriptions were not checked; they are checked once known, e.g. by \`pulumi up\``);
    }
    return found;
}

const usable = (rule: RuleReading) => rule.enabled && rule.onDefaultBus && rule.targets.length > 0 && typeof rule.pattern === "object";

/** What is missing, and the rules that would match but cannot deliver. */
function whyUnmatched(rules: RuleReading[], arn: string, missing: Ending[]): string {
    const endings = missing.map((ending) => ending.label);
    const what = `no enabled EventBridge rule on the default event bus with a target matches its "${STATUS_CHANGE_EVENT.detailType}" events ${endings.length > 1 ? `${endings.slice(0, -1).join(", ")} or ${endings.at(-1)}` : endings[0]}`;
    const nearMisses = rules
        .filter((rule) => typeof rule.pattern === "object" && missing.some((ending) => matchesPattern(rule.pattern as Record<string, unknown>, statusChange(arn, ending))))
        .map((rule) => `rule "${rule.resource.name}" matches them but ${[!rule.enabled && "is disabled", !rule.onDefaultBus && "is on another event bus", rule.targets.length === 0 && "has no target"].filter(Boolean).join(" and ")}`);
    return nearMisses.length > 0 ? `${what} (${nearMisses.join("; ")})` : what;
}

/** The event Step Functions sends when an execution of `stateMachineArn` ends as `ending`. */
export function statusChange(stateMachineArn: string, ending: { status: string; error: string | null }) {
    const [, , , region, account] = stateMachineArn.split(":");
    const execution = {
        executionArn: `${stateMachineArn.replace(":stateMachine:", ":execution:")}:policy-check`,
        stateMachineArn,
        name: "policy-check",
        status: ending.status,
        startDate: 0,
        stopDate: 0,
        input: "{}",
        output: null,
        error: ending.error,
        cause: null,
    };
    return statusChangeEvent(execution, { id: "policy-check", account: account ?? "", region: region ?? "", time: new Date(0).toISOString() });
}
