// The API's routes as SagaComponent registers them (under Pulumi mocks): which methods exist on
// which paths, what the MOCK integrations answer (405 with Allow, 404, the CORS preflight), and,
// fed the very swagger body registered, where API Gateway's choice of route sends each request of
// issue 11 (the local cloud's router, which follows AWS's rules: tests/local-routes.test.ts).
import * as assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import { CORS_ALLOW_HEADERS, MOCK_CONTENT_TYPES } from "../components/api";
import { SagaComponent, SagaComponentArgs } from "../components";
import { travelStart, travelStatus, travelSteps } from "../handlers/travel/steps";
import { ApiGatewayService } from "../local/apigateway/gateway";
import { answerMock } from "../local/apigateway/mock";
import { matchRoute, parseRestApiBody, RestApiSpec } from "../local/apigateway/routes";
import { AUTONAME_SUFFIX, byType, deploy, find, recorded, resetRecords, setupMocks } from "./support/mocks";
import { iamGate } from "./support/iam";
import { ResourceTypes } from "../components/model/resource-types";

const ANY = "x-amazon-apigateway-any-method";
const ORIGIN = "https://app.example.com";

/** Deploys a saga named `name` (the travel start function, one step: the API does not depend on them); answers its registered swagger, and its routing spec. */
async function registeredApi(name: string, args: Partial<SagaComponentArgs> = {}) {
    await deploy(() => new SagaComponent(name, { steps: [travelSteps[0]], start: travelStart, ...args }));
    const body: string = find(ResourceTypes.restApi, `${name}-api`).inputs.body;
    return { swagger: JSON.parse(body), spec: parseRestApiBody(body) };
}

/** One operation in short: `fn <function>` for a Lambda proxy, `<status> [headers]` for a mock. */
function describeOperation(operation: any): string {
    const integration = operation["x-amazon-apigateway-integration"];
    if (integration.type === "aws_proxy") return `fn ${/function:([^/]+)\/invocations$/.exec(integration.uri)![1].replace(AUTONAME_SUFFIX, "")}`;
    const response = integration.responses.default;
    const headers = Object.entries(response.responseParameters ?? {}).map(([name, value]) => `${name.replace("method.response.header.", "")}: ${value}`);
    return [response.statusCode, ...headers].join(" ");
}

/** Every path's methods, described, as registered. */
const table = (swagger: any) =>
    Object.fromEntries(
        Object.entries(swagger.paths as Record<string, Record<string, any>>).map(([path, operations]) => [
            path,
            Object.fromEntries(Object.entries(operations).map(([method, operation]) => [method === ANY ? "ANY" : method.toUpperCase(), describeOperation(operation)])),
        ]),
    );

/** What a request meets on AWS: the function its route invokes, or the mock's status and Allow. */
function answerTo(spec: RestApiSpec, method: string, path: string): string {
    const match = matchRoute(spec, method, path);
    if (!match) return "no route";
    if (match.integration.functionArn) return `fn ${match.integration.functionArn.split(":").pop()!.replace(AUTONAME_SUFFIX, "")}`;
    const answer = answerMock(match.integration.mock!, { body: Buffer.alloc(0) });
    if (!("statusCode" in answer)) return JSON.stringify(answer);
    return [answer.statusCode, answer.headers.Allow && `Allow: ${answer.headers.Allow}`].filter(Boolean).join(" ");
}

describe("the API's routes (registered under mocks)", () => {
    before(() => setupMocks());

    describe("the travel status route /trips/{tripId}, SigV4 required (the default)", () => {
        let swagger: any;
        let spec: RestApiSpec;
        before(async () => {
            ({ swagger, spec } = await registeredApi("routes", { status: { path: "/trips/{tripId}", handler: travelStatus } }));
        });

        it("registers GET and POST to the start function, GET to the status function, and a MOCK integration for everything else", () => {
            assert.deepEqual(table(swagger), {
                "/": { GET: "fn routes-start", POST: "fn routes-start", ANY: "405 Allow: 'GET, POST'" },
                "/{proxy+}": { GET: "fn routes-start", POST: "fn routes-start", ANY: "405 Allow: 'GET, POST'" },
                "/trips": { ANY: "404" },
                "/trips/{tripId}": { GET: "fn routes-status", ANY: "405 Allow: 'GET'" },
                "/trips/{tripId}/{proxy+}": { ANY: "404" },
            });
        });

        it("requires SigV4 on every method, mocks included (an unsigned caller learns nothing)", () => {
            for (const [path, operations] of Object.entries(swagger.paths as Record<string, Record<string, any>>)) {
                for (const [method, operation] of Object.entries(operations)) {
                    assert.deepEqual(operation["x-amazon-apigateway-auth"], { type: "AWS_IAM" }, `${method} ${path}`);
                }
            }
        });

        it("declares each mock as API Gateway imports it: a template per content type, the response's headers declared, text content", () => {
            const mock = swagger.paths["/"][ANY];
            assert.deepEqual(mock.responses, { 405: { description: "Method not allowed: only GET and POST start a saga (Allow: GET, POST).", headers: { Allow: { type: "string" } } } });
            const integration = mock["x-amazon-apigateway-integration"];
            assert.deepEqual(Object.keys(integration.requestTemplates), [...MOCK_CONTENT_TYPES]);
            for (const template of Object.values(integration.requestTemplates)) assert.deepEqual(JSON.parse(template as string), { statusCode: 405 });
            // The API declares */* binary (awsx): without CONVERT_TO_TEXT a mock answers 500 on AWS.
            assert.equal(integration.contentHandling, "CONVERT_TO_TEXT");
            assert.equal(integration.responses.default.contentHandling, "CONVERT_TO_TEXT");
            assert.deepEqual(JSON.parse(integration.responses.default.responseTemplates["application/json"]), {
                message: "Method not allowed: only GET and POST start a saga (Allow: GET, POST).",
            });
            assert.deepEqual(JSON.parse(swagger.paths["/trips"][ANY]["x-amazon-apigateway-integration"].responses.default.responseTemplates["application/json"]), {
                message: "Not found. Paths under /trips belong to the status route, GET /trips/{tripId}; no request under it starts a saga.",
            });
        });

        it("lets API Gateway invoke the start function for GET and POST only, the status function for GET only", () => {
            const permissions = byType(ResourceTypes.permission).filter((p) => p.inputs.principal === "apigateway.amazonaws.com").map((p) => `${String(p.references?.functionId).replace(AUTONAME_SUFFIX, "")} ${p.inputs.sourceArn.replace(/^.*:routesapiid/, "")}`);
            assert.deepEqual(permissions.sort(), [
                "routes-start /*/GET/",
                "routes-start /*/GET/{proxy+}",
                "routes-start /*/POST/",
                "routes-start /*/POST/{proxy+}",
                "routes-status /*/GET/trips/{tripId}",
            ]);
        });

        it("tells the start function the status route, for the case variants API Gateway routes to it (/TRIPS/x)", () => {
            assert.equal(find(ResourceTypes.function, "routes-start").inputs.environment.variables.SAGA_STATUS_PATH, "/trips/{tripId}");
            assert.equal(find(ResourceTypes.function, "routes-status").inputs.environment.variables.SAGA_STATUS_PATH, undefined);
        });

        // Each request of issue 11, on the routes registered: what it meets on AWS.
        const cases: [string, string, string][] = [
            // The original's requests still start a booking.
            ["GET", "/", "fn routes-start"],
            ["POST", "/", "fn routes-start"],
            ["GET", "/any/path", "fn routes-start"],
            ["POST", "/book", "fn routes-start"],
            // Other methods never do: HEAD, OPTIONS (a browser's preflight), DELETE, PATCH, TRACE, PUT.
            ...["HEAD", "OPTIONS", "DELETE", "PATCH", "TRACE", "PUT"].flatMap((method): [string, string, string][] => [
                [method, "/", "405 Allow: GET, POST"],
                [method, "/x/y", "405 Allow: GET, POST"],
            ]),
            // The status route reports; other methods on it get 405.
            ["GET", "/trips/trip-1", "fn routes-status"],
            ["POST", "/trips/trip-1", "405 Allow: GET"],
            ["DELETE", "/trips/trip-1", "405 Allow: GET"],
            ["HEAD", "/trips/trip-1", "405 Allow: GET"],
            // Mistyped status paths: 404, at every depth.
            ["GET", "/trips", "404"],
            ["GET", "/trips/", "404"],
            ["POST", "/trips", "404"],
            ["GET", "/trips/a/b", "404"],
            ["GET", "/trips/a/b/c/d", "404"],
            // Paths are case-sensitive on AWS: /TRIPS/x reaches the start function, which answers 404 (SAGA_STATUS_PATH).
            ["GET", "/TRIPS/x", "fn routes-start"],
        ];
        for (const [method, path, expected] of cases) {
            it(`${method} ${path}: ${expected}`, () => assert.equal(answerTo(spec, method, path), expected));
        }
    });

    it("without a status route: GET and POST start on every path, every other method gets 405", async () => {
        const { swagger, spec } = await registeredApi("plainroutes");
        assert.deepEqual(table(swagger), {
            "/": { GET: "fn plainroutes-start", POST: "fn plainroutes-start", ANY: "405 Allow: 'GET, POST'" },
            "/{proxy+}": { GET: "fn plainroutes-start", POST: "fn plainroutes-start", ANY: "405 Allow: 'GET, POST'" },
        });
        assert.equal(answerTo(spec, "GET", "/trips/x"), "fn plainroutes-start");
        assert.equal(answerTo(spec, "OPTIONS", "/trips/x"), "405 Allow: GET, POST");
        assert.equal(find(ResourceTypes.function, "plainroutes-start").inputs.environment.variables.SAGA_STATUS_PATH, undefined);
    });

    // A deeper status path needs other resources: one resource may not have two variable children.
    const deeper: [string, [string, string][]][] = [
        ["/api/trips/{id}", [["/api", "404"], ["/api/x", "404"], ["/api/trips", "404"], ["/api/trips/7", "fn deep-status"], ["/api/trips/7/x", "404"], ["/apix", "fn deep-start"]]],
        ["/trips/{tripId}/status", [["/trips", "404"], ["/trips/7", "404"], ["/trips/7/x", "404"], ["/trips/7/status", "fn deep-status"], ["/trips/7/status/x", "404"]]],
    ];
    for (const [statusPath, expected] of deeper) {
        it(`status route ${statusPath}: no GET under /${statusPath.split("/")[1]} starts a saga, at any depth`, async () => {
            const { spec } = await registeredApi("deep", { status: { path: statusPath, handler: travelStatus } });
            for (const [path, answer] of expected) assert.equal(answerTo(spec, "GET", path), answer, path);
            // Every path of up to five segments under the first one, from these words.
            const words = ["trips", "api", "status", "7", "x"];
            const paths = (depth: number): string[] => (depth === 0 ? [""] : paths(depth - 1).flatMap((p) => words.map((w) => `${p}/${w}`)));
            const under = [1, 2, 3, 4].flatMap(paths).map((p) => `/${statusPath.split("/")[1]}${p}`);
            for (const path of under) assert.notEqual(answerTo(spec, "GET", path), "fn deep-start", path);
        });
    }

    describe("with `api.cors` on a SigV4 API", () => {
        let swagger: any;
        let spec: RestApiSpec;
        before(async () => {
            ({ swagger, spec } = await registeredApi("corsroutes", { status: { path: "/trips/{tripId}", handler: travelStatus }, api: { cors: { allowOrigin: ORIGIN } } }));
        });

        it("answers the browser's preflight (OPTIONS) itself, unsigned, where a method answers; 404 stays 404", () => {
            const preflight = (methods: string) =>
                `204 Access-Control-Allow-Origin: '${ORIGIN}' Access-Control-Allow-Methods: '${methods}' Access-Control-Allow-Headers: '${CORS_ALLOW_HEADERS.join(", ")}' Access-Control-Max-Age: '600'`;
            const origin = `Access-Control-Allow-Origin: '${ORIGIN}'`;
            assert.deepEqual(table(swagger), {
                "/": { GET: "fn corsroutes-start", POST: "fn corsroutes-start", OPTIONS: preflight("GET, POST, OPTIONS"), ANY: `405 Allow: 'GET, POST, OPTIONS' ${origin}` },
                "/{proxy+}": { GET: "fn corsroutes-start", POST: "fn corsroutes-start", OPTIONS: preflight("GET, POST, OPTIONS"), ANY: `405 Allow: 'GET, POST, OPTIONS' ${origin}` },
                "/trips": { ANY: `404 ${origin}` },
                "/trips/{tripId}": { GET: "fn corsroutes-status", OPTIONS: preflight("GET, OPTIONS"), ANY: `405 Allow: 'GET, OPTIONS' ${origin}` },
                "/trips/{tripId}/{proxy+}": { ANY: `404 ${origin}` },
            });
            // Browsers never sign a preflight; every other method still needs SigV4.
            for (const [path, operations] of Object.entries(swagger.paths as Record<string, Record<string, any>>)) {
                for (const [method, operation] of Object.entries(operations)) {
                    assert.deepEqual(operation["x-amazon-apigateway-auth"], method === "options" ? undefined : { type: "AWS_IAM" }, `${method} ${path}`);
                }
            }
            assert.equal(answerTo(spec, "OPTIONS", "/"), "204");
            assert.equal(answerTo(spec, "OPTIONS", "/trips/7"), "204");
            assert.equal(answerTo(spec, "DELETE", "/"), "405 Allow: GET, POST, OPTIONS");
        });

        it("serves the preflight over HTTP as the local cloud's API Gateway does, from this swagger", async () => {
            const lines: string[] = [];
            const gateway = new ApiGatewayService({ accountId: "000000000000", region: "us-east-1", iam: iamGate(), invoke: () => undefined, log: (line) => lines.push(line) });
            gateway.addRestApi("corsapi", "corsroutes-api", parseRestApiBody(find(ResourceTypes.restApi, "corsroutes-api").inputs.body));
            gateway.addStage("corsapi", "v1");
            const server = createServer((request, response) => void gateway.handle(request, response, new URL(request.url!, "http://local")));
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
            try {
                const preflight = await fetch(`${base}/?tripID=x`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": "POST" } });
                assert.equal(preflight.status, 204);
                assert.deepEqual(
                    ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers", "access-control-max-age"].map((h) => preflight.headers.get(h)),
                    [ORIGIN, "GET, POST, OPTIONS", CORS_ALLOW_HEADERS.join(", "), "600"],
                );
                const refused = await fetch(`${base}/trips/7`, { method: "DELETE", headers: { origin: ORIGIN } });
                assert.deepEqual([refused.status, refused.headers.get("allow"), refused.headers.get("access-control-allow-origin")], [405, "GET, OPTIONS", ORIGIN]);
                // No function is deployed here: API Gateway's own error carries the origin too.
                const failed = await fetch(`${base}/?tripID=x`, { headers: { origin: ORIGIN } });
                assert.deepEqual([failed.status, failed.headers.get("access-control-allow-origin"), await failed.json()], [502, ORIGIN, { message: "Internal server error" }]);
            } finally {
                server.close();
            }
        });

        it("names the origin on API Gateway's own errors and in both functions' responses", () => {
            const responses = swagger["x-amazon-apigateway-gateway-responses"];
            for (const type of ["DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED"]) {
                assert.equal(responses[type].responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"], `'${ORIGIN}'`, type);
            }
            // The defaults keep each error's own status code; the two awsx maps to 404 stay 404.
            assert.deepEqual([responses.DEFAULT_4XX.statusCode, responses.DEFAULT_5XX.statusCode, responses.MISSING_AUTHENTICATION_TOKEN.statusCode], [undefined, undefined, 404]);
            for (const fn of ["corsroutes-start", "corsroutes-status"]) {
                assert.equal(find(ResourceTypes.function, fn).inputs.environment.variables.SAGA_CORS_ALLOW_ORIGIN, ORIGIN, fn);
            }
        });
    });

    it("accepts any origin (*), and refuses an origin that is not one, naming the option", async () => {
        const { swagger } = await registeredApi("anyorigin", { api: { cors: { allowOrigin: "*" }, iamAuth: false } });
        assert.equal(swagger.paths["/"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Origin"], "'*'");
        for (const allowOrigin of ["https://app.example.com/", "https://app.example.com/path", "app.example.com", "https://APP.example.com", "", "https://a.com, https://b.com"]) {
            resetRecords();
            assert.throws(
                () => new SagaComponent("badorigin", { steps: [travelSteps[0]], start: travelStart, api: { cors: { allowOrigin } } }),
                (error: unknown) => {
                    assert.ok(pulumi.ResourceError.isInstance(error), "a pulumi.ResourceError");
                    assert.equal(
                        (error as Error).message,
                        "`api.cors.allowOrigin` must be one origin as a browser sends it: scheme, host and optional port, lower case, without a path or a trailing '/', " +
                            `e.g. "https://app.example.com"; or "*" for any origin. Got ${JSON.stringify(allowOrigin)}.`,
                    );
                    return true;
                },
                allowOrigin,
            );
            assert.deepEqual(recorded.filter((r) => r.type !== ResourceTypes.component), [], "refused before any child exists");
        }
    });
});
