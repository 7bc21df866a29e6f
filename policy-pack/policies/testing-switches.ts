// Operational basics: a saga's testing switches (SagaComponent `testing`) make it fail on purpose;
// they belong on demo and test stacks, not in production.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { Env } from "../../components/model/conventions";
import { obj, plainProps } from "../analysis/values";

/** What each switch, when on, does to the saga; the function's value is shown with it. */
const EFFECTS = {
    [Env.failureInjection]: "a request's run type can make a step fail on purpose",
    [Env.compensationFailureRate]: "its compensations fail at random",
    [Env.chaos]: "its record writes fail or repeat at random",
} as const;

/**
 * The switches a function's environment turns on, as the saga's handlers read them: failure
 * injection when "true", a compensation failure rate other than 0, chaos when set at all.
 * Unknown values (a first preview) count as off.
 */
export function switchesOn(variables: Record<string, unknown>): string[] {
    const text = (name: string) => (typeof variables[name] === "string" ? (variables[name] as string).trim() : "");
    const on: string[] = [];
    if (text(Env.failureInjection) === "true") on.push(Env.failureInjection);
    const rate = text(Env.compensationFailureRate);
    if (rate !== "" && Number(rate) !== 0) on.push(Env.compensationFailureRate);
    if (text(Env.chaos) !== "") on.push(Env.chaos);
    return on;
}

export const sagaTestingSwitchesOff: ResourceValidationPolicy = {
    name: "saga-testing-switches-off",
    description:
        "Checks whether every saga function has the testing switches off (failure injection, a compensation failure rate, chaos), so that neither a request nor a random draw makes the saga fail on purpose.",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.lambda.Function, (_fn, args, reportViolation) => {
        const variables = obj(obj(plainProps(args.props).environment)?.variables) ?? {};
        const on = switchesOn(variables);
        if (on.length === 0) return;
        const found = on.map((name) => `${name} is ${JSON.stringify(variables[name])} (${EFFECTS[name as keyof typeof EFFECTS]})`).join("; ");
        reportViolation(
            `Lambda "${args.name}" must have the saga's testing switches off outside demo and test stacks: ${found}. Leave SagaComponent's \`testing\` unset (all off) on this stack.`,
        );
    }),
};
