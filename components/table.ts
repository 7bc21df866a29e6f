// The saga's single table: every record of a saga lives under one partition key (`pk`), so one
// Query returns the whole saga and no action ever needs a Scan.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { WorkflowType } from "./model/args";
import { OpenSagaIndex } from "./model/conventions";
import { ChildContext } from "./naming";
import { sagaNames } from "./model/names";

/** The table the saga's actions use: created here, or shared by the caller. */
export interface SagaTable {
    name: pulumi.Output<string>;
    arn: pulumi.Output<string>;
}

/**
 * The table a saga needs: keys `pk` and `sk` (strings), billed per request, recoverable and
 * encrypted; for an EXPRESS saga also the sparse index of open sagas the sweep reads. Exported so
 * a program that shares its own table with a saga (`table`) creates the same one.
 */
export function sagaTableArgs(tags?: pulumi.Input<Record<string, pulumi.Input<string>>>, workflowType: WorkflowType = WorkflowType.STANDARD): aws.dynamodb.TableArgs {
    const express = workflowType === WorkflowType.EXPRESS;
    return {
        attributes: [
            { name: "pk", type: "S" },
            { name: "sk", type: "S" },
            ...(express ? [{ name: OpenSagaIndex.shard, type: "S" }, { name: OpenSagaIndex.due, type: "S" }] : []),
        ],
        hashKey: "pk",
        rangeKey: "sk",
        // Only open sagas have these attributes; the sweep needs their keys alone.
        ...(express
            ? { globalSecondaryIndexes: [{ name: OpenSagaIndex.name, hashKey: OpenSagaIndex.shard, rangeKey: OpenSagaIndex.due, projectionType: "KEYS_ONLY" }] }
            : {}),
        // Sagas arrive in bursts and idle in between: pay per request, no capacity to plan.
        billingMode: "PAY_PER_REQUEST",
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        tags,
    };
}

export function createTable(ctx: ChildContext, workflowType: WorkflowType): aws.dynamodb.Table {
    return new aws.dynamodb.Table(sagaNames(ctx.saga).table, sagaTableArgs(ctx.tags(), workflowType), { parent: ctx.parent });
}
