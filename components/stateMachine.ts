// The Step Functions state machines: the saga's, whose definition comes from the pure builder fed
// with the functions' ARNs and the failure queue's URL once Pulumi knows them, and (createMachine)
// any machine of the saga with its role, policy and log group, such as the repair machine.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SagaDefinitionOptions, SagaStep, WorkflowType } from "./model/args";
import { buildSagaDefinition } from "./model/definition";
import { createLogGroup, createServiceRole } from "./functions";
import { stateMachinePolicy } from "./model/iam";
import { ChildContext } from "./naming";
import { ownedNames, sagaNames } from "./model/names";

export interface StateMachineSpec {
    steps: SagaStep[];
    /** The ARN of each action's function (created by the saga or existing), keyed by its state name. */
    functionArns: Record<string, pulumi.Input<string>>;
    failureQueue: aws.sqs.Queue;
    options: SagaDefinitionOptions;
    logRetentionDays: number;
    workflowType: WorkflowType;
    /** Where an EXPRESS machine records the saga's outcome. */
    table: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
}

/**
 * Logs of the state machine. ERROR, not ALL: a STANDARD execution keeps its full event history
 * in Step Functions for 90 days anyway, while ALL would ship every state transition to
 * CloudWatch and bill it. The errors (a failed action, a failed compensation, the final
 * Saga.* error) are what an operator acts on, and the execution data makes them actionable:
 * which trip, which step. The records hold bookings, not payment details.
 */
export const STATE_MACHINE_LOGGING = { level: "ERROR", includeExecutionData: true } as const;

/**
 * Logs of an EXPRESS machine: ALL, with the execution data. An EXPRESS execution has no history in
 * Step Functions; its log is the only account of what it did (the AWS console reads its path and
 * timeline from there), so every event goes there. Billed per GB ingested: docs/express.md.
 */
export const EXPRESS_MACHINE_LOGGING = { level: "ALL", includeExecutionData: true } as const;

export interface SagaStateMachine {
    machine: aws.sfn.StateMachine;
    role: aws.iam.Role;
}

export function createStateMachine(ctx: ChildContext, spec: StateMachineSpec): SagaStateMachine {
    const express = spec.workflowType === WorkflowType.EXPRESS;
    const arnsByState = pulumi.all(spec.functionArns);
    const policy = pulumi
        .all([arnsByState.apply((arns) => Object.values(arns)), spec.failureQueue.arn, spec.table.arn])
        .apply(([arns, queueArn, tableArn]) => JSON.stringify(stateMachinePolicy(arns, queueArn, express ? tableArn : undefined)));
    const definition = pulumi
        .all([arnsByState, spec.failureQueue.url, spec.table.name])
        .apply(([arns, queueUrl, tableName]) =>
            JSON.stringify(
                buildSagaDefinition({
                    steps: spec.steps,
                    functionArns: arns,
                    failureQueueUrl: queueUrl,
                    options: spec.options,
                    ...(express ? { workflowType: spec.workflowType, tableName } : {}),
                }),
            ),
        );
    return createMachine(ctx, { name: sagaNames(ctx.saga).stateMachine, definition, policy, logRetentionDays: spec.logRetentionDays, type: spec.workflowType });
}

export interface MachineSpec {
    /** The child name; the role, policy and log group derive theirs from it. */
    name: string;
    definition: pulumi.Input<string>;
    /** The role's policy document. */
    policy: pulumi.Input<string>;
    logRetentionDays: number;
    /** Tags beyond the saga's own, e.g. the role. */
    tags?: Record<string, string>;
    /** Resources to create first. */
    dependsOn?: pulumi.Resource[];
    /** Default STANDARD. */
    type?: WorkflowType;
}

/** A state machine with its own role and log group, logging (errors; EXPRESS: everything) and tracing. */
export function createMachine(ctx: ChildContext, spec: MachineSpec): SagaStateMachine {
    const { name } = spec;
    // Step Functions delivers logs through a CloudWatch Logs resource policy whose size is
    // limited; names under /aws/vendedlogs/ are covered by one wildcard entry.
    const logGroup = createLogGroup(ctx, ownedNames(name).logs, spec.logRetentionDays, spec.tags, `/aws/vendedlogs/states/${name}-`);
    const access = createServiceRole(ctx, name, "states.amazonaws.com", spec.policy, spec.tags);
    const machine = new aws.sfn.StateMachine(
        name,
        {
            // STANDARD: exactly-once steps, 90 days of history, and StartExecution idempotent
            // by execution name, which the start handler relies on. EXPRESS: the saga's record
            // in the table stands in for all three (docs/express.md).
            type: spec.type ?? WorkflowType.STANDARD,
            roleArn: access.role.arn,
            definition: spec.definition,
            loggingConfiguration: {
                ...(spec.type === WorkflowType.EXPRESS ? EXPRESS_MACHINE_LOGGING : STATE_MACHINE_LOGGING),
                logDestination: pulumi.interpolate`${logGroup.arn}:*`,
            },
            tracingConfiguration: { enabled: true },
            tags: ctx.tags(spec.tags),
        },
        // Step Functions checks at creation that the role may deliver the logs.
        { parent: ctx.parent, dependsOn: [access.policy, ...(spec.dependsOn ?? [])] },
    );
    return { machine, role: access.role };
}
