// Operational basics: logs do not pile up (and bill) forever.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { UNKNOWN, plainProps } from "../analysis/values";

export const logGroupRetention: ResourceValidationPolicy = {
    name: "log-group-retention",
    description: "Checks whether a CloudWatch log group has a retention period, so its logs are not kept (and billed) forever.",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.cloudwatch.LogGroup, (_group, args, reportViolation) => {
        const retention = plainProps(args.props).retentionInDays;
        if (retention === UNKNOWN) return;
        if (typeof retention !== "number" || retention <= 0) {
            reportViolation(`Log group "${args.name}" must have a retention period: set retentionInDays (e.g. 14); without it the logs never expire.`);
        }
    }),
};
