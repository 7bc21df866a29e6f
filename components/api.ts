// The REST API in front of the start Lambda: any method on any path starts a saga.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { ChildContext, sagaNames } from "./naming";

export interface ApiSettings {
    stageName: pulumi.Input<string>;
    /** Steady-state requests per second, and the burst above it, across the whole stage. */
    rateLimit: pulumi.Input<number>;
    burstLimit: pulumi.Input<number>;
    /** Require SigV4-signed requests (AWS_IAM authorization) instead of a public endpoint. */
    iamAuth: boolean;
}

export interface SagaApi {
    api: awsx.classic.apigateway.API;
    throttle: aws.apigateway.MethodSettings;
}

export const API_PATHS = ["/", "/{proxy+}"] as const;

export function createApi(ctx: ChildContext, start: aws.lambda.Function, settings: ApiSettings): SagaApi {
    const names = sagaNames(ctx.saga);
    const api = new awsx.classic.apigateway.API(
        names.api,
        {
            routes: API_PATHS.map((path) => ({ path, method: "ANY" as const, eventHandler: start, iamAuthEnabled: settings.iamAuth })),
            stageName: settings.stageName,
            restApiArgs: {
                description: `Starts executions of saga "${ctx.saga}"`,
                tags: ctx.tags(),
            },
            stageArgs: { xrayTracingEnabled: true, tags: ctx.tags() },
        },
        { parent: ctx.parent },
    );
    // Without a limit, one client could start executions (billed per state transition) as fast
    // as the account's API Gateway quota allows.
    const throttle = new aws.apigateway.MethodSettings(
        names.apiThrottle,
        {
            restApi: api.restAPI.id,
            stageName: api.stage.stageName,
            methodPath: "*/*",
            settings: {
                throttlingRateLimit: settings.rateLimit,
                throttlingBurstLimit: settings.burstLimit,
                metricsEnabled: true,
            },
        },
        { parent: ctx.parent },
    );
    return { api, throttle };
}
