// The saga's single table: every record of a saga lives under one partition key (`pk`), so one
// Query returns the whole saga and no action ever needs a Scan.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChildContext } from "./naming";
import { sagaNames } from "./model/names";

/** The table the saga's actions use: created here, or shared by the caller. */
export interface SagaTable {
    name: pulumi.Output<string>;
    arn: pulumi.Output<string>;
}

/**
 * The table a saga needs: keys `pk` and `sk` (strings), billed per request, recoverable and
 * encrypted. Exported so a program that shares its own table with a saga (`table`) creates the
 * same one.
 */
export function sagaTableArgs(tags?: pulumi.Input<Record<string, pulumi.Input<string>>>): aws.dynamodb.TableArgs {
    return {
        attributes: [
            { name: "pk", type: "S" },
            { name: "sk", type: "S" },
        ],
        hashKey: "pk",
        rangeKey: "sk",
        // Sagas arrive in bursts and idle in between: pay per request, no capacity to plan.
        billingMode: "PAY_PER_REQUEST",
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        tags,
    };
}

export function createTable(ctx: ChildContext): aws.dynamodb.Table {
    return new aws.dynamodb.Table(sagaNames(ctx.saga).table, sagaTableArgs(ctx.tags()), { parent: ctx.parent });
}
