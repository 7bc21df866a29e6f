// Every saga step has a compensator: on the Lambdas' tags, and on every saga state machine's
// definition when it is known, where each Task's Comment (or else its Lambda's tags) names its
// step and role.
import { StackValidationPolicy } from "@pulumi/policy";
import { ActionRole, Tags } from "../../components/model/conventions";
import { invokedFunction } from "../../components/model/asl";
import { MachineReading, isKnown, readMachines } from "../analysis/machines";
import { checkCompensationPaths, commentOf, identifyTasks, readSaga } from "../../components/model/saga-reader";
import { LambdaInfo, StackIndex, describeLambda, fromPolicyResources } from "../analysis/stack";
import { NotKnownYet, UNKNOWN } from "../analysis/values";
import { definitionNotKnown } from "./machine";

const FORWARD_ROLES: readonly string[] = ["reserve", "confirm"] satisfies ActionRole[];

export const sagaStepsHaveCompensators: StackValidationPolicy = {
    name: "saga-steps-have-compensators",
    description:
        "Checks whether every saga step has a compensator: each step with a reserve or confirm Lambda has a cancel Lambda (by the saga tags) or a cancel task in its saga's state machine (by the Tasks' Comments), and each saga state machine catches every error of every forward task and then runs the compensators of that step and every earlier one, newest first, before it ends failed.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = new StackIndex(fromPolicyResources(args.resources));
        const machines = readMachines(stack);
        const tags = checkTags(stack, machines);
        for (const { message, urn } of tags.violations) reportViolation(message, urn);

        const unknown: string[] = [];
        for (const { resource: machine, asl, saga } of machines) {
            if (asl === UNKNOWN) {
                unknown.push(machine.name);
                continue;
            }
            if ("error" in asl) {
                if (saga !== undefined) reportViolation(`State machine "${machine.name}" must have a valid definition: its definition ${asl.error}.`, machine.urn);
                continue;
            }
            const reading = readSaga(asl);
            if (saga === undefined) continue;
            const { identify, messages } = identifyTasks(machine.name, asl, saga ?? machine.name, (state) => {
                const fn = invokedFunction(asl.States[state]);
                const lambda = fn === undefined ? undefined : stack.lambdaFor(fn);
                return lambda?.saga === undefined ? undefined : { name: lambda.resource.name, saga: lambda.saga, step: lambda.step, role: lambda.role };
            });
            for (const message of [...messages, ...checkCompensationPaths(machine.name, reading, identify)]) reportViolation(message, machine.urn);
        }
        // After the tag check has reported: the SDK turns this into an advisory, not a failure.
        if (unknown.length > 0) {
            const deferred =
                tags.deferred.length === 0
                    ? ""
                    : `; it found no cancel Lambda for ${tags.deferred.join(", ")}, so ${tags.deferred.length > 1 ? "their compensators" : "its compensator"} can only be a task of the definition (e.g. an existing function, named by its Comment), which is checked with the definition`;
            throw new NotKnownYet(`${definitionNotKnown(unknown)}. The tag-based check did run${deferred}`);
        }
    },
};

/**
 * Every step with a forward Lambda has a cancel Lambda in the same saga, or a cancel task in a
 * known definition of one of the saga's machines (a function the saga did not tag, e.g. an
 * existing one). While a machine of the saga is not known yet, a step without a cancel Lambda is
 * `deferred`: its compensator may be such a task.
 */
function checkTags(stack: StackIndex, machines: MachineReading[]): { violations: { message: string; urn: string }[]; deferred: string[] } {
    const violations: { message: string; urn: string }[] = [];
    const deferred: string[] = [];
    const steps = new Map<string, LambdaInfo[]>();
    for (const lambda of stack.sagaLambdas) {
        if (lambda.role === undefined || !(FORWARD_ROLES.includes(lambda.role) || lambda.role === "cancel")) continue;
        if (lambda.step === undefined) {
            violations.push({
                message: `${capitalize(describeLambda(lambda))} must name its step: tag it with ${Tags.step}, as every ${lambda.role} Lambda of a saga is.`,
                urn: lambda.resource.urn,
            });
            continue;
        }
        const key = JSON.stringify([lambda.saga, lambda.step]);
        steps.set(key, [...(steps.get(key) ?? []), lambda]);
    }
    for (const lambdas of steps.values()) {
        const forward = lambdas.filter((l) => FORWARD_ROLES.includes(l.role as string));
        if (forward.length === 0 || lambdas.some((l) => l.role === "cancel")) continue;
        const [first] = forward;
        const ofSaga = machines.filter((m) => m.saga === first.saga);
        const isCancel = (comment: ReturnType<typeof commentOf>) => comment?.step === first.step && comment?.role === "cancel";
        // A compensation-only machine (a repair) runs cancels too, but is not where the step's failures are compensated.
        const cancelTask = ofSaga.some(
            ({ asl }) => isKnown(asl) && !readSaga(asl).compensationOnly && Object.values(asl.States).some((state) => isCancel(commentOf(state))),
        );
        if (cancelTask) continue;
        if (ofSaga.some((m) => m.asl === UNKNOWN)) {
            deferred.push(`step "${first.step}" of saga "${first.saga}"`);
            continue;
        }
        violations.push({
            message: `Step "${first.step}" of saga "${first.saga}" must have a compensator: its ${first.role} Lambda "${first.resource.name}" has no cancel Lambda beside it (tagged ${Tags.saga}=${first.saga}, ${Tags.step}=${first.step}, ${Tags.role}=cancel). Add a \`cancel\` action to the step that undoes \`${first.role}\`.`,
            urn: first.resource.urn,
        });
    }
    return { violations, deferred };
}

const capitalize = (text: string) => text[0].toUpperCase() + text.slice(1);
