// Where a compensation that failed all its retries is recorded, and the alarm that says so. A
// clean rollback leaves the queue empty; any message means data may have been left behind.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChildContext } from "./naming";
import { sagaNames } from "./model/names";

/** SQS keeps a message at most 14 days: the longest time an operator has to act on a record. */
export const FAILURE_RETENTION_SECONDS = 14 * 24 * 60 * 60;

export interface FailureQueue {
    queue: aws.sqs.Queue;
    alarm: aws.cloudwatch.MetricAlarm;
}

export function createFailureQueue(
    ctx: ChildContext,
    alarmActions: pulumi.Input<pulumi.Input<string>[]> | undefined,
): FailureQueue {
    const names = sagaNames(ctx.saga);
    const queue = new aws.sqs.Queue(
        names.failureQueue,
        { messageRetentionSeconds: FAILURE_RETENTION_SECONDS, sqsManagedSseEnabled: true, tags: ctx.tags() },
        { parent: ctx.parent },
    );
    const alarm = new aws.cloudwatch.MetricAlarm(
        names.failureAlarm,
        {
            alarmDescription:
                `A compensation of saga "${ctx.saga}" still failed after its retries: data may be left behind. ` +
                "Each message in the queue records one failure (saga id, step, error, input).",
            namespace: "AWS/SQS",
            metricName: "ApproximateNumberOfMessagesVisible",
            dimensions: { QueueName: queue.name },
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            // SQS stops publishing metrics of an idle queue: no data means no failure.
            treatMissingData: "notBreaching",
            alarmActions: alarmActions ?? [],
            tags: ctx.tags(),
        },
        { parent: ctx.parent },
    );
    return { queue, alarm };
}
