// The routes of a REST API, read from the OpenAPI (swagger) body the program gives its RestApi
// (awsx generates it), and API Gateway's way of choosing one for a request: among the resources
// whose path matches, the most specific one (a literal segment over `{param}` over `{proxy+}`)
// that has a method for the request, its own or ANY. A resource without one does not stop the
// search: GET /trips/{tripId} answers GET, while POST /trips/42 falls through to ANY /{proxy+}.
// That is how API Gateway resolves requests, as measured on AWS (ministack PR #1423, floci issues
// #1547 and #3399); with no method anywhere, the request gets MISSING_AUTHENTICATION_TOKEN. Pure.
import { functionArnOfIntegration } from "../arns";

const ANY = "x-amazon-apigateway-any-method";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

export interface Integration {
    type: string;
    uri?: string;
    /** The function of an `aws_proxy` Lambda integration. */
    functionArn?: string;
}

export interface Resource {
    /** The resource path, e.g. `/trips/{tripId}`. */
    path: string;
    /** HTTP method (upper case) or `ANY` -> integration. */
    methods: Map<string, Integration>;
}

export interface GatewayResponse {
    statusCode: number;
    body: string;
    headers: Record<string, string>;
}

export interface RestApiSpec {
    resources: Resource[];
    binaryMediaTypes: string[];
    gatewayResponses: Record<string, GatewayResponse>;
}

export interface RouteMatch {
    resource: Resource;
    integration: Integration;
    pathParameters: Record<string, string>;
}

type Swagger = {
    paths?: Record<string, Record<string, { "x-amazon-apigateway-integration"?: { type?: string; uri?: string } }>>;
    "x-amazon-apigateway-binary-media-types"?: string[];
    "x-amazon-apigateway-gateway-responses"?: Record<string, { statusCode?: number | string; responseTemplates?: Record<string, string>; responseParameters?: Record<string, string> }>;
};

export function parseRestApiBody(body: string, binaryMediaTypes: string[] = []): RestApiSpec {
    const swagger = JSON.parse(body) as Swagger;
    const resources = new Map<string, Resource>();
    const resourceAt = (path: string) => {
        if (!resources.has(path)) resources.set(path, { path, methods: new Map() });
        return resources.get(path)!;
    };
    for (const [path, operations] of Object.entries(swagger.paths ?? {})) {
        const resource = resourceAt(path);
        for (const [key, operation] of Object.entries(operations)) {
            const method = key === ANY ? "ANY" : METHODS.includes(key) ? key.toUpperCase() : undefined;
            const integration = operation["x-amazon-apigateway-integration"];
            if (!method || !integration) continue;
            const functionArn = integration.type === "aws_proxy" && integration.uri ? functionArnOfIntegration(integration.uri) : undefined;
            resource.methods.set(method, { type: String(integration.type), uri: integration.uri, functionArn });
        }
    }
    const gatewayResponses: Record<string, GatewayResponse> = {};
    for (const [type, response] of Object.entries(swagger["x-amazon-apigateway-gateway-responses"] ?? {})) {
        const [contentType, template] = Object.entries(response.responseTemplates ?? {})[0] ?? ["application/json", ""];
        const headers = Object.fromEntries(
            Object.entries(response.responseParameters ?? {})
                .filter(([name]) => name.startsWith("gatewayresponse.header."))
                .map(([name, value]) => [name.slice("gatewayresponse.header.".length), value.replace(/^'|'$/g, "")]),
        );
        gatewayResponses[type] = { statusCode: Number(response.statusCode ?? 500), body: template, headers: { "content-type": contentType, ...headers } };
    }
    return {
        resources: [...resources.values()],
        binaryMediaTypes: [...binaryMediaTypes, ...(swagger["x-amazon-apigateway-binary-media-types"] ?? [])],
        gatewayResponses,
    };
}

/** The route of a request path (below the stage, e.g. `/trips/42`), or undefined when none serves it. */
export function matchRoute(spec: RestApiSpec, method: string, path: string): RouteMatch | undefined {
    const requested = segmentsOf(path);
    let best: { match: RouteMatch; rank: number[] } | undefined;
    for (const resource of spec.resources) {
        const integration = resource.methods.get(method.toUpperCase()) ?? resource.methods.get("ANY");
        if (!integration) continue;
        const matched = matchPath(segmentsOf(resource.path), requested);
        if (matched && (!best || compareRanks(matched.rank, best.rank) < 0)) {
            best = { match: { resource, integration, pathParameters: matched.pathParameters }, rank: matched.rank };
        }
    }
    return best?.match;
}

/** The gateway response of a type, or API Gateway's default for it. */
export function gatewayResponse(spec: RestApiSpec, type: string, fallback: { statusCode: number; message: string }): GatewayResponse {
    return (
        spec.gatewayResponses[type] ??
        spec.gatewayResponses[fallback.statusCode >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX"] ?? {
            statusCode: fallback.statusCode,
            body: JSON.stringify({ message: fallback.message }),
            headers: { "content-type": "application/json" },
        }
    );
}

function segmentsOf(path: string): string[] {
    return path.split("/").filter((segment) => segment !== "");
}

/** Per segment: 0 literal, 1 `{param}`, 2 `{proxy+}`; lower ranks are more specific. */
function matchPath(template: string[], requested: string[]): { pathParameters: Record<string, string>; rank: number[] } | undefined {
    const pathParameters: Record<string, string> = {};
    const rank: number[] = [];
    for (let i = 0; i < template.length; i++) {
        const segment = template[i];
        const greedy = /^\{(.+)\+\}$/.exec(segment);
        if (greedy) {
            if (i !== template.length - 1 || requested.length <= i) return undefined;
            pathParameters[greedy[1]] = requested.slice(i).map(decode).join("/");
            rank.push(2);
            return { pathParameters, rank };
        }
        if (i >= requested.length) return undefined;
        const param = /^\{(.+)\}$/.exec(segment);
        if (param) {
            pathParameters[param[1]] = decode(requested[i]);
            rank.push(1);
        } else if (segment === requested[i]) {
            rank.push(0);
        } else {
            return undefined;
        }
    }
    return template.length === requested.length ? { pathParameters, rank } : undefined;
}

function compareRanks(a: number[], b: number[]): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return b.length - a.length;
}

function decode(segment: string): string {
    try {
        return decodeURIComponent(segment);
    } catch {
        return segment;
    }
}
