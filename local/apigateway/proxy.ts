// The Lambda proxy integration of a REST API (payload format 1.0): the event API Gateway builds
// from a request, and the response it builds from what the function returns.
import type { IncomingHttpHeaders } from "node:http";
import type { RouteMatch } from "./routes";

export interface ProxyEvent {
    resource: string;
    path: string;
    httpMethod: string;
    headers: Record<string, string> | null;
    multiValueHeaders: Record<string, string[]> | null;
    queryStringParameters: Record<string, string> | null;
    multiValueQueryStringParameters: Record<string, string[]> | null;
    pathParameters: Record<string, string> | null;
    stageVariables: Record<string, string> | null;
    requestContext: Record<string, unknown>;
    body: string | null;
    isBase64Encoded: boolean;
}

export interface ProxyRequest {
    method: string;
    /** The path below the stage, e.g. `/trips/42`. */
    path: string;
    /** Node's raw header list: name, value, name, value... with the client's spelling. */
    rawHeaders: string[];
    headers: IncomingHttpHeaders;
    query: URLSearchParams;
    body: Buffer;
    sourceIp: string;
}

export interface ProxyContext {
    match: RouteMatch;
    stage: string;
    stageVariables: Record<string, string>;
    restApiId: string;
    accountId: string;
    requestId: string;
    binaryMediaTypes: string[];
}

export interface ProxyResponse {
    statusCode: number;
    headers: Record<string, string | string[]>;
    body: Buffer;
}

const orNull = <T extends object>(value: T) => (Object.keys(value).length > 0 ? value : null);

function multiValues(pairs: Iterable<[string, string]>): { single: Record<string, string>; multi: Record<string, string[]> } {
    // A Map: a header or parameter may be named `constructor` or `__proto__`.
    const multi = new Map<string, string[]>();
    for (const [name, value] of pairs) {
        const values = multi.get(name);
        if (values) values.push(value);
        else multi.set(name, [value]);
    }
    // API Gateway puts the last value of a repeated header or parameter into the single-value map.
    const single = Object.fromEntries([...multi].map(([name, values]) => [name, values[values.length - 1]]));
    return { single, multi: Object.fromEntries(multi) };
}

function headerPairs(rawHeaders: string[]): [string, string][] {
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], rawHeaders[i + 1]]);
    return pairs;
}

/** Whether API Gateway passes this body base64-encoded: its content type is a binary media type. */
function isBinary(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
    const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
    return binaryMediaTypes.some((pattern) => {
        const [family, sub] = pattern.toLowerCase().split("/");
        const [typeFamily, typeSub] = type.split("/");
        return (family === "*" || family === typeFamily) && (sub === "*" || sub === typeSub);
    });
}

export function proxyEvent(request: ProxyRequest, context: ProxyContext): ProxyEvent {
    const headers = multiValues(headerPairs(request.rawHeaders));
    const query = multiValues(request.query.entries());
    const binary = request.body.length > 0 && isBinary(request.headers["content-type"], context.binaryMediaTypes);
    const now = new Date();
    return {
        resource: context.match.resource.path,
        path: request.path,
        httpMethod: request.method,
        headers: orNull(headers.single),
        multiValueHeaders: orNull(headers.multi),
        queryStringParameters: orNull(query.single),
        multiValueQueryStringParameters: orNull(query.multi),
        pathParameters: orNull(context.match.pathParameters),
        stageVariables: orNull(context.stageVariables),
        requestContext: {
            resourcePath: context.match.resource.path,
            httpMethod: request.method,
            path: `/${context.stage}${request.path}`,
            accountId: context.accountId,
            protocol: "HTTP/1.1",
            stage: context.stage,
            requestId: context.requestId,
            extendedRequestId: context.requestId,
            requestTime: now.toUTCString(),
            requestTimeEpoch: now.getTime(),
            identity: { sourceIp: request.sourceIp, userAgent: request.headers["user-agent"] ?? null },
            domainName: request.headers.host ?? null,
            apiId: context.restApiId,
        },
        body: request.body.length === 0 ? null : request.body.toString(binary ? "base64" : "utf8"),
        isBase64Encoded: binary,
    };
}

/** The HTTP response of a function's proxy result, or the reason it is malformed. */
export function proxyResponse(result: unknown): ProxyResponse | { malformed: string } {
    if (typeof result !== "object" || result === null) return { malformed: "the result is not an object" };
    const { statusCode, headers = {}, multiValueHeaders = {}, body, isBase64Encoded } = result as Record<string, unknown>;
    if (!Number.isInteger(statusCode)) return { malformed: "statusCode is not an integer" };
    if (body !== undefined && body !== null && typeof body !== "string") return { malformed: "body is not a string" };
    // A Map: the function may name a header `__proto__`.
    const merged = new Map<string, string | string[]>();
    for (const [name, values] of Object.entries(multiValueHeaders as Record<string, unknown[]>)) merged.set(name, values.map(String));
    for (const [name, value] of Object.entries(headers as Record<string, unknown>)) merged.set(name, String(value));
    const text = (body as string | null | undefined) ?? "";
    return { statusCode: statusCode as number, headers: Object.fromEntries(merged), body: Buffer.from(text, isBase64Encoded === true ? "base64" : "utf8") };
}
