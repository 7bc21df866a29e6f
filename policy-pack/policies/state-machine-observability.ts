// Operational basics: a state machine's failures can be read and traced.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { UNKNOWN, obj, plainProps } from "../analysis/values";

export const stateMachineLoggingAndTracing: ResourceValidationPolicy = {
    name: "state-machine-logging-and-tracing",
    description:
        "Checks whether a Step Functions state machine sends its execution logs to CloudWatch Logs and has X-Ray tracing on, so a failed saga can be diagnosed.",
    enforcementLevel: "advisory",
    validateResource: validateResourceOfType(aws.sfn.StateMachine, (_machine, args, reportViolation) => {
        const props = plainProps(args.props);
        const logging = obj(props.loggingConfiguration);
        const level = logging?.level;
        if (logging === undefined && props.loggingConfiguration !== UNKNOWN) {
            reportViolation(
                `State machine "${args.name}" must send its logs to CloudWatch Logs: set loggingConfiguration with a level ("ERROR" or "ALL"), includeExecutionData and a logDestination ("<log group ARN>:*").`,
            );
        } else if (level === "OFF" || (logging !== undefined && level === undefined)) {
            reportViolation(`State machine "${args.name}" must log at level "ERROR" or "ALL": loggingConfiguration.level is ${level === undefined ? "unset (OFF)" : `"${level}"`}.`);
        } else if (logging !== undefined && logging.logDestination === undefined) {
            reportViolation(`State machine "${args.name}" must name where its logs go: set loggingConfiguration.logDestination to "<log group ARN>:*".`);
        }
        const tracing = obj(props.tracingConfiguration);
        if (props.tracingConfiguration !== UNKNOWN && tracing?.enabled !== UNKNOWN && tracing?.enabled !== true) {
            reportViolation(`State machine "${args.name}" must have X-Ray tracing on: set tracingConfiguration.enabled to true.`);
        }
    }),
};
