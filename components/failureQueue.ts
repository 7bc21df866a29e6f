// The saga's two queues. The failure queue records every compensation that failed all its retries
// in the saga's machine: the trail of each failed attempt, which the repair then retries; nobody
// is paged for it. The needs-attention queue receives a saga only once its repair has given up
// (a compensation that still failed past the horizon, or a repair that could not run), and its
// alarm is the one that tells a person.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChildContext } from "./naming";
import { sagaNames } from "./model/names";

/** SQS keeps a message at most 14 days: the longest time an operator has to act on a record. */
export const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export interface NeedsAttentionQueue {
    queue: aws.sqs.Queue;
    alarm: aws.cloudwatch.MetricAlarm;
}

export function createFailureQueue(ctx: ChildContext): aws.sqs.Queue {
    return createQueue(ctx, sagaNames(ctx.saga).failureQueue);
}

export function createNeedsAttentionQueue(ctx: ChildContext, alarmActions: pulumi.Input<pulumi.Input<string>[]> | undefined): NeedsAttentionQueue {
    const names = sagaNames(ctx.saga);
    const queue = createQueue(ctx, names.needsAttentionQueue);
    const alarm = new aws.cloudwatch.MetricAlarm(
        names.needsAttentionAlarm,
        {
            alarmDescription:
                `A saga of "${ctx.saga}" needs a person: a compensation still failed after the repair horizon, or a repair could not run, ` +
                "so data may be left behind. Each message in the queue names one (saga id, step, error, input); see the README.",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: queue.name },
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // SQS stops publishing metrics of an idle queue: no data means nothing to do.
            treatMissingData: "notBreaching",
            alarmActions: alarmActions ?? [],
            tags: ctx.tags(),
        },
        { parent: ctx.parent },
    );
    return { queue, alarm };
}

function createQueue(ctx: ChildContext, name: string): aws.sqs.Queue {
    return new aws.sqs.Queue(
        name,
        { messageRetentionSeconds: FAILURE_RETENTION_SECONDS, sqsManagedSseEnabled: true, tags: ctx.tags() },
        { parent: ctx.parent },
    );
}
