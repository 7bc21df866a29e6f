// The local cloud's API Gateway, without a server: routes read from a swagger body, API
// Gateway's choice of route (cases measured on AWS, see local/apigateway/routes.ts), MOCK
// integrations answered as declared, and the Lambda proxy event and response.
import assert from "node:assert/strict";
import { answerMock, InvalidRestApi, MockIntegration } from "../local/apigateway/mock";
import { proxyEvent, proxyResponse } from "../local/apigateway/proxy";
import { gatewayResponse, matchRoute, parseRestApiBody, RestApiSpec } from "../local/apigateway/routes";

const FN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const integration = (name: string) => ({
    "x-amazon-apigateway-integration": {
        type: "aws_proxy",
        httpMethod: "POST",
        uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${FN(name)}/invocations`,
    },
});
/** A MOCK integration in API Gateway's OpenAPI form: a request template per type, one default response. */
const mock = (statusCode: number, headers: Record<string, string> = {}, body?: string, extra: Record<string, unknown> = {}) => ({
    responses: { [statusCode]: { description: "mock", headers: Object.fromEntries(Object.keys(headers).map((h) => [h, { type: "string" }])) } },
    "x-amazon-apigateway-integration": {
        type: "mock",
        requestTemplates: { "application/json": `{"statusCode": ${statusCode}}`, "text/plain": `{"statusCode": ${statusCode}}` },
        responses: {
            default: {
                statusCode: String(statusCode),
                responseParameters: Object.fromEntries(Object.entries(headers).map(([h, v]) => [`method.response.header.${h}`, `'${v}'`])),
                ...(body !== undefined ? { responseTemplates: { "application/json": body } } : {}),
            },
        },
        ...extra,
    },
});

/** The saga's API as the component declares it (components/api.ts): GET and POST start, every other method 405, the status route's segment 404. */
const SAGA_API = JSON.stringify({
    swagger: "2.0",
    paths: {
        "/": { get: integration("start"), post: integration("start"), "x-amazon-apigateway-any-method": mock(405, { Allow: "GET, POST" }, '{"message":"no"}') },
        "/{proxy+}": { get: integration("start"), post: integration("start"), "x-amazon-apigateway-any-method": mock(405, { Allow: "GET, POST" }, '{"message":"no"}') },
        "/trips": { "x-amazon-apigateway-any-method": mock(404, {}, '{"message":"not found"}') },
        "/trips/{tripId}": { get: integration("status"), "x-amazon-apigateway-any-method": mock(405, { Allow: "GET" }, '{"message":"no"}') },
        "/trips/{tripId}/{proxy+}": { "x-amazon-apigateway-any-method": mock(404, {}, '{"message":"not found"}') },
    },
    "x-amazon-apigateway-binary-media-types": ["*/*"],
    "x-amazon-apigateway-gateway-responses": {
        MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, responseTemplates: { "application/json": '{"message": "404 Not found" }' } },
    },
});

/** Where a request goes: the route's resource, and its function or its mock's status code. */
function served(spec: RestApiSpec, method: string, path: string) {
    const match = matchRoute(spec, method, path);
    if (!match) return undefined;
    const { functionArn, mock: answer } = match.integration;
    const to = functionArn ? functionArn.split(":").pop() : `mock ${answer!.responses[0].statusCode}`;
    return { resource: match.resource.path, to, params: match.pathParameters };
}

const answer = (integration: MockIntegration | undefined, request: Partial<Parameters<typeof answerMock>[1]> = {}) =>
    answerMock(integration!, { body: Buffer.alloc(0), ...request });

describe("the local API Gateway's routing", () => {
    const spec = parseRestApiBody(SAGA_API);

    it("reads each route's function from its integration URI, its mock integrations, and the gateway responses", () => {
        assert.deepEqual(
            spec.resources.map((r) => [r.path, [...r.methods].map(([method, i]) => `${method} ${i.type} ${i.functionArn ?? i.mock?.responses[0].statusCode}`)]),
            [
                ["/", [`GET aws_proxy ${FN("start")}`, `POST aws_proxy ${FN("start")}`, "ANY mock 405"]],
                ["/{proxy+}", [`GET aws_proxy ${FN("start")}`, `POST aws_proxy ${FN("start")}`, "ANY mock 405"]],
                ["/trips", ["ANY mock 404"]],
                ["/trips/{tripId}", [`GET aws_proxy ${FN("status")}`, "ANY mock 405"]],
                ["/trips/{tripId}/{proxy+}", ["ANY mock 404"]],
            ],
        );
        assert.deepEqual(spec.binaryMediaTypes, ["*/*"]);
        assert.equal(spec.gatewayResponses.MISSING_AUTHENTICATION_TOKEN.statusCode, 404);
    });

    const cases: [string, string, ReturnType<typeof served>][] = [
        ["GET", "/", { resource: "/", to: "start", params: {} }],
        ["POST", "/", { resource: "/", to: "start", params: {} }],
        // A resource's own method first, its ANY for every other method.
        ["HEAD", "/", { resource: "/", to: "mock 405", params: {} }],
        ["OPTIONS", "/book", { resource: "/{proxy+}", to: "mock 405", params: { proxy: "book" } }],
        ["TRACE", "/", { resource: "/", to: "mock 405", params: {} }],
        ["GET", "/trips/trip-1", { resource: "/trips/{tripId}", to: "status", params: { tripId: "trip-1" } }],
        // No GET on the most specific resource but an ANY: that answers, the search stops there.
        ["POST", "/trips/trip-1", { resource: "/trips/{tripId}", to: "mock 405", params: { tripId: "trip-1" } }],
        ["GET", "/trips", { resource: "/trips", to: "mock 404", params: {} }],
        ["GET", "/trips/", { resource: "/trips", to: "mock 404", params: {} }],
        ["GET", "/trips/trip-1/more", { resource: "/trips/{tripId}/{proxy+}", to: "mock 404", params: { tripId: "trip-1", proxy: "more" } }],
        // Paths are case-sensitive: only the start function can tell /TRIPS from a booking path.
        ["GET", "/TRIPS/trip-1", { resource: "/{proxy+}", to: "start", params: { proxy: "TRIPS/trip-1" } }],
        ["GET", "/any/where", { resource: "/{proxy+}", to: "start", params: { proxy: "any/where" } }],
        ["GET", "/trips/a%20b", { resource: "/trips/{tripId}", to: "status", params: { tripId: "a b" } }],
    ];
    for (const [method, path, expected] of cases) {
        it(`${method} ${path} goes to ${expected!.resource} (${expected!.to})`, () => assert.deepEqual(served(spec, method, path), expected));
    }

    it("prefers a literal segment over a parameter, and a parameter over a greedy path", () => {
        const tree = parseRestApiBody(
            JSON.stringify({
                paths: {
                    "/{proxy+}": { "x-amazon-apigateway-any-method": integration("proxy") },
                    "/users/{userId}": { get: integration("user") },
                    "/users/me": { patch: integration("me") },
                    "/users/{userId}/{proxy+}": { get: integration("below-user") },
                },
            }),
        );
        assert.equal(served(tree, "PATCH", "/users/me")?.to, "me");
        // /users/me declares no GET: its parameterised sibling serves it (floci #3399, measured on AWS).
        assert.deepEqual(served(tree, "GET", "/users/me"), { resource: "/users/{userId}", to: "user", params: { userId: "me" } });
        assert.equal(served(tree, "GET", "/users/42/a/b")?.to, "below-user");
        assert.equal(served(tree, "DELETE", "/users/42")?.to, "proxy");
    });

    it("finds no route when no resource has a method for the request ({proxy+} never matches the root)", () => {
        const tree = parseRestApiBody(JSON.stringify({ paths: { "/{proxy+}": { get: integration("proxy") } } }));
        assert.equal(matchRoute(tree, "GET", "/"), undefined);
        assert.equal(matchRoute(tree, "POST", "/a"), undefined);
    });

    it("refuses, as AWS does, two variable path parts under one resource, declared or on the way to one", () => {
        const refused = (paths: string[]) => () => parseRestApiBody(JSON.stringify({ paths: Object.fromEntries(paths.map((p) => [p, { get: integration("f") }])) }));
        assert.throws(refused(["/trips/{tripId}", "/trips/{proxy+}"]), (error: Error) => {
            assert.ok(error instanceof InvalidRestApi);
            assert.equal(error.message, "Unable to create resource at path '/trips/{proxy+}': A sibling ({tripId}) of this resource already has a variable path part -- only one is allowed");
            return true;
        });
        assert.throws(refused(["/a/{id}/b", "/a/{key}"]), InvalidRestApi);
        assert.doesNotThrow(refused(["/{proxy+}", "/trips/{tripId}", "/trips/{tripId}/{proxy+}", "/a/b/{id}", "/a/{proxy+}"]));
    });
});

describe("the local API Gateway's MOCK integrations", () => {
    const spec = parseRestApiBody(SAGA_API);
    const any = (path: string) => spec.resources.find((r) => r.path === path)!.methods.get("ANY")!.mock;

    it("answers the declared status code, headers and body, whatever the method, for a request without a body or with a templated type", () => {
        const expected = { statusCode: 405, headers: { "content-type": "application/json", Allow: "GET, POST" }, body: '{"message":"no"}' };
        assert.deepEqual(answer(any("/")), expected);
        assert.deepEqual(answer(any("/"), { contentType: "application/json; charset=utf-8", body: Buffer.from("{}") }), expected);
        assert.deepEqual(answer(any("/"), { contentType: "Text/Plain", body: Buffer.from("hello") }), expected);
        assert.deepEqual(answer(any("/trips")), { statusCode: 404, headers: { "content-type": "application/json" }, body: '{"message":"not found"}' });
    });

    it("passes the body of an untemplated type through, as when_no_match does: it must hold the status code, else API Gateway answers 500", () => {
        assert.deepEqual(answer(any("/"), { contentType: "application/xml", body: Buffer.from("<a/>") }), {
            configurationError: "Execution failed due to configuration error: Unable to parse statusCode. It should be an integer that is defined in the request template.",
        });
        assert.equal((answer(any("/"), { contentType: "application/xml", body: Buffer.from('{"statusCode": 405}') }) as { statusCode: number }).statusCode, 405);
    });

    it("refuses an untemplated type with 415 when the passthrough behavior says so", () => {
        for (const passthroughBehavior of ["NEVER", "WHEN_NO_TEMPLATES"]) {
            const strict = parseRestApiBody(JSON.stringify({ paths: { "/": { get: mock(405, {}, "{}", { passthroughBehavior }) } } }));
            const integration = strict.resources[0].methods.get("GET")!.mock;
            assert.deepEqual(answer(integration, { contentType: "application/xml", body: Buffer.from("<a/>") }), { unsupportedMediaType: true });
            assert.equal((answer(integration) as { statusCode: number }).statusCode, 405);
        }
    });

    it("selects the integration response by its pattern on the status code, and the body by the Accept header", () => {
        const operation = mock(200);
        Object.assign(operation.responses, { 418: { description: "teapot" } });
        Object.assign(operation["x-amazon-apigateway-integration"], {
            requestTemplates: { "application/json": '{"statusCode": 418}' },
            responses: {
                default: { statusCode: "200" },
                "4\\d{2}": { statusCode: "418", responseTemplates: { "application/json": '{"tea":1}', "text/html": "<p>tea</p>" } },
            },
        });
        const integration = parseRestApiBody(JSON.stringify({ paths: { "/": { get: operation } } })).resources[0].methods.get("GET")!.mock;
        assert.deepEqual(answer(integration), { statusCode: 418, headers: { "content-type": "application/json" }, body: '{"tea":1}' });
        assert.deepEqual(answer(integration, { accept: "text/html, */*" }), { statusCode: 418, headers: { "content-type": "text/html" }, body: "<p>tea</p>" });
    });

    it("refuses, as AWS does, a mapping to a header or a status code the method response does not declare", () => {
        const undeclaredHeader = mock(405, { Allow: "GET" });
        delete (undeclaredHeader.responses[405] as { headers?: unknown }).headers;
        assert.throws(() => parseRestApiBody(JSON.stringify({ paths: { "/": { get: undeclaredHeader } } })), /GET \/: the integration response maps method\.response\.header\.Allow, which is not a header/);
        const undeclaredStatus = mock(405);
        undeclaredStatus.responses = {};
        assert.throws(() => parseRestApiBody(JSON.stringify({ paths: { "/": { get: undeclaredStatus } } })), /answers 405, which the method does not declare/);
    });

    it("says which templates it cannot serve: VTL, and headers from anything but a static value", () => {
        const vtl = mock(200, {}, '{"method": "$context.httpMethod"}');
        const integration = parseRestApiBody(JSON.stringify({ paths: { "/": { get: vtl } } })).resources[0].methods.get("GET")!.mock!;
        assert.equal(integration.unsupported, "the local cloud serves static mock integrations only: its application/json response template uses VTL");
        const mapped = mock(200, { "X-Id": "x" });
        mapped["x-amazon-apigateway-integration"].responses.default.responseParameters = { "method.response.header.X-Id": "context.requestId" };
        const fromContext = parseRestApiBody(JSON.stringify({ paths: { "/": { get: mapped } } })).resources[0].methods.get("GET")!.mock!;
        assert.equal(fromContext.unsupported, "the local cloud serves static mock integrations only: the header X-Id comes from context.requestId");
    });

    it("fills API Gateway's own responses: a declared default without a status code keeps the error's, with its message", () => {
        const withDefaults = parseRestApiBody(
            JSON.stringify({
                paths: {},
                "x-amazon-apigateway-gateway-responses": {
                    DEFAULT_5XX: {
                        responseTemplates: { "application/json": '{"message":$context.error.messageString}' },
                        responseParameters: { "gatewayresponse.header.Access-Control-Allow-Origin": "'https://app.example.com'" },
                    },
                },
            }),
        );
        assert.deepEqual(gatewayResponse(withDefaults, "DEFAULT_5XX", { statusCode: 502, message: "Internal server error" }), {
            statusCode: 502,
            body: '{"message":"Internal server error"}',
            headers: { "content-type": "application/json", "Access-Control-Allow-Origin": "https://app.example.com" },
        });
        assert.equal(gatewayResponse(withDefaults, "UNSUPPORTED_MEDIA_TYPE", { statusCode: 415, message: "Unsupported Media Type" }).statusCode, 415);
    });
});

describe("the local Lambda proxy integration", () => {
    const spec = parseRestApiBody(SAGA_API);
    const request = (overrides: Partial<Parameters<typeof proxyEvent>[0]> = {}) => ({
        method: "GET",
        path: "/trips/trip-1",
        rawHeaders: ["Host", "127.0.0.1:3000", "X-Tag", "a", "X-Tag", "b"],
        headers: { host: "127.0.0.1:3000" },
        query: new URLSearchParams("tripID=t1&runType=x&runType=failPayment"),
        body: Buffer.alloc(0),
        sourceIp: "127.0.0.1",
        ...overrides,
    });
    const context = (path = "/trips/trip-1", method = "GET") => ({
        match: matchRoute(spec, method, path)!,
        stage: "v1",
        stageVariables: {},
        restApiId: "abc123",
        accountId: "000000000000",
        requestId: "req-1",
        binaryMediaTypes: spec.binaryMediaTypes,
    });

    it("builds a REST v1 proxy event: resource, path, last value of repeated parameters, stage and request id", () => {
        const event = proxyEvent(request(), context());
        assert.equal(event.resource, "/trips/{tripId}");
        assert.equal(event.path, "/trips/trip-1");
        assert.equal(event.httpMethod, "GET");
        assert.deepEqual(event.pathParameters, { tripId: "trip-1" });
        assert.deepEqual(event.queryStringParameters, { tripID: "t1", runType: "failPayment" });
        assert.deepEqual(event.multiValueQueryStringParameters, { tripID: ["t1"], runType: ["x", "failPayment"] });
        assert.deepEqual(event.headers, { Host: "127.0.0.1:3000", "X-Tag": "b" });
        assert.deepEqual(event.multiValueHeaders, { Host: ["127.0.0.1:3000"], "X-Tag": ["a", "b"] });
        assert.equal(event.stageVariables, null);
        assert.deepEqual([event.body, event.isBase64Encoded], [null, false]);
        assert.deepEqual(
            [event.requestContext.stage, event.requestContext.requestId, event.requestContext.path, event.requestContext.resourcePath],
            ["v1", "req-1", "/v1/trips/trip-1", "/trips/{tripId}"],
        );
    });

    it("has null maps when a request has no query string or path parameters, and base64 bodies for binary media types", () => {
        const event = proxyEvent(
            request({ method: "POST", path: "/", query: new URLSearchParams(), body: Buffer.from('{"a":1}'), headers: { "content-type": "application/json" } }),
            context("/", "POST"),
        );
        assert.deepEqual([event.queryStringParameters, event.pathParameters], [null, null]);
        // awsx declares */* a binary media type, so API Gateway base64-encodes every body.
        assert.deepEqual([event.body, event.isBase64Encoded], [Buffer.from('{"a":1}').toString("base64"), true]);
    });

    it("maps a proxy result to the response, and tells what is wrong with a malformed one", () => {
        assert.deepEqual(proxyResponse({ statusCode: 202, headers: { "content-type": "application/json" }, body: "{}" }), {
            statusCode: 202,
            headers: { "content-type": "application/json" },
            body: Buffer.from("{}"),
        });
        assert.deepEqual(proxyResponse({ statusCode: 200, body: Buffer.from("hi").toString("base64"), isBase64Encoded: true }), {
            statusCode: 200,
            headers: {},
            body: Buffer.from("hi"),
        });
        assert.deepEqual(proxyResponse({ body: "x" }), { malformed: "statusCode is not an integer" });
        assert.deepEqual(proxyResponse("ok"), { malformed: "the result is not an object" });
        assert.deepEqual(proxyResponse({ statusCode: 200, body: { a: 1 } }), { malformed: "body is not a string" });
    });
});
