// The repair: every saga converges, late if it must. An EventBridge rule on the saga machine's
// status changes (ABORTED, TIMED_OUT, FAILED with any error but the clean rollback) invokes the
// repair's start function, which starts the repair machine (components/model/repair.ts) named
// after the saga: every compensation again, newest first, each retried up to the horizon. What
// outlasts the horizon goes to the needs-attention queue, whose alarm tells a person. So does
// whatever keeps a repair from running: an event EventBridge cannot deliver (the target's
// dead-letter queue), one the start function fails on in all its attempts (its failure
// destination), and a repair execution that ends unexpectedly (a second rule).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createNeedsAttentionQueue, NeedsAttentionQueue } from "./failureQueue";
import { createFunction, SagaFunction } from "./functions";
import { SagaStep } from "./model/args";
import { Env, REPAIR_OUTCOME_ROLE, REPAIR_ROLE, REPAIR_START_ROLE, SagaErrors, Tags } from "./model/conventions";
import { eventDeliveryPolicy, repairMachinePolicy, repairStartStatements } from "./model/iam";
import { sagaNames } from "./model/names";
import { buildRepairDefinition, statusChangePattern } from "./model/repair";
import { stateNameOf } from "./model/steps";
import { RepairSettings } from "./prepare";
import { ChildContext } from "./naming";
import { createMachine } from "./stateMachine";

/** How long EventBridge keeps trying to deliver a status change to the start function (its maximum). */
export const EVENT_DELIVERY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;
/** Lambda's own retries of an event the start function failed on, before its failure destination. */
export const START_RETRIES = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21_600 } as const;

export interface RepairSpec {
    steps: SagaStep[];
    /** The ARN of each step's cancel (created or existing), keyed by its state name. */
    functionArns: Record<string, pulumi.Input<string>>;
    /** The saga's machine, whose executions are repaired. */
    stateMachine: aws.sfn.StateMachine;
    table: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
    settings: RepairSettings;
    taskTimeoutSeconds: number;
    logRetentionDays: number;
    alarmActions: pulumi.Input<pulumi.Input<string>[]> | undefined;
}

export interface SagaRepair {
    machine: aws.sfn.StateMachine;
    machineRole: aws.iam.Role;
    start: SagaFunction;
    outcome: SagaFunction;
    needsAttention: NeedsAttentionQueue;
    statusChangeRule: aws.cloudwatch.EventRule;
    repairFailureRule: aws.cloudwatch.EventRule;
}

export function createRepair(ctx: ChildContext, spec: RepairSpec): SagaRepair {
    const names = sagaNames(ctx.saga);
    const needsAttention = createNeedsAttentionQueue(ctx, spec.alarmActions);
    const queue = needsAttention.queue;
    const outcome = createFunction(ctx, {
        name: names.repairOutcome,
        action: spec.settings.outcome,
        environment: { [Env.tableName]: spec.table.name },
        tableArn: spec.table.arn,
        logRetentionDays: spec.logRetentionDays,
        tags: { [Tags.role]: REPAIR_OUTCOME_ROLE },
    });
    const repair = createRepairMachine(ctx, spec, outcome.function, queue);
    const start = createFunction(ctx, {
        name: names.repairStart,
        action: spec.settings.start,
        environment: { [Env.stateMachineArn]: repair.machine.arn },
        grants: pulumi.all([repair.machine.arn, queue.arn]).apply(([machineArn, queueArn]) => repairStartStatements(machineArn, queueArn)),
        tableArn: spec.table.arn,
        logRetentionDays: spec.logRetentionDays,
        tags: { [Tags.role]: REPAIR_START_ROLE },
    });
    new aws.lambda.FunctionEventInvokeConfig(
        names.repairStartAsync,
        { functionName: start.function.name, ...START_RETRIES, destinationConfig: { onFailure: { destination: queue.arn } } },
        { parent: ctx.parent },
    );

    const statusChangeRule = statusRule(ctx, names.statusChangeRule, spec.stateMachine, SagaErrors.RolledBack, "a saga's execution ended without a clean rollback: start its repair");
    const repairFailureRule = statusRule(ctx, names.repairFailureRule, repair.machine, SagaErrors.NeedsAttention, "a repair ended unexpectedly: tell a person");
    const access = new aws.sqs.QueuePolicy(
        names.needsAttentionQueuePolicy,
        {
            queueUrl: queue.url,
            policy: pulumi
                .all([queue.arn, statusChangeRule.arn, repairFailureRule.arn])
                .apply(([queueArn, ...ruleArns]) => JSON.stringify(eventDeliveryPolicy(queueArn, ruleArns))),
        },
        { parent: ctx.parent },
    );
    new aws.lambda.Permission(
        names.statusChangePermission,
        { action: "lambda:InvokeFunction", function: start.function.name, principal: "events.amazonaws.com", sourceArn: statusChangeRule.arn },
        { parent: ctx.parent },
    );
    new aws.cloudwatch.EventTarget(
        names.statusChangeTarget,
        { rule: statusChangeRule.name, arn: start.function.arn, deadLetterConfig: { arn: queue.arn }, retryPolicy: EVENT_DELIVERY },
        { parent: ctx.parent, dependsOn: [access] },
    );
    new aws.cloudwatch.EventTarget(names.repairFailureTarget, { rule: repairFailureRule.name, arn: queue.arn }, { parent: ctx.parent, dependsOn: [access] });
    return { machine: repair.machine, machineRole: repair.role, start, outcome, needsAttention, statusChangeRule, repairFailureRule };
}

function createRepairMachine(ctx: ChildContext, spec: RepairSpec, outcome: aws.lambda.Function, queue: aws.sqs.Queue) {
    const cancelArns = pulumi.all(Object.fromEntries(spec.steps.map((step) => [stateNameOf(step, "cancel"), spec.functionArns[stateNameOf(step, "cancel")]])));
    const definition = pulumi.all([cancelArns, outcome.arn, queue.url]).apply(([arns, outcomeArn, queueUrl]) =>
        JSON.stringify(
            buildRepairDefinition({
                steps: spec.steps,
                functionArns: arns as Record<string, string>,
                outcomeFunctionArn: outcomeArn,
                needsAttentionQueueUrl: queueUrl,
                horizonSeconds: spec.settings.horizonSeconds,
                taskTimeoutSeconds: spec.taskTimeoutSeconds,
            }),
        ),
    );
    const policy = pulumi
        .all([cancelArns, outcome.arn, queue.arn])
        .apply(([arns, outcomeArn, queueArn]) => JSON.stringify(repairMachinePolicy(Object.values(arns) as string[], outcomeArn, queueArn)));
    return createMachine(ctx, {
        name: sagaNames(ctx.saga).repairMachine,
        definition,
        policy,
        logRetentionDays: spec.logRetentionDays,
        tags: { [Tags.role]: REPAIR_ROLE },
        // After the saga's machine, which it serves: a program (and a test) reading the stack's
        // machines in order meets the saga's first.
        dependsOn: [spec.stateMachine],
    });
}

/** A rule on the default event bus: the status changes of `machine` that did not end in `cleanError`. */
function statusRule(ctx: ChildContext, name: string, machine: aws.sfn.StateMachine, cleanError: string, what: string): aws.cloudwatch.EventRule {
    return new aws.cloudwatch.EventRule(
        name,
        {
            description: `Saga "${ctx.saga}": ${what}`,
            eventPattern: machine.arn.apply((arn) => JSON.stringify(statusChangePattern(arn, cleanError))),
            tags: ctx.tags(),
        },
        { parent: ctx.parent },
    );
}
