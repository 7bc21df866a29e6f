// The Step Functions state machines: the saga's, whose definition comes from the pure builder fed
// with the functions' ARNs and the failure queue's URL once Pulumi knows them, and (createMachine)
// any machine of the saga with its role, policy and log group, such as the repair machine.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SagaDefinitionOptions, SagaStep } from "./model/args";
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
}

/**
 * Logs of the state machine. ERROR, not ALL: a STANDARD execution keeps its full event history
 * in Step Functions for 90 days anyway, while ALL would ship every state transition to
 * CloudWatch and bill it. The errors (a failed action, a failed compensation, the final
 * Saga.* error) are what an operator acts on, and the execution data makes them actionable:
 * which trip, which step. The records hold bookings, not payment details.
 */
export const STATE_MACHINE_LOGGING = { level: "ERROR", includeExecutionData: true } as const;

export interface SagaStateMachine {
    machine: aws.sfn.StateMachine;
    role: aws.iam.Role;
}

export function createStateMachine(ctx: ChildContext, spec: StateMachineSpec): SagaStateMachine {
    const arnsByState = pulumi.all(spec.functionArns);
    const policy = pulumi
        .all([arnsByState.apply((arns) => Object.values(arns)), spec.failureQueue.arn])
        .apply(([arns, queueArn]) => JSON.stringify(stateMachinePolicy(arns, queueArn)));
    const definition = pulumi
        .all([arnsByState, spec.failureQueue.url])
        .apply(([arns, queueUrl]) =>
            JSON.stringify(
                buildSagaDefinition({ steps: spec.steps, functionArns: arns, failureQueueUrl: queueUrl, options: spec.options }),
            ),
        );
    return createMachine(ctx, { name: sagaNames(ctx.saga).stateMachine, definition, policy, logRetentionDays: spec.logRetentionDays });
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
}

/** A STANDARD state machine with its own role and log group, logging errors and tracing. */
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
            // by execution name, which the start handler relies on.
            type: "STANDARD",
            roleArn: access.role.arn,
            definition: spec.definition,
            loggingConfiguration: { ...STATE_MACHINE_LOGGING, logDestination: pulumi.interpolate`${logGroup.arn}:*` },
            tracingConfiguration: { enabled: true },
            tags: ctx.tags(spec.tags),
        },
        // Step Functions checks at creation that the role may deliver the logs.
        { parent: ctx.parent, dependsOn: [access.policy, ...(spec.dependsOn ?? [])] },
    );
    return { machine, role: access.role };
}
