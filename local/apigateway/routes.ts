// The routes of a REST API, read from the OpenAPI (swagger) body the program gives its RestApi
// (awsx generates it), and API Gateway's way of choosing one for a request: among the resources
// whose path matches, the most specific one (a literal segment over `{param}` over `{proxy+}`)
// that has a method for the request, its own or ANY. A resource without one does not stop the
// search: with only GET on /trips/{tripId}, POST /trips/42 falls through to ANY /{proxy+} (which
// is why the saga's API gives each such resource an ANY of its own, components/api.ts).
// That is how API Gateway resolves requests, as measured on AWS (ministack PR #1423, floci issues
// #1547 and #3399); with no method anywhere, the request gets MISSING_AUTHENTICATION_TOKEN. A
// definition AWS refuses to deploy (two variable children of one resource, a mock response mapping
// an undeclared header) is refused here too (InvalidRestApi). Pure.
import { functionArnOfIntegration } from "../../components/model/arns";
import { InvalidRestApi, MockIntegration, MockOperation, parseMock } from "./mock";

const ANY = "x-amazon-apigateway-any-method";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

export interface Integration {
    type: string;
    uri?: string;
    /** The function of an `aws_proxy` Lambda integration. */
    functionArn?: string;
    /** A `mock` integration: API Gateway answers by itself. */
    mock?: MockIntegration;
    /** The method requires SigV4-signed requests (AWS_IAM authorization) from callers allowed `execute-api:Invoke`. */
    iamAuth: boolean;
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

/** A gateway response as the API declares it: without a status code, the error's own. */
export type DeclaredGatewayResponse = Omit<GatewayResponse, "statusCode"> & { statusCode?: number };

export interface RestApiSpec {
    resources: Resource[];
    binaryMediaTypes: string[];
    gatewayResponses: Record<string, DeclaredGatewayResponse>;
}

export interface RouteMatch {
    resource: Resource;
    integration: Integration;
    pathParameters: Record<string, string>;
}

type Operation = MockOperation & {
    "x-amazon-apigateway-integration"?: { type?: string; uri?: string };
    "x-amazon-apigateway-auth"?: { type?: string };
    security?: Record<string, unknown>[];
};

type Swagger = {
    paths?: Record<string, Record<string, Operation>>;
    securityDefinitions?: Record<string, { "x-amazon-apigateway-authtype"?: string }>;
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
            const type = String(integration.type).toLowerCase();
            const functionArn = type === "aws_proxy" && integration.uri ? functionArnOfIntegration(integration.uri) : undefined;
            const mock = type === "mock" ? parseMock(operation, `${method} ${path}`) : undefined;
            const iamAuth = requiresIam(operation, swagger.securityDefinitions ?? {});
            resource.methods.set(method, { type, uri: integration.uri, iamAuth, ...(functionArn ? { functionArn } : {}), ...(mock ? { mock } : {}) });
        }
    }
    checkVariableSiblings([...resources.keys()]);
    const gatewayResponses: Record<string, DeclaredGatewayResponse> = {};
    for (const [type, response] of Object.entries(swagger["x-amazon-apigateway-gateway-responses"] ?? {})) {
        const [contentType, template] = Object.entries(response.responseTemplates ?? {})[0] ?? ["application/json", ""];
        const headers = Object.fromEntries(
            Object.entries(response.responseParameters ?? {})
                .filter(([name]) => name.startsWith("gatewayresponse.header."))
                .map(([name, value]) => [name.slice("gatewayresponse.header.".length), value.replace(/^'|'$/g, "")]),
        );
        gatewayResponses[type] = {
            ...(response.statusCode !== undefined ? { statusCode: Number(response.statusCode) } : {}),
            body: template,
            headers: { "content-type": contentType, ...headers },
        };
    }
    return {
        resources: [...resources.values()],
        binaryMediaTypes: [...binaryMediaTypes, ...(swagger["x-amazon-apigateway-binary-media-types"] ?? [])],
        gatewayResponses,
    };
}

/**
 * Whether a method takes only signed requests: AWS_IAM authorization, declared as API Gateway's
 * extension (`x-amazon-apigateway-auth`, what awsx writes) or as a security scheme of type awsSigv4.
 */
function requiresIam(operation: Operation, schemes: NonNullable<Swagger["securityDefinitions"]>): boolean {
    if (String(operation["x-amazon-apigateway-auth"]?.type ?? "").toUpperCase() === "AWS_IAM") return true;
    const names = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
    return names.some((name) => String(schemes[name]?.["x-amazon-apigateway-authtype"] ?? "").toLowerCase() === "awssigv4");
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

/**
 * The gateway response of a type, or the API's DEFAULT_4XX/DEFAULT_5XX, or API Gateway's default.
 * A declared response without a status code keeps the error's; the one VTL reference API Gateway's
 * own templates use, `$context.error.messageString` (the message, quoted), is filled in.
 */
export function gatewayResponse(
    spec: RestApiSpec,
    type: string,
    fallback: { statusCode: number; message: string; /** ACCESS_DENIED's own body says `Message`. */ messageKey?: "message" | "Message" },
): GatewayResponse {
    const declared = spec.gatewayResponses[type] ?? spec.gatewayResponses[fallback.statusCode >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX"];
    const own = JSON.stringify({ [fallback.messageKey ?? "message"]: fallback.message });
    if (!declared) return { statusCode: fallback.statusCode, body: own, headers: { "content-type": "application/json" } };
    return {
        statusCode: declared.statusCode ?? fallback.statusCode,
        body: declared.body === "" ? own : declared.body.replaceAll("$context.error.messageString", JSON.stringify(fallback.message)),
        headers: declared.headers,
    };
}

/** API Gateway refuses two variable path parts under one resource, e.g. /trips/{tripId} beside /trips/{proxy+}. */
function checkVariableSiblings(paths: string[]): void {
    const variables = new Map<string, string>();
    // Every resource on the way to a declared path exists (API Gateway creates them).
    const all = new Set(paths.flatMap((path) => segmentsOf(path).map((_, i, segments) => `/${segments.slice(0, i + 1).join("/")}`)));
    for (const path of all) {
        const segments = segmentsOf(path);
        const last = segments[segments.length - 1];
        if (!last.startsWith("{")) continue;
        const parent = `/${segments.slice(0, -1).join("/")}`;
        const sibling = variables.get(parent);
        if (sibling !== undefined && sibling !== last) {
            throw new InvalidRestApi(`Unable to create resource at path '${path}': A sibling (${sibling}) of this resource already has a variable path part -- only one is allowed`);
        }
        variables.set(parent, last);
    }
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
