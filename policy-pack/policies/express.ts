// An EXPRESS saga machine gives up what a saga leans on: no execution history but its log, no
// status-change events, and a hard cut at 5 minutes. What makes it safe must then be there: its
// log at the level that accounts for every state (ALL, with the execution data), a repair path
// that does not wait for events (a schedule that runs the saga's sweep), and a worst case that
// fits in the 5 minutes, or a saga could be cut off mid-compensation.
import { StackValidationPolicy } from "@pulumi/policy";
import { REPAIR_ROLE, SWEEP_ROLE, Tags } from "../../components/model/conventions";
import { EXPRESS_MAX_SECONDS, worstCaseDuration } from "../../components/model/duration";
import { readRules } from "../analysis/events";
import { isKnown, MachineReading, readMachines } from "../analysis/machines";
import { StackIndex, fromPolicyResources } from "../analysis/stack";
import { UNKNOWN, obj, str, tagsOf } from "../analysis/values";

export const sagaExpressMachineSafe: StackValidationPolicy = {
    name: "saga-express-machine-safe",
    description:
        "Checks whether every EXPRESS saga state machine logs every event with its execution data (its log is its only history), has a repair path that does not wait for status-change events (an enabled schedule rule targeting the saga's sweep Lambda, tagged saga:role=sweep), and fits its worst case (every task timeout, retry and backoff on its longest path) in the 5 minutes an EXPRESS execution may last.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = new StackIndex(fromPolicyResources(args.resources));
        for (const reading of readMachines(stack)) {
            const { resource: machine, saga } = reading;
            if (machine.props.type !== "EXPRESS" || saga === undefined || tagsOf(machine.props)[Tags.role] === REPAIR_ROLE) continue;
            const label = `EXPRESS state machine "${machine.name}" (saga "${saga}")`;
            for (const problem of [...loggingProblems(reading), ...repairProblems(stack, saga), ...durationProblems(reading)]) {
                reportViolation(`${label} must ${problem}`, machine.urn);
            }
        }
    },
};

/** Level ALL with the execution data, to a log group: the only account of what an execution did. */
function loggingProblems({ resource }: MachineReading): string[] {
    const logging = obj(resource.props.loggingConfiguration);
    if (resource.props.loggingConfiguration === UNKNOWN) return [];
    const why = "an EXPRESS execution has no history in Step Functions, so its log is the only account of which states it ran and why it ended";
    if (logging?.level !== "ALL" && logging?.level !== UNKNOWN) {
        return [`log every event: loggingConfiguration.level is ${logging?.level === undefined ? "unset (OFF)" : `"${String(logging.level)}"`}, and ${why}. Set it to "ALL".`];
    }
    const problems: string[] = [];
    if (logging.includeExecutionData !== true && logging.includeExecutionData !== UNKNOWN) problems.push(`log the execution data: set loggingConfiguration.includeExecutionData to true (${why}, with which saga and input).`);
    if (logging.logDestination === undefined) problems.push('name where its log goes: set loggingConfiguration.logDestination to "<log group ARN>:*".');
    return problems;
}

/** An enabled schedule rule whose target is this saga's sweep Lambda. */
function repairProblems(stack: StackIndex, saga: string): string[] {
    const rules = readRules(stack);
    const sweeps = stack.lambdas.filter((lambda) => lambda.saga === saga && lambda.role === SWEEP_ROLE);
    const scheduled = rules.filter((rule) => rule.enabled && typeof str(rule.resource.props.scheduleExpression) === "string");
    if (rules.some((rule) => rule.targets.includes(UNKNOWN) || rule.resource.props.scheduleExpression === UNKNOWN)) return [];
    const found = scheduled.some((rule) => rule.targets.some((target) => sweeps.some((sweep) => stack.lambdaFor(target as string) === sweep)));
    if (found) return [];
    const what =
        sweeps.length === 0
            ? `the stack has no Lambda tagged ${Tags.saga}=${saga} and ${Tags.role}=${SWEEP_ROLE}`
            : `no enabled EventBridge rule with a scheduleExpression targets its sweep Lambda ${sweeps.map((s) => `"${s.resource.name}"`).join(", ")}`;
    return [
        `have a repair path that needs no status-change event (EXPRESS sends none): ${what}, so a saga whose execution timed out, failed on its own or never started is never compensated. ` +
            "Run a sweep of the saga's open records on a schedule (SagaComponent's EXPRESS sweep: rate(1 minute)) that hands them to the repair.",
    ];
}

/** The worst case of the longest path within 5 minutes. */
function durationProblems({ asl }: MachineReading): string[] {
    if (!isKnown(asl)) return [];
    const worst = worstCaseDuration(asl);
    if (worst.seconds <= EXPRESS_MAX_SECONDS) return [];
    const seconds = Number.isFinite(worst.seconds) ? `${worst.seconds} seconds` : "unbounded (a loop, or a Wait without fixed Seconds)";
    return [
        `fit its worst case in the ${EXPRESS_MAX_SECONDS} seconds an EXPRESS execution may last, or a saga can be cut off mid-compensation: every task timing out on every attempt, with every retry's wait, ` +
            `takes ${seconds} on its longest path (${worst.path.map((s) => `"${s}"`).join(" -> ")}). Lower the tasks' TimeoutSeconds or their retries (a Task without TimeoutSeconds may run 99999999 seconds).`,
    ];
}
