// Every saga step has a compensator: on the Lambdas' tags, and on every saga state machine's
// definition when it is known.
import { StackValidationPolicy } from "@pulumi/policy";
import { ActionRole, Tags } from "../../components/model/conventions";
import { invokedFunction, parseAsl } from "../analysis/asl";
import { Identify, checkCompensationPaths, readSaga } from "../analysis/saga";
import { LambdaInfo, StackIndex, StackResource, Types, describeLambda, fromPolicyResources } from "../analysis/stack";
import { NotKnownYet, UNKNOWN, tagsOf } from "../analysis/values";
import { definitionNotKnown } from "./machine";

const FORWARD_ROLES: readonly string[] = ["reserve", "confirm"] satisfies ActionRole[];

export const sagaStepsHaveCompensators: StackValidationPolicy = {
    name: "saga-steps-have-compensators",
    description:
        "Checks whether every saga step has a compensator: each step with a reserve or confirm Lambda has a cancel Lambda (by the saga tags), and each saga state machine catches every error of every forward task and then runs the compensators of that step and every earlier one, newest first, before it ends failed.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const stack = new StackIndex(fromPolicyResources(args.resources));
        for (const { message, urn } of checkTags(stack)) reportViolation(message, urn);

        const unknown: string[] = [];
        for (const machine of stack.ofType(Types.stateMachine)) {
            const definition = machine.props.definition;
            if (definition === UNKNOWN || definition === undefined) {
                unknown.push(machine.name);
                continue;
            }
            const asl = parseAsl(definition);
            if ("error" in asl) {
                if (isSagaMachine(stack, machine, [])) {
                    reportViolation(`State machine "${machine.name}" must have a valid definition: its definition ${asl.error}.`, machine.urn);
                }
                continue;
            }
            const invoked = Object.values(asl.States).map(invokedFunction).filter((f): f is string => f !== undefined);
            const reading = readSaga(asl);
            if (!reading.isSaga && !isSagaMachine(stack, machine, invoked)) continue;
            const identify: Identify = (state) => {
                const fn = invokedFunction(asl.States[state]);
                const lambda = fn === undefined ? undefined : stack.lambdaFor(fn);
                return lambda?.saga === undefined ? undefined : { saga: lambda.saga, step: lambda.step, role: lambda.role };
            };
            for (const message of checkCompensationPaths(machine.name, reading, identify)) reportViolation(message, machine.urn);
        }
        // After the tag check has reported: the SDK turns this into an advisory, not a failure.
        if (unknown.length > 0) throw new NotKnownYet(`${definitionNotKnown(unknown)}. The tag-based check did run`);
    },
};

/** Tagged as a saga's, or invoking a saga's Lambdas. */
function isSagaMachine(stack: StackIndex, machine: StackResource, invoked: string[]): boolean {
    return tagsOf(machine.props)[Tags.saga] !== undefined || invoked.some((fn) => stack.lambdaFor(fn)?.saga !== undefined);
}

/** Every step with a forward Lambda has a cancel Lambda in the same saga. */
function checkTags(stack: StackIndex): { message: string; urn: string }[] {
    const violations: { message: string; urn: string }[] = [];
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
        violations.push({
            message: `Step "${first.step}" of saga "${first.saga}" must have a compensator: its ${first.role} Lambda "${first.resource.name}" has no cancel Lambda beside it (tagged ${Tags.saga}=${first.saga}, ${Tags.step}=${first.step}, ${Tags.role}=cancel). Add a \`cancel\` action to the step that undoes \`${first.role}\`.`,
            urn: first.resource.urn,
        });
    }
    return violations;
}

const capitalize = (text: string) => text[0].toUpperCase() + text.slice(1);
