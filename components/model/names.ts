// Names of a saga's children, in one place. Pure: the validation checks AWS name limits with them.
//
// A child's name is part of its URN: renaming one makes Pulumi replace the resource (a new table
// starts empty, a new API has a new URL, a new queue loses its failure records). So names derive
// only from the component name and the step names, never from list positions or option values,
// and a rename must come with an `aliases` entry.
import { ActionRole, REPAIR_OUTCOME_ROLE, REPAIR_START_ROLE, START_ROLE, STATUS_ROLE, SWEEP_ROLE } from "./conventions";
import { SagaStep } from "./args";
import { actionsOf } from "./steps";

/** Pulumi auto-naming appends "-" and 7 random characters to a resource's name. */
export const AUTONAME_SUFFIX_LENGTH = 8;

/** The names of a saga's children, derived from the component name. */
export function sagaNames(saga: string) {
    return {
        /** Step names are unique ignoring case (validateSteps), so lower-casing keeps them apart. */
        action: (step: string, role: ActionRole) => `${saga}-${step.toLowerCase()}-${role}`,
        start: `${saga}-${START_ROLE}`,
        status: `${saga}-${STATUS_ROLE}`,
        stateMachine: `${saga}-machine`,
        table: `${saga}-table`,
        failureQueue: `${saga}-compensation-failures`,
        api: `${saga}-api`,
        apiThrottle: `${saga}-api-throttle`,
        // The repair (components/repair.ts).
        needsAttentionQueue: `${saga}-needs-attention`,
        needsAttentionAlarm: `${saga}-needs-attention-alarm`,
        needsAttentionQueuePolicy: `${saga}-needs-attention-access`,
        repairMachine: `${saga}-repair-machine`,
        repairStart: `${saga}-${REPAIR_START_ROLE}`,
        repairStartAsync: `${saga}-${REPAIR_START_ROLE}-async`,
        repairOutcome: `${saga}-${REPAIR_OUTCOME_ROLE}`,
        statusChangeRule: `${saga}-status-changes`,
        statusChangeTarget: `${saga}-status-changes-target`,
        statusChangePermission: `${saga}-status-changes-invoke`,
        repairFailureRule: `${saga}-repair-failures`,
        repairFailureTarget: `${saga}-repair-failures-target`,
        // The sweep of open EXPRESS sagas (components/sweep.ts). Shorter than the names above, so
        // the component name's limit stays theirs.
        sweep: `${saga}-${SWEEP_ROLE}`,
        sweepRule: `${saga}-${SWEEP_ROLE}-schedule`,
        sweepTarget: `${saga}-${SWEEP_ROLE}-schedule-target`,
        sweepPermission: `${saga}-${SWEEP_ROLE}-schedule-invoke`,
    };
}

/** The names of the role, policy and log group that belong to one function or state machine. */
export function ownedNames(owner: string) {
    return { role: `${owner}-role`, policy: `${owner}-policy`, logs: `${owner}-logs` };
}

/** A physical name AWS limits, as Pulumi will derive it (before its random suffix). */
export interface LimitedName {
    what: string;
    name: string;
    limit: number;
}

/** Every child whose auto-generated physical name AWS limits in length (`withStatus`: the status Lambda exists). */
export function limitedNames(saga: string, steps: SagaStep[], withStatus = false): LimitedName[] {
    const names = sagaNames(saga);
    const owned = (what: string, owner: string, limit: number): LimitedName[] => [
        { what, name: owner, limit },
        { what: `the IAM role of ${what}`, name: ownedNames(owner).role, limit: 64 },
    ];
    return [
        ...steps.flatMap((step) =>
            // An existing function (`functionArn`) keeps its own name.
            actionsOf(step).flatMap(({ role, action }) => action.functionArn !== undefined ? [] :
                owned(`the Lambda of step "${step.name}" \`${role}\``, names.action(step.name, role), 64),
            ),
        ),
        ...owned("the start Lambda", names.start, 64),
        ...(withStatus ? owned("the status Lambda", names.status, 64) : []),
        ...owned("the state machine", names.stateMachine, 80),
        { what: "the failure queue", name: names.failureQueue, limit: 80 },
        ...owned("the repair machine", names.repairMachine, 80),
        ...owned("the Lambda that starts repairs", names.repairStart, 64),
        ...owned("the Lambda that records repair outcomes", names.repairOutcome, 64),
        { what: "the needs-attention queue", name: names.needsAttentionQueue, limit: 80 },
        { what: "the EventBridge rule on the machine's status changes", name: names.statusChangeRule, limit: 64 },
        { what: "the EventBridge rule on the repair machine's failures", name: names.repairFailureRule, limit: 64 },
    ];
}

