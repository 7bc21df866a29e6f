// Validation and naming of a saga's steps: pure, shared by the component and the definition builder.
import { ACTION_ROLES, ActionRole } from "./conventions";
import { validateAction } from "./actions";
import { RetryPolicy, SagaAction, SagaStep } from "./args";
import { inRange, SagaValidationError } from "./errors";

export { inRange, SagaValidationError };

const STEP_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
export const MAX_STEP_NAME_LENGTH = 24;
// Printable names without the characters Step Functions rejects in names (and that would break logs).
const STATE_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]*$/;
// Leaves room for the suffix of the compensation states run after a failed compensation (80 max).
export const MAX_STATE_NAME_LENGTH = 50;

/** States every saga has; a step's state names must not collide with them. */
export const FixedStates = {
    succeeded: "Succeeded",
    rolledBack: "Rolled Back",
    compensationFailed: "Compensation Failed",
    summarizeFailures: "Summarize Compensation Failures",
} as const;

/** The states an EXPRESS saga's machine has besides FixedStates: each records how the saga ended (definition.ts). */
export const ExpressStates = {
    recordSucceeded: "Record Succeeded",
    recordRolledBack: "Record Rolled Back",
    recordCompensationFailed: "Record Compensation Failed",
} as const;

/** States of the repair machine (components/model/repair.ts); a step's state names must not collide with them either. */
export const RepairStates = {
    recordRepairing: "Record Repairing",
    recordRolledBack: "Record Rolled Back",
    repaired: "Repaired",
    recordNeedsAttention: "Record Needs Attention",
    needsAttention: "Needs Attention",
} as const;

const capitalize = (word: string) => word[0].toUpperCase() + word.slice(1);

/** The state name of a step's action: its own `stateName`, else e.g. `Reserve Hotel`. */
export function stateNameOf(step: SagaStep, role: ActionRole): string {
    const action = step[role];
    if (!action) throw new SagaValidationError(`Step "${step.name}" has no ${role} action.`);
    return action.stateName ?? `${capitalize(role)} ${step.name}`;
}

/** The actions a step defines, in flow order. */
export function actionsOf(step: SagaStep): { role: ActionRole; action: SagaAction }[] {
    return ACTION_ROLES.flatMap((role) => (step[role] ? [{ role, action: step[role] as SagaAction }] : []));
}

/**
 * Checks steps coming from TypeScript and from JavaScript callers alike (types can be cast away)
 * and throws a message that names the step and says what to fix.
 */
export function validateSteps(steps: unknown): asserts steps is SagaStep[] {
    if (!Array.isArray(steps) || steps.length === 0) {
        throw new SagaValidationError("`steps` must be a non-empty list of saga steps.");
    }
    const seenSteps = new Set<string>();
    const seenStates = new Set<string>([...Object.values(FixedStates), ...Object.values(ExpressStates), ...Object.values(RepairStates)]);
    steps.forEach((step: Partial<SagaStep> | undefined, index) => {
        const label = typeof step?.name === "string" ? `Step "${step.name}"` : `Step ${index + 1}`;
        if (typeof step?.name !== "string" || !STEP_NAME.test(step.name) || step.name.length > MAX_STEP_NAME_LENGTH) {
            throw new SagaValidationError(
                `${label} must have a \`name\` of letters and digits, starting with a letter, at most ${MAX_STEP_NAME_LENGTH} characters.`,
            );
        }
        const key = step.name.toLowerCase();
        if (seenSteps.has(key)) {
            throw new SagaValidationError(`${label} is defined twice: step names must be unique (ignoring case).`);
        }
        seenSteps.add(key);
        if (!step.reserve) throw new SagaValidationError(`${label} has no \`reserve\` action: every step needs one.`);
        if (!step.cancel) {
            throw new SagaValidationError(
                `${label} has no \`cancel\` action: every step needs a compensating action that undoes \`reserve\`.`,
            );
        }
        for (const { role, action } of actionsOf(step as SagaStep)) {
            validateAction(`${label} \`${role}\``, action);
            const stateName = stateNameOf(step as SagaStep, role);
            if (!STATE_NAME.test(stateName) || stateName.length > MAX_STATE_NAME_LENGTH) {
                throw new SagaValidationError(
                    `${label} \`${role}\` has an invalid state name "${stateName}": use letters, digits, spaces, '.', '_' or '-', at most ${MAX_STATE_NAME_LENGTH} characters.`,
                );
            }
            if (seenStates.has(stateName)) {
                throw new SagaValidationError(`${label} \`${role}\` reuses the state name "${stateName}": state names must be unique.`);
            }
            seenStates.add(stateName);
        }
    });
}

export function validateRetryPolicy(label: string, policy: RetryPolicy): void {
    if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 0 || policy.maxAttempts > 99_999_999) {
        throw new SagaValidationError(`\`${label}.maxAttempts\` must be a whole number from 0 to 99999999.`);
    }
    if (!Number.isInteger(policy.intervalSeconds) || policy.intervalSeconds < 1) {
        throw new SagaValidationError(`\`${label}.intervalSeconds\` must be a whole number of at least 1.`);
    }
    if (!(policy.backoffRate >= 1)) {
        throw new SagaValidationError(`\`${label}.backoffRate\` must be at least 1.`);
    }
}

