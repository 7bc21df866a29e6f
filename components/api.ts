// The REST API of a saga. GET and POST on any path start a saga (the original's requests keep
// working), except under the status route's first segment, where GET on the status route reports
// one. API Gateway answers every other request itself, with MOCK integrations that run no Lambda:
// 405 with `Allow` for another method, 404 for another path under the status route's first
// segment, and the browser's CORS preflight when `cors` is set. The local cloud serves the same
// swagger (local/apigateway), so both answer from this one definition.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { SagaCorsOptions } from "./model/args";
import { Env } from "./model/conventions";
import { sagaNames } from "./model/names";
import { ApiSettings } from "./prepare";
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

/** The paths that start a saga: the root and every path below it the status route does not claim. */
export const API_PATHS = ["/", "/{proxy+}"] as const;
/** The methods that start a saga; every other one gets 405. */
export const START_METHODS = ["GET", "POST"] as const;
/** The request headers a browser may send in a cross-origin request: those of a SigV4-signed request. */
export const CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] as const;
/** How long a browser may reuse a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/** What answers a route: a function, or API Gateway itself (a MOCK integration). */
export type RouteTarget =
    | { kind: "start" }
    | { kind: "status" }
    /** 405 with `Allow`: the resource answers only these methods. */
    | { kind: "methodNotAllowed"; allow: string[] }
    /** 404: a path under the status route's first segment that is not the status route. */
    | { kind: "notFound"; statusPath: string }
    /** 204 with the CORS headers: the browser may send these methods. */
    | { kind: "preflight"; allow: string[] };

export interface PlannedRoute {
    path: string;
    /** An HTTP method, or ANY: every method the resource does not name itself. */
    method: "GET" | "POST" | "OPTIONS" | "ANY";
    target: RouteTarget;
}

/**
 * Every route of the API. API Gateway picks, among the resources whose path matches a request,
 * the most specific one with a method for it (its own, else ANY), so each resource that answers
 * some methods has an ANY answering 405, and the status route's first segment gets resources that
 * answer 404 at every depth. A resource may not have two variable children (`{id}` beside
 * `{proxy+}`: AWS refuses the API), so a catch-all goes only where the status path continues
 * with a fixed segment, and below the status route. Pure.
 */
export function planRoutes(statusPath: string | undefined, cors: boolean): PlannedRoute[] {
    const answering = (path: string, methods: { method: "GET" | "POST"; target: RouteTarget }[]): PlannedRoute[] => {
        const allow = [...methods.map((m) => m.method), ...(cors ? ["OPTIONS"] : [])];
        return [
            ...methods.map(({ method, target }) => ({ path, method, target })),
            ...(cors ? [{ path, method: "OPTIONS" as const, target: { kind: "preflight" as const, allow } }] : []),
            { path, method: "ANY", target: { kind: "methodNotAllowed", allow } },
        ];
    };
    const routes = API_PATHS.flatMap((path) => answering(path, START_METHODS.map((method) => ({ method, target: { kind: "start" as const } }))));
    if (statusPath === undefined) return routes;
    const notFound = (path: string): PlannedRoute => ({ path, method: "ANY", target: { kind: "notFound", statusPath } });
    const segments = statusPath.split("/").filter((segment) => segment !== "");
    const isParameter = (segment: string) => segment.startsWith("{");
    for (let depth = 1; depth < segments.length; depth++) {
        const prefix = `/${segments.slice(0, depth).join("/")}`;
        routes.push(notFound(prefix));
        if (!isParameter(segments[depth])) routes.push(notFound(`${prefix}/{proxy+}`));
    }
    routes.push(...answering(statusPath, [{ method: "GET", target: { kind: "status" } }]), notFound(`${statusPath}/{proxy+}`));
    return routes;
}

/**
 * What the API's functions must know that their routes do not tell them: the status path, for the
 * start function (a case variant such as /TRIPS/42 reaches it through /{proxy+}); the CORS origin
 * their responses allow, for both. Checks `cors`, reporting a mistake against the component.
 */
export function apiEnvironment(
    ctx: ChildContext,
    statusPath: string | undefined,
    cors: SagaCorsOptions | undefined,
): { start: Record<string, string>; status: Record<string, string> } {
    const origin: Record<string, string> = cors !== undefined ? { [Env.corsAllowOrigin]: checkedOrigin(ctx, cors) } : {};
    const path: Record<string, string> = statusPath !== undefined ? { [Env.statusPath]: statusPath } : {};
    return { start: { ...path, ...origin }, status: origin };
}

const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$/;

function checkedOrigin(ctx: ChildContext, cors: SagaCorsOptions): string {
    const origin = (cors as Partial<SagaCorsOptions> | null)?.allowOrigin;
    if (typeof origin !== "string" || (origin !== "*" && !ORIGIN.test(origin))) {
        throw new pulumi.ResourceError(
            "`api.cors.allowOrigin` must be one origin as a browser sends it: scheme, host and optional port, lower case, " +
                `without a path or a trailing '/', e.g. "https://app.example.com"; or "*" for any origin. Got ${JSON.stringify(origin) ?? String(origin)}.`,
            ctx.parent,
        );
    }
    return origin;
}

export function createApi(ctx: ChildContext, handlers: ApiHandlers, settings: ApiSettings, cors?: SagaCorsOptions): SagaApi {
    const names = sagaNames(ctx.saga);
    const { start, status } = handlers;
    const iamAuthEnabled = settings.iamAuth;
    const allowOrigin = cors ? checkedOrigin(ctx, cors) : undefined;
    const routes = planRoutes(status?.path, allowOrigin !== undefined).map((route): awsx.classic.apigateway.Route => {
        const { path, method, target } = route;
        switch (target.kind) {
            case "start":
                return { path, method, eventHandler: start, iamAuthEnabled };
            case "status":
                return { path, method, eventHandler: status!.handler, iamAuthEnabled };
            default:
                return { path, method, data: mockOperation(mockAnswer(target, allowOrigin), target.kind === "preflight" ? false : iamAuthEnabled) };
        }
    });
    const api = new awsx.classic.apigateway.API(
        names.api,
        {
            routes,
            stageName: settings.stageName,
            ...(allowOrigin !== undefined ? { gatewayResponses: corsGatewayResponses(allowOrigin) } : {}),
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

interface MockAnswer {
    statusCode: number;
    headers: Record<string, string>;
    /** A JSON body; none for a preflight. */
    body?: Record<string, unknown>;
}

/** The answer API Gateway gives itself on a route that runs no function. */
function mockAnswer(target: Exclude<RouteTarget, { kind: "start" | "status" }>, allowOrigin: string | undefined): MockAnswer {
    const origin: Record<string, string> = allowOrigin !== undefined ? { "Access-Control-Allow-Origin": allowOrigin } : {};
    switch (target.kind) {
        case "methodNotAllowed": {
            const starts = target.allow.includes("POST");
            return {
                statusCode: 405,
                headers: { Allow: target.allow.join(", "), ...origin },
                body: {
                    message: starts
                        ? `Method not allowed: only ${START_METHODS.join(" and ")} start a saga (Allow: ${target.allow.join(", ")}).`
                        : `Method not allowed: only GET reports a saga here (Allow: ${target.allow.join(", ")}).`,
                },
            };
        }
        case "notFound":
            return {
                statusCode: 404,
                headers: origin,
                body: {
                    message:
                        `Not found. Paths under /${target.statusPath.split("/")[1]} belong to the status route, GET ${target.statusPath}; ` +
                        "no request under it starts a saga.",
                },
            };
        case "preflight":
            return {
                statusCode: 204,
                headers: {
                    ...origin,
                    "Access-Control-Allow-Methods": target.allow.join(", "),
                    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS.join(", "),
                    "Access-Control-Max-Age": String(CORS_MAX_AGE_SECONDS),
                },
            };
    }
}

/**
 * The content types a MOCK integration has a request template for: JSON (also a request without a
 * Content-Type) and the types a browser's form or plain request may send. A body of any other type
 * is passed through, and API Gateway answers 500 (the mock finds no status code in it).
 */
export const MOCK_CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"] as const;

/**
 * The OpenAPI operation of a MOCK integration that always gives `answer`. The method response
 * declares each header (API Gateway refuses a mapping to an undeclared one). The API declares
 * every media type binary (awsx), so the request and the response are converted to text: without
 * it a MOCK integration fails with 500.
 */
export function mockOperation(answer: MockAnswer, iamAuth: boolean): Record<string, unknown> {
    const statusCode = String(answer.statusCode);
    const headerNames = Object.keys(answer.headers);
    return {
        responses: {
            [statusCode]: {
                description: answer.body ? String(answer.body.message) : "CORS preflight",
                ...(headerNames.length > 0 ? { headers: Object.fromEntries(headerNames.map((name) => [name, { type: "string" }])) } : {}),
            },
        },
        "x-amazon-apigateway-integration": {
            type: "mock",
            requestTemplates: Object.fromEntries(MOCK_CONTENT_TYPES.map((type) => [type, JSON.stringify({ statusCode: answer.statusCode })])),
            passthroughBehavior: "when_no_match",
            contentHandling: "CONVERT_TO_TEXT",
            responses: {
                default: {
                    statusCode,
                    ...(headerNames.length > 0
                        ? { responseParameters: Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [`method.response.header.${name}`, `'${value}'`])) }
                        : {}),
                    ...(answer.body ? { responseTemplates: { "application/json": JSON.stringify(answer.body) } } : {}),
                    contentHandling: "CONVERT_TO_TEXT",
                },
            },
        },
        ...(iamAuth ? { "x-amazon-apigateway-auth": { type: "AWS_IAM" } } : {}),
    };
}

/**
 * API Gateway's own error answers (an unsigned request, throttling, an integration failure) with
 * the CORS origin, so a page can read them. Missing authentication and access denied stay 404, as
 * awsx declares them when not given; the defaults keep their status code (none is given) and API
 * Gateway's own body.
 */
function corsGatewayResponses(allowOrigin: string): Record<string, awsx.classic.apigateway.SwaggerGatewayResponse> {
    const responseParameters = { "gatewayresponse.header.Access-Control-Allow-Origin": `'${allowOrigin}'` };
    const notFound = { statusCode: 404, responseTemplates: { "application/json": '{"message": "404 Not found" }' }, responseParameters };
    const unchanged = { responseTemplates: { "application/json": '{"message":$context.error.messageString}' }, responseParameters };
    // awsx's type requires a status code, which would turn every 4XX (or 5XX) into that one.
    const responses: Record<string, Partial<awsx.classic.apigateway.SwaggerGatewayResponse>> = {
        MISSING_AUTHENTICATION_TOKEN: notFound,
        ACCESS_DENIED: notFound,
        DEFAULT_4XX: unchanged,
        DEFAULT_5XX: unchanged,
    };
    return responses as Record<string, awsx.classic.apigateway.SwaggerGatewayResponse>;
}
