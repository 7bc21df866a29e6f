// The REST API in front of the start Lambda: any method on any path starts a saga, except GET on
// the optional status route, which reports one.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import { sagaNames } from "./model/names";
import { ApiSettings } from "./model/validation";
import { ChildContext } from "./naming";

export interface SagaApi {
    api: awsx.classic.apigateway.API;
    throttle: aws.apigateway.MethodSettings;
}

/** The functions behind the API's routes. */
export interface ApiHandlers {
    start: aws.lambda.Function;
    /** GET on `path` (one path parameter, the saga id) reports a saga. */
    status?: { path: string; handler: aws.lambda.Function };
}

export const API_PATHS = ["/", "/{proxy+}"] as const;

export function createApi(ctx: ChildContext, handlers: ApiHandlers, settings: ApiSettings): SagaApi {
    const names = sagaNames(ctx.saga);
    const { start, status } = handlers;
    const iamAuthEnabled = settings.iamAuth;
    // API Gateway resolves a request on the pair of resource and method: GET on the status path
    // goes to the status function, while any other method there, and every other path, finds no
    // better match than ANY /{proxy+} and starts a saga.
    const routes: awsx.classic.apigateway.EventHandlerRoute[] = [
        ...API_PATHS.map((path) => ({ path, method: "ANY" as const, eventHandler: start, iamAuthEnabled })),
        ...(status ? [{ path: status.path, method: "GET" as const, eventHandler: status.handler, iamAuthEnabled }] : []),
    ];
    const api = new awsx.classic.apigateway.API(
        names.api,
        {
            routes,
            stageName: settings.stageName,
            restApiArgs: {
                description: `Starts ${status ? "and reports " : ""}executions of saga "${ctx.saga}"`,
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
