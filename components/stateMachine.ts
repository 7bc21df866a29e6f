// The Step Functions state machine: the definition comes from the pure builder, fed with the
// functions' ARNs and the failure queue's URL once Pulumi knows them.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildSagaDefinition, DefinitionOptions } from "./definition";
import { createLogGroup, createServiceRole } from "./functions";
import { stateMachinePolicy } from "./iam";
import { ChildContext, ownedNames, sagaNames } from "./naming";
import { SagaStep } from "./types";

export interface StateMachineSpec {
    steps: SagaStep[];
    /** The step functions, keyed by the state name of their action. */
    functions: Record<string, aws.lambda.Function>;
    failureQueue: aws.sqs.Queue;
    options: Partial<DefinitionOptions>;
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

export function createStateMachine(ctx: ChildContext, spec: StateMachineSpec): aws.sfn.StateMachine {
    const name = sagaNames(ctx.saga).stateMachine;
    // Step Functions delivers logs through a CloudWatch Logs resource policy whose size is
    // limited; names under /aws/vendedlogs/ are covered by one wildcard entry.
    const logGroup = createLogGroup(ctx, ownedNames(name).logs, spec.logRetentionDays, {}, `/aws/vendedlogs/states/${name}-`);
    const functionArns = Object.values(spec.functions).map((fn) => fn.arn);
    const policy = pulumi
        .all([pulumi.all(functionArns), spec.failureQueue.arn])
        .apply(([arns, queueArn]) => JSON.stringify(stateMachinePolicy(arns, queueArn)));
    const access = createServiceRole(ctx, name, "states.amazonaws.com", policy);
    const arnsByState = pulumi.all(
        Object.fromEntries(Object.entries(spec.functions).map(([state, fn]) => [state, fn.arn])),
    );
    const definition = pulumi
        .all([arnsByState, spec.failureQueue.url])
        .apply(([arns, queueUrl]) =>
            JSON.stringify(
                buildSagaDefinition({ steps: spec.steps, functionArns: arns, failureQueueUrl: queueUrl, options: spec.options }),
            ),
        );
    return new aws.sfn.StateMachine(
        name,
        {
            // STANDARD: exactly-once steps, 90 days of history, and StartExecution idempotent
            // by execution name, which the start handler relies on.
            type: "STANDARD",
            roleArn: access.role.arn,
            definition,
            loggingConfiguration: { ...STATE_MACHINE_LOGGING, logDestination: pulumi.interpolate`${logGroup.arn}:*` },
            tracingConfiguration: { enabled: true },
            tags: ctx.tags(),
        },
        // Step Functions checks at creation that the role may deliver the logs.
        { parent: ctx.parent, dependsOn: [access.policy] },
    );
}
