// A supported Node.js runtime: deprecated ones get no security patches, and AWS eventually
// blocks creating and then updating functions that use them.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { Tags } from "../../components/model/conventions";
import { UNKNOWN, plainProps, tagsOf } from "../analysis/values";

export interface LambdaRuntimeConfig {
    allowedRuntimes: string[];
}

export const LAMBDA_RUNTIME_DEFAULTS: LambdaRuntimeConfig = { allowedRuntimes: ["nodejs22.x", "nodejs24.x"] };

export const lambdaNodejsRuntimeSupported: ResourceValidationPolicy = {
    name: "lambda-nodejs-runtime-supported",
    description:
        "Checks whether every Node.js Lambda (and every saga Lambda, whatever its runtime) uses one of the allowed, supported Node.js runtimes.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRuntimes: {
                type: "array",
                items: { type: "string" },
                minItems: 1,
                default: LAMBDA_RUNTIME_DEFAULTS.allowedRuntimes,
                description: "Lambda runtime identifiers that are allowed, e.g. nodejs22.x.",
            },
        },
    },
    validateResource: validateResourceOfType(aws.lambda.Function, (_fn, args, reportViolation) => {
        const props = plainProps(args.props);
        const runtime = props.runtime;
        // Container images carry their own runtime.
        if (runtime === UNKNOWN || props.packageType === "Image") return;
        const isSaga = tagsOf(props)[Tags.saga] !== undefined;
        if (!isSaga && !(typeof runtime === "string" && runtime.startsWith("nodejs"))) return;
        const { allowedRuntimes } = { ...LAMBDA_RUNTIME_DEFAULTS, ...args.getConfig<Partial<LambdaRuntimeConfig>>() };
        if (typeof runtime !== "string" || !allowedRuntimes.includes(runtime)) {
            reportViolation(
                `Lambda "${args.name}" must use a supported Node.js runtime: ${typeof runtime === "string" ? `"${runtime}"` : "no runtime"} is not one of ${allowedRuntimes.map((r) => `"${r}"`).join(", ")}. Set runtime to "${allowedRuntimes.at(-1)}".`,
            );
        }
    }),
};
