// Compensations retry: one transient error must not leave a step undone.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { checkCompensationRetries } from "../../components/model/saga-reader";
import { plainProps } from "../analysis/values";
import { readMachine } from "./machine";

export interface CompensationRetriesConfig {
    /** Retries after the first attempt, on every error. */
    minimumRetries: number;
}

export const COMPENSATION_RETRIES_DEFAULTS: CompensationRetriesConfig = { minimumRetries: 3 };

export const sagaCompensationsRetry: ResourceValidationPolicy = {
    name: "saga-compensations-retry",
    description:
        "Checks whether every compensation task of a saga state machine retries all errors (States.ALL) at least the configured number of times before the saga gives up on it.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumRetries: {
                type: "integer",
                minimum: 0,
                default: COMPENSATION_RETRIES_DEFAULTS.minimumRetries,
                description: "The fewest retries (MaxAttempts) a compensation may have, on every error.",
            },
        },
    },
    validateResource: validateResourceOfType(aws.sfn.StateMachine, (_machine, args, reportViolation) => {
        const reading = readMachine(args.name, plainProps(args.props));
        if (!reading) return;
        const { minimumRetries } = { ...COMPENSATION_RETRIES_DEFAULTS, ...args.getConfig<Partial<CompensationRetriesConfig>>() };
        for (const message of checkCompensationRetries(args.name, reading, minimumRetries)) reportViolation(message);
    }),
};
