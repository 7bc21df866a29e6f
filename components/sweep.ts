// The convergence of EXPRESS sagas. Step Functions sends no status-change events for EXPRESS
// executions, and a saga can be left open without any execution to report on (its start recorded
// it and died before starting one; a duplicate execution vanished). So a schedule runs a sweep
// every minute (handlers/lib/sweep.ts): it reads the open sagas due by now from the table's sparse
// index, and hands each to the repair machine, which compensates what is left, newest first. A
// saga is due at its deadline (its start plus the machine's TimeoutSeconds), or at once when its
// execution recorded a failed compensation: it is picked up at the latest a minute (the schedule)
// plus one sweep after that.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Env, OpenSagaIndex, SWEEP_ROLE, SWEEP_SCHEDULE, Tags } from "./model/conventions";
import { sweepStatements } from "./model/iam";
import { sagaNames } from "./model/names";
import { PreparedAction } from "./prepare";
import { createFunction, SagaFunction } from "./functions";
import { ChildContext } from "./naming";

export interface SweepSpec {
    action: PreparedAction;
    table: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
    repairMachine: aws.sfn.StateMachine;
    logRetentionDays: number;
}

export interface SagaSweep {
    function: SagaFunction;
    rule: aws.cloudwatch.EventRule;
}

export function createSweep(ctx: ChildContext, spec: SweepSpec): SagaSweep {
    const names = sagaNames(ctx.saga);
    const fn = createFunction(ctx, {
        name: names.sweep,
        action: spec.action,
        environment: { [Env.tableName]: spec.table.name, [Env.stateMachineArn]: spec.repairMachine.arn },
        grants: pulumi
            .all([spec.table.arn, spec.repairMachine.arn])
            .apply(([tableArn, repairArn]) => sweepStatements(tableArn, OpenSagaIndex.name, repairArn)),
        tableArn: spec.table.arn,
        logRetentionDays: spec.logRetentionDays,
        tags: { [Tags.role]: SWEEP_ROLE },
    });
    const rule = new aws.cloudwatch.EventRule(
        names.sweepRule,
        {
            description: `Saga "${ctx.saga}": hand the open EXPRESS sagas past their deadline to the repair`,
            scheduleExpression: SWEEP_SCHEDULE,
            tags: ctx.tags({ [Tags.role]: SWEEP_ROLE }),
        },
        { parent: ctx.parent },
    );
    const permission = new aws.lambda.Permission(
        names.sweepPermission,
        { action: "lambda:InvokeFunction", function: fn.function.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
        { parent: ctx.parent },
    );
    new aws.cloudwatch.EventTarget(names.sweepTarget, { rule: rule.name, arn: fn.function.arn }, { parent: ctx.parent, dependsOn: [permission] });
    return { function: fn, rule };
}
