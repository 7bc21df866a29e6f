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

/** arn:aws:states:<region>:<account>:execution:<machine name>:<execution name>, as AWS forms it. */
export function executionArnOf(machineArn: string, executionName: string): string {
    return `${machineArn.replace(":stateMachine:", ":execution:")}:${executionName}`;
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
