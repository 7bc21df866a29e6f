// Operational basics: the saga's records survive a mistake and are encrypted with a KMS key.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { UNKNOWN, obj, plainProps } from "../analysis/values";

export const dynamodbTableProtected: ResourceValidationPolicy = {
    name: "dynamodb-table-recovery-and-encryption",
    description:
        "Checks whether a DynamoDB table has point-in-time recovery and server-side encryption with a KMS key enabled, so saga records can be restored after a bad write and stay encrypted under a key the account controls.",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.dynamodb.Table, (_table, args, reportViolation) => {
        const props = plainProps(args.props);
        const enabled = (setting: unknown) => {
            const value = setting === UNKNOWN ? UNKNOWN : obj(setting)?.enabled;
            return value === UNKNOWN || value === true;
        };
        if (!enabled(props.pointInTimeRecovery)) {
            reportViolation(`DynamoDB table "${args.name}" must have point-in-time recovery: set pointInTimeRecovery.enabled to true.`);
        }
        if (!enabled(props.serverSideEncryption)) {
            reportViolation(`DynamoDB table "${args.name}" must be encrypted with a KMS key: set serverSideEncryption.enabled to true.`);
        }
    }),
};
