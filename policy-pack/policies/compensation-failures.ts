// A failed compensation is never silent: it is recorded durably and ends the saga distinctly.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { checkFailedCompensations } from "../../components/model/saga-reader";
import { plainProps } from "../analysis/values";
import { readMachine } from "./machine";

export const sagaCompensationFailuresRecorded: ResourceValidationPolicy = {
    name: "saga-compensation-failures-recorded",
    description:
        "Checks whether a saga state machine catches every compensation that still fails after its retries, records it in a queue (the dead-letter record) and ends in a failed outcome of its own, distinct from a clean rollback.",
    enforcementLevel: "mandatory",
    validateResource: validateResourceOfType(aws.sfn.StateMachine, (_machine, args, reportViolation) => {
        const reading = readMachine(args.name, plainProps(args.props));
        if (!reading) return;
        for (const message of checkFailedCompensations(args.name, reading)) reportViolation(message);
    }),
};
