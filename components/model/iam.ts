// IAM policy documents of the saga's roles: pure functions of ARNs, so tests and the policy pack
// can check exactly what each role may do. Every grant names its resource; "*" appears only where
// the AWS service accepts nothing narrower (X-Ray and CloudWatch Logs delivery), and as the
// execution name in the ARN pattern of one state machine's executions.
import { executionArnOf } from "./arns";
import { TableAccess } from "./args";

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export const policyDocument = (statements: PolicyStatement[]): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: statements,
});

/** The trust policy of a role a service assumes, e.g. `lambda.amazonaws.com`. */
export function assumeRolePolicy(service: string) {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    };
}

/** Exactly the table actions an action declares, on the saga's table only; none when it declares none. */
export function tableStatements(tableArn: string, access: readonly TableAccess[] = []): PolicyStatement[] {
    if (access.length === 0) return [];
    const actions = [...new Set(access)].sort().map((name) => `dynamodb:${name}`);
    return [{ Sid: "TableAccess", Effect: "Allow", Action: actions, Resource: tableArn }];
}

/** The Sid of an action's own statements is this prefix and its position: ActionGrant1, ActionGrant2, ... */
export const ACTION_GRANT_SID = "ActionGrant";
export const isActionGrantSid = (sid: string) => new RegExp(`^${ACTION_GRANT_SID}[1-9]\\d*$`).test(sid);

/** An action's own statements (`policyStatements`), with their resources known: Allow, as given. */
export function extraStatements(statements: readonly { actions: string[]; resources: string[] }[]): PolicyStatement[] {
    return statements.map((statement, index) => ({
        Sid: `${ACTION_GRANT_SID}${index + 1}`,
        Effect: "Allow",
        Action: [...statement.actions],
        Resource: statement.resources.length === 1 ? statement.resources[0] : [...statement.resources],
    }));
}

/** Writing to the function's own log group (it exists, so no CreateLogGroup). */
export const writeLogsStatement = (logGroupArn: string): PolicyStatement => ({
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${logGroupArn}:*`,
});

// X-Ray has no resource-level permissions: "*" is the only accepted resource.
export const lambdaTracingStatement: PolicyStatement = {
    Sid: "XRayTracing",
    Effect: "Allow",
    Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    Resource: "*",
};

export const startExecutionStatement = (stateMachineArn: string): PolicyStatement => ({
    Sid: "StartSaga",
    Effect: "Allow",
    Action: ["states:StartExecution"],
    Resource: stateMachineArn,
});

/**
 * Reading the status of this machine's executions. DescribeExecution takes an execution ARN, and
 * executions are named at start (by the saga id), so the narrowest resource is the pattern of the
 * machine's own executions: `...:execution:<machine name>:*`.
 */
export const describeExecutionsStatement = (stateMachineArn: string): PolicyStatement => ({
    Sid: "DescribeSagas",
    Effect: "Allow",
    Action: ["states:DescribeExecution"],
    Resource: executionArnOf(stateMachineArn, "*"),
});

/** The policy of a Lambda: its own grants, its log group and X-Ray. */
export function functionPolicy(grants: PolicyStatement[], logGroupArn: string): PolicyDocument {
    return policyDocument([...grants, writeLogsStatement(logGroupArn), lambdaTracingStatement]);
}

// Log delivery is configured through account-level APIs that take no resource ARN.
const deliverLogsStatement: PolicyStatement = {
    Sid: "DeliverLogs",
    Effect: "Allow",
    Action: [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    ],
    Resource: "*",
};

const machineTracingStatement: PolicyStatement = {
    Sid: "XRayTracing",
    Effect: "Allow",
    Action: ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
    Resource: "*",
};

/**
 * The policy of the state machine: invoke exactly the step functions, record failed
 * compensations, deliver its logs and traces; an EXPRESS machine (`outcomeTableArn`) also records
 * the saga's outcome, with UpdateItem only, on the saga's table only.
 */
export function stateMachinePolicy(functionArns: string[], failureQueueArn: string, outcomeTableArn?: string): PolicyDocument {
    return policyDocument([
        { Sid: "InvokeSteps", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [...functionArns].sort() },
        { Sid: "RecordCompensationFailures", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: failureQueueArn },
        ...(outcomeTableArn !== undefined ? [recordOutcomeStatement(outcomeTableArn)] : []),
        deliverLogsStatement,
        machineTracingStatement,
    ]);
}

/** An EXPRESS machine's outcome record: the one update its DynamoDB integration makes. */
export const recordOutcomeStatement = (tableArn: string): PolicyStatement => ({
    Sid: "RecordOutcome",
    Effect: "Allow",
    Action: ["dynamodb:UpdateItem"],
    Resource: tableArn,
});

/**
 * What the sweep of open EXPRESS sagas may do besides its logs: Query the open-saga index, read a
 * saga's record (GetItem) and close it once handed over (UpdateItem), and start the repair machine.
 */
export const sweepStatements = (tableArn: string, indexName: string, repairMachineArn: string): PolicyStatement[] => [
    { Sid: "FindOpenSagas", Effect: "Allow", Action: ["dynamodb:Query"], Resource: `${tableArn}/index/${indexName}` },
    { Sid: "ReadAndCloseSagas", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: tableArn },
    { Sid: "StartRepair", Effect: "Allow", Action: ["states:StartExecution"], Resource: repairMachineArn },
];

/**
 * The policy of the repair machine: invoke exactly the cancel functions (created or existing)
 * and the function that records the saga's outcome, tell the needs-attention queue, deliver its
 * logs and traces.
 */
export function repairMachinePolicy(cancelArns: string[], outcomeFunctionArn: string, needsAttentionQueueArn: string): PolicyDocument {
    return policyDocument([
        { Sid: "InvokeCompensations", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [...cancelArns, outcomeFunctionArn].sort() },
        { Sid: "TellAPerson", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: needsAttentionQueueArn },
        deliverLogsStatement,
        machineTracingStatement,
    ]);
}

/**
 * What the function that starts repairs may do besides its logs: start the repair machine, and
 * send to the needs-attention queue, where Lambda delivers (with the function's role) an event the
 * function failed to act on in all its attempts.
 */
export const repairStartStatements = (repairMachineArn: string, needsAttentionQueueArn: string): PolicyStatement[] => [
    { Sid: "StartRepair", Effect: "Allow", Action: ["states:StartExecution"], Resource: repairMachineArn },
    { Sid: "ReportFailedStarts", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: needsAttentionQueueArn },
];

/**
 * The needs-attention queue's own policy: EventBridge may send to it from the given rules only
 * (the events it could not deliver to the repair, and the repairs that ended unexpectedly).
 */
export function eventDeliveryPolicy(queueArn: string, ruleArns: string[]) {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EventBridgeDelivers",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns].sort() } },
            },
        ],
    };
}
