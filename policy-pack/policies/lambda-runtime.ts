// A supported Lambda runtime, for functions in any language: deprecated ones get no security
// patches, and AWS eventually blocks creating and then updating functions that use them.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { UNKNOWN, plainProps } from "../analysis/values";

export interface LambdaRuntimeConfig {
    allowedRuntimes: string[];
}

/** The runtimes Lambda supports and has not scheduled for deprecation, newest last in each language. */
export const LAMBDA_RUNTIME_DEFAULTS: LambdaRuntimeConfig = {
    allowedRuntimes: [
        "nodejs22.x",
        "nodejs24.x",
        "python3.12",
        "python3.13",
        "python3.14",
        "java21",
        "java25",
        "dotnet8",
        "dotnet10",
        "ruby3.4",
        "provided.al2023",
    ],
};

/** The language of a runtime identifier: `nodejs`, `python`, `java`, `provided`... */
const languageOf = (runtime: string) => /^[a-z]+/.exec(runtime)?.[0] ?? runtime;

export const lambdaRuntimeSupported: ResourceValidationPolicy = {
    name: "lambda-runtime-supported",
    description: "Checks whether every Lambda (a saga's or not, in any language) uses one of the allowed, supported runtimes.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRuntimes: {
                type: "array",
                items: { type: "string" },
                minItems: 1,
                default: LAMBDA_RUNTIME_DEFAULTS.allowedRuntimes,
                description: "Lambda runtime identifiers that are allowed, e.g. nodejs22.x, python3.13.",
            },
        },
    },
    validateResource: validateResourceOfType(aws.lambda.Function, (_fn, args, reportViolation) => {
        const props = plainProps(args.props);
        const runtime = props.runtime;
        // Container images carry their own runtime.
        if (runtime === UNKNOWN || props.packageType === "Image") return;
        const { allowedRuntimes } = { ...LAMBDA_RUNTIME_DEFAULTS, ...args.getConfig<Partial<LambdaRuntimeConfig>>() };
        if (typeof runtime === "string" && allowedRuntimes.includes(runtime)) return;
        const given = typeof runtime === "string" ? `"${runtime}"` : "no runtime";
        const sameLanguage = typeof runtime === "string" ? allowedRuntimes.filter((r) => languageOf(r) === languageOf(runtime)) : [];
        const advice = sameLanguage.length > 0 ? `Set runtime to "${sameLanguage.at(-1)}"` : "Set runtime to one of them";
        reportViolation(
            `Lambda "${args.name}" must use a supported runtime: ${given} is not one of ${allowedRuntimes.map((r) => `"${r}"`).join(", ")}. ${advice}.`,
        );
    }),
};
