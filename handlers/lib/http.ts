// The API Gateway side of the handlers behind the API: the parts of a REST (v1) proxy event they
// read, and their JSON responses.
import { Env } from "../../components/model/conventions";

/** The parts of an API Gateway REST (v1) proxy event the handlers read. */
export interface ApiGatewayProxyEvent {
    httpMethod?: string;
    /** The request path below the stage (behind a custom domain, with its base path). */
    path?: string;
    /** The request's headers, with the client's spelling of their names (the last value of a repeated one). */
    headers?: Record<string, string | undefined> | null;
    queryStringParameters?: Record<string, string | undefined> | null;
    /** Every value of each query parameter; the single-value map holds only the last one. */
    multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
    pathParameters?: Record<string, string | undefined> | null;
    body?: string | null;
    isBase64Encoded?: boolean;
    requestContext?: { requestId?: string };
}

export interface ApiGatewayProxyResult {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
}

/** A JSON response; with the CORS origin the component gives the function when the API allows one. */
export function respond(statusCode: number, body: Record<string, unknown>, headers: Record<string, string> = {}): ApiGatewayProxyResult {
    const origin = process.env[Env.corsAllowOrigin];
    return {
        statusCode,
        headers: { "content-type": "application/json", ...(origin ? { "access-control-allow-origin": origin } : {}), ...headers },
        body: JSON.stringify(body),
    };
}

/** Whether a request carries a body: API Gateway passes an empty one as null (or ""). */
export function hasBody(event: ApiGatewayProxyEvent): boolean {
    if (event.body === undefined || event.body === null) return false;
    const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
    return text.trim() !== "";
}
