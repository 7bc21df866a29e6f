// ARNs and URIs built the way AWS builds them, so code that derives one from another (an
// execution ARN from a state machine ARN, a function ARN from an API integration URI) works
// unchanged against the local services and under the Pulumi mocks.

/** The account every local resource belongs to (LocalStack's convention: twelve zeros). */
export const LOCAL_ACCOUNT = "000000000000";

export interface ArnContext {
    region: string;
    account: string;
}

export function lambdaArn(ctx: ArnContext, functionName: string): string {
    return `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${functionName}`;
}

/** What API Gateway integrations call: `invokeArn` of a function. */
export function lambdaInvokeArn(ctx: ArnContext, functionName: string): string {
    return `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${lambdaArn(ctx, functionName)}/invocations`;
}

/** The function ARN inside an `aws_proxy` integration URI, or undefined when it is no Lambda URI. */
export function functionArnOfIntegration(uri: string): string | undefined {
    return /:lambda:path\/[^/]+\/functions\/(arn:[^/]+)\/invocations$/.exec(uri)?.[1];
}

export function stateMachineArn(ctx: ArnContext, name: string): string {
    return `arn:aws:states:${ctx.region}:${ctx.account}:stateMachine:${name}`;
}

const MACHINE_ARN = /^(arn:[^:]+:states:[^:]*:[^:]*:)stateMachine:([^:]+)$/;

/** Whether the string is a state machine's ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>). */
export const isStateMachineArn = (arn: string) => MACHINE_ARN.test(arn);

/**
 * The ARN of an execution of a state machine, e.g.
 * `arn:aws:states:eu-west-1:123456789012:execution:booking-machine:trip-42`: the machine's ARN
 * with `execution` for `stateMachine`, plus the execution's name. With the name `*`, the pattern
 * of every execution of that machine and of no other (an IAM resource).
 */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
    const match = MACHINE_ARN.exec(stateMachineArn);
    if (!match) throw new Error(`"${stateMachineArn}" is not the ARN of a state machine (arn:<partition>:states:<region>:<account>:stateMachine:<name>).`);
    return `${match[1]}execution:${match[2]}:${executionName}`;
}

/** arn:aws:states:<region>:<account>:express:<machine name>:<execution name>:<id>: an EXPRESS execution's, as AWS forms it. */
export function expressExecutionArnOf(machineArn: string, executionName: string, id: string): string {
    return `${machineArn.replace(":stateMachine:", ":express:")}:${executionName}:${id}`;
}

/** Whether the ARN names an EXPRESS execution (its resource type is `express`). */
export const isExpressExecutionArn = (arn: string) => /^arn:aws:states:[^:]*:[^:]*:express:/.test(arn);

export function parseExecutionArn(arn: string): { machineArn: string; name: string } | undefined {
    const match = /^(arn:aws:states:[^:]*:[^:]*):execution:([^:]+):([^:]+)$/.exec(arn);
    return match ? { machineArn: `${match[1]}:stateMachine:${match[2]}`, name: match[3] } : undefined;
}

/** A DynamoDB table's ARN (with `/index/<name>` appended, one of its indexes'). */
export function tableArn(ctx: ArnContext, tableName: string): string {
    return `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${tableName}`;
}

/** An SQS queue's ARN. */
export function queueArn(ctx: ArnContext, queueName: string): string {
    return `arn:aws:sqs:${ctx.region}:${ctx.account}:${queueName}`;
}

/** An EventBridge rule's ARN: on the default bus `rule/<name>`, on another bus `rule/<bus>/<name>`. */
export function eventRuleArn(ctx: ArnContext, ruleName: string, bus?: string): string {
    return `arn:aws:events:${ctx.region}:${ctx.account}:rule/${bus ? `${bus}/` : ""}${ruleName}`;
}

/** What API Gateway calls a REST API's `executionArn` (`path`: `<stage>/<method>/<resource path>`, or none). */
export function executeApiArn(ctx: ArnContext, restApiId: string, path?: string): string {
    return `arn:aws:execute-api:${ctx.region}:${ctx.account}:${restApiId}${path === undefined ? "" : `/${path}`}`;
}

/** A REST API's own ARN (the control plane's, with no account). */
export function restApiArn(ctx: ArnContext, restApiId: string): string {
    return `arn:aws:apigateway:${ctx.region}::/restapis/${restApiId}`;
}

/**
 * The ARN of a resource the local cloud acknowledges without provisioning, from its type token
 * (`aws:iam/role:Role` -> service `iam`, kind `role`). Only so that interpolations in the program
 * see a plausible string instead of `undefined`; nothing serves these ARNs.
 */
export function genericArn(ctx: ArnContext, type: string, name: string): string {
    const match = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):/.exec(type);
    const service = match?.[1] ?? "local";
    const kind = (match?.[2] ?? "resource").toLowerCase();
    switch (type) {
        case "aws:iam/role:Role":
            return `arn:aws:iam::${ctx.account}:role/${name}`;
        case "aws:cloudwatch/logGroup:LogGroup":
            return `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}`;
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return `arn:aws:cloudwatch:${ctx.region}:${ctx.account}:alarm:${name}`;
        default:
            return `arn:aws:${service}:${ctx.region}:${ctx.account}:${kind}/${name}`;
    }
}
