// The API Gateway side of the handlers behind the API: the parts of a REST (v1) proxy event they
// read, and their JSON responses.

/** The parts of an API Gateway REST (v1) proxy event the handlers read. */
export interface ApiGatewayProxyEvent {
    queryStringParameters?: Record<string, string | undefined> | null;
    pathParameters?: Record<string, string | undefined> | null;
    requestContext?: { requestId?: string };
}

export interface ApiGatewayProxyResult {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
}

export function respond(statusCode: number, body: Record<string, unknown>): ApiGatewayProxyResult {
    return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
