// The local cloud's API Gateway, without a server: routes read from a swagger body, API
// Gateway's choice of route (cases measured on AWS, see local/apigateway/routes.ts), and the
// Lambda proxy event and response.
import assert from "node:assert/strict";
import { proxyEvent, proxyResponse } from "../local/apigateway/proxy";
import { matchRoute, parseRestApiBody, RestApiSpec } from "../local/apigateway/routes";

const FN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const integration = (name: string) => ({
    "x-amazon-apigateway-integration": {
        type: "aws_proxy",
        httpMethod: "POST",
        uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${FN(name)}/invocations`,
    },
});

/** The saga's API as awsx writes it: ANY / and ANY /{proxy+} start, GET /trips/{tripId} reports. */
const SAGA_API = JSON.stringify({
    swagger: "2.0",
    paths: {
        "/": { "x-amazon-apigateway-any-method": integration("start") },
        "/{proxy+}": { "x-amazon-apigateway-any-method": integration("start") },
        "/trips/{tripId}": { get: integration("status") },
    },
    "x-amazon-apigateway-binary-media-types": ["*/*"],
    "x-amazon-apigateway-gateway-responses": {
        MISSING_AUTHENTICATION_TOKEN: { statusCode: 404, responseTemplates: { "application/json": '{"message": "404 Not found" }' } },
    },
});

function served(spec: RestApiSpec, method: string, path: string) {
    const match = matchRoute(spec, method, path);
    return match && { resource: match.resource.path, fn: match.integration.functionArn?.split(":").pop(), params: match.pathParameters };
}

describe("the local API Gateway's routing", () => {
    const spec = parseRestApiBody(SAGA_API);

    it("reads each route's function from its integration URI, and the gateway responses", () => {
        assert.deepEqual(
            spec.resources.map((r) => [r.path, [...r.methods].map(([method, i]) => `${method} ${i.type} ${i.functionArn}`)]),
            [
                ["/", [`ANY aws_proxy ${FN("start")}`]],
                ["/{proxy+}", [`ANY aws_proxy ${FN("start")}`]],
                ["/trips/{tripId}", [`GET aws_proxy ${FN("status")}`]],
            ],
        );
        assert.deepEqual(spec.binaryMediaTypes, ["*/*"]);
        assert.equal(spec.gatewayResponses.MISSING_AUTHENTICATION_TOKEN.statusCode, 404);
    });

    const cases: [string, string, ReturnType<typeof served>][] = [
        ["GET", "/", { resource: "/", fn: "start", params: {} }],
        ["POST", "/", { resource: "/", fn: "start", params: {} }],
        ["GET", "/trips/trip-1", { resource: "/trips/{tripId}", fn: "status", params: { tripId: "trip-1" } }],
        // No method for the request on the most specific resource: it falls through, as on AWS.
        ["POST", "/trips/trip-1", { resource: "/{proxy+}", fn: "start", params: { proxy: "trips/trip-1" } }],
        ["GET", "/trips", { resource: "/{proxy+}", fn: "start", params: { proxy: "trips" } }],
        ["GET", "/trips/trip-1/more", { resource: "/{proxy+}", fn: "start", params: { proxy: "trips/trip-1/more" } }],
        ["GET", "/any/where", { resource: "/{proxy+}", fn: "start", params: { proxy: "any/where" } }],
        ["GET", "/trips/a%20b", { resource: "/trips/{tripId}", fn: "status", params: { tripId: "a b" } }],
    ];
    for (const [method, path, expected] of cases) {
        it(`${method} ${path} goes to ${expected!.resource}`, () => assert.deepEqual(served(spec, method, path), expected));
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
        assert.equal(served(tree, "PATCH", "/users/me")?.fn, "me");
        // /users/me declares no GET: its parameterised sibling serves it (floci #3399, measured on AWS).
        assert.deepEqual(served(tree, "GET", "/users/me"), { resource: "/users/{userId}", fn: "user", params: { userId: "me" } });
        assert.equal(served(tree, "GET", "/users/42/a/b")?.fn, "below-user");
        assert.equal(served(tree, "DELETE", "/users/42")?.fn, "proxy");
    });

    it("finds no route when no resource has a method for the request ({proxy+} never matches the root)", () => {
        const tree = parseRestApiBody(JSON.stringify({ paths: { "/{proxy+}": { get: integration("proxy") } } }));
        assert.equal(matchRoute(tree, "GET", "/"), undefined);
        assert.equal(matchRoute(tree, "POST", "/a"), undefined);
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
