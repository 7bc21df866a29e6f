// Issue 11, item 4, on the local cloud over HTTP (the reference program, index.ts): only an
// explicit GET or POST books a trip. Each request of the issue is sent as a client would, and
// what it cost is read from the cloud's own counts: executions started, functions invoked.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { Booted } from "../../local/client";
import { signedAsOperator } from "../support/raw-http";
import { sharedCloud } from "../support/shared-cloud";

interface Sent {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
    /** Executions the request started, and function invocations it caused. */
    started: number;
    invoked: number;
}

const newTrip = () => `trip-${randomUUID().slice(0, 8)}`;

describe("the local cloud's API books only when asked to (issue 11)", function () {
    let booted: Booted;
    before(async () => {
        ({ booted } = await sharedCloud());
    });

    /** Any method (fetch refuses TRACE), on a path below the stage (e.g. `trips/x?tripID=y`), signed by the operator as the API requires. */
    async function raw(method: string, path: string, unsigned: Record<string, string> = {}, body?: string) {
        const url = `${booted.client.apiUrl}${path}`;
        const { headers } = await signedAsOperator(url, { method, headers: unsigned, body }, "execute-api");
        return new Promise<{ status: number; headers: Sent["headers"]; body: string }>((resolve, reject) => {
            const sent = httpRequest(url, { method, headers: body ? { ...headers, "content-length": String(Buffer.byteLength(body)) } : headers }, (response) => {
                const chunks: Buffer[] = [];
                response.on("data", (chunk: Buffer) => chunks.push(chunk));
                response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString() }));
            });
            sent.on("error", reject);
            sent.end(body);
        });
    }

    async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Sent> {
        await booted.cloud.idle();
        const before = booted.cloud.metrics();
        const answer = await raw(method, path, headers, body);
        const after = booted.cloud.metrics();
        return {
            ...answer,
            started: after.stepFunctions.executionsStarted - before.stepFunctions.executionsStarted,
            invoked: after.lambda.invocations - before.lambda.invocations,
        };
    }
    const message = (sent: Sent) => JSON.parse(sent.body).message as string;

    for (const method of ["HEAD", "OPTIONS", "DELETE", "PATCH", "TRACE", "PUT"]) {
        it(`${method} books nothing: 405 with Allow: GET, POST, answered by API Gateway without a function`, async () => {
            for (const path of [`?tripID=${newTrip()}`, `bookings/new?tripID=${newTrip()}`]) {
                const sent = await send(method, path);
                assert.deepEqual([sent.status, sent.headers.allow, sent.started, sent.invoked], [405, "GET, POST", 0, 0], `${method} /${path}`);
                if (method !== "HEAD") assert.equal(message(sent), "Method not allowed: only GET and POST start a saga (Allow: GET, POST).");
            }
        });
    }

    it("a browser's CORS preflight books nothing either (no `cors` option on this stack: 405)", async () => {
        const sent = await send("OPTIONS", `?tripID=${newTrip()}`, { origin: "https://app.example.com", "access-control-request-method": "POST" });
        assert.deepEqual([sent.status, sent.headers.allow, sent.headers["access-control-allow-origin"], sent.started], [405, "GET, POST", undefined, 0]);
    });

    it("a method with a form body books nothing: 405 (a body of another type: API Gateway's 500, still nothing booked)", async () => {
        const form = await send("DELETE", "?tripID=x", { "content-type": "application/x-www-form-urlencoded" }, "tripID=x");
        assert.deepEqual([form.status, form.started, form.invoked], [405, 0, 0]);
        const xml = await send("DELETE", "?tripID=x", { "content-type": "application/xml" }, "<trip/>");
        assert.deepEqual([xml.status, xml.started, xml.invoked], [500, 0, 0]);
    });

    it("another method on the status route: 405 with Allow: GET", async () => {
        const sent = await send("POST", `trips/${newTrip()}?tripID=${newTrip()}`);
        assert.deepEqual([sent.status, sent.headers.allow, sent.started, sent.invoked], [405, "GET", 0, 0]);
    });

    for (const path of ["trips/", "trips/a/b", "trips"]) {
        it(`GET /${path} (a mistyped status path) books nothing: 404 from API Gateway`, async () => {
            const sent = await send("GET", `${path}?tripID=${newTrip()}`);
            assert.deepEqual([sent.status, sent.started, sent.invoked], [404, 0, 0]);
            assert.equal(message(sent), "Not found. Paths under /trips belong to the status route, GET /trips/{tripId}; no request under it starts a saga.");
        });
    }

    it("GET /TRIPS/x books nothing: 404 from the start function (paths are case-sensitive, so /{proxy+} routes it there)", async () => {
        for (const path of ["TRIPS/x", "Trips/x/y", "TRIPS"]) {
            const sent = await send("GET", `${path}?tripID=${newTrip()}`);
            assert.deepEqual([sent.status, sent.started, sent.invoked], [404, 0, 1], path);
            assert.match(message(sent), /^Not found: \/T(RIPS|rips)[^.]*\. No path under \/trips, in any letter case, starts a saga/);
        }
    });

    it("a misspelled parameter books nothing: 400 naming the parameter meant", async () => {
        const tripid = await send("GET", "?tripid=x");
        assert.deepEqual([tripid.status, tripid.started], [400, 0]);
        assert.match(message(tripid), /^`tripid` is not a parameter of this request; did you mean `tripID`\?/);
        const runtype = await send("GET", `?tripID=${newTrip()}&runtype=failPayment`);
        assert.deepEqual([runtype.status, runtype.started], [400, 0]);
        assert.match(message(runtype), /^`runtype` is not a parameter of this request; did you mean `runType`\?/);
        const unknown = await send("GET", `?tripID=${newTrip()}&color=blue`);
        assert.deepEqual([unknown.status, unknown.started], [400, 0]);
        assert.match(message(unknown), /^`color` is not a parameter of this request\. The parameters are `tripID` and `runType`/);
    });

    it("a repeated parameter books nothing: 400 (API Gateway would pass only the last one as the single value)", async () => {
        const sent = await send("GET", "?tripID=a&tripID=b");
        assert.deepEqual([sent.status, sent.started], [400, 0]);
        assert.match(message(sent), /^`tripID` is given 2 times; give it once\./);
        assert.equal((await send("GET", `?tripID=${newTrip()}&runType=failPayment&runType=failHotelReservation`)).status, 400);
        assert.equal((await booted.client.status("a")).status, 404);
        assert.equal((await booted.client.status("b")).status, 404);
    });

    it("the original's requests still book: GET or POST with tripID and runType on any path", async () => {
        for (const [method, path] of [["GET", ""], ["POST", ""], ["GET", "any/path"], ["POST", "book/now"]]) {
            const tripId = newTrip();
            const sent = await send(method, `${path}?tripID=${tripId}&runType=failPayment`);
            assert.deepEqual([sent.status, sent.started, JSON.parse(sent.body).tripId], [202, 1, tripId], `${method} /${path}`);
        }
        // A POST's body is not read: one is refused rather than ignored.
        const withBody = await send("POST", `?tripID=${newTrip()}`, { "content-type": "application/json" }, '{"tripID":"x"}');
        assert.deepEqual([withBody.status, withBody.started], [400, 0]);
    });

    it("callers see the failure's errorType and errorMessage, never the function's stack trace", async () => {
        const tripId = newTrip();
        assert.equal((await booted.client.start({ tripID: tripId, runType: "failPayment" })).status, 202);
        const report = await booted.client.outcome(tripId);
        assert.equal(report.outcome, "rolled_back");
        assert.deepEqual(report.cause, { errorType: "PaymentFailed", errorMessage: 'Failure injected on purpose by run type "failPayment".' });
        // The execution itself keeps the trace, for operators (DescribeExecution); the route does not pass it on.
        const described = await booted.client.stepFunctions("DescribeExecution", { executionArn: `${String(booted.cloud.outputs.stateMachineArn).replace(":stateMachine:", ":execution:")}:${tripId}` });
        assert.match(described.body.cause, /"trace"/);
        const { body } = await raw("GET", `trips/${tripId}`);
        assert.doesNotMatch(body, /trace|\.js:\d|\.ts:\d|\/work\/|node_modules/);
    });
});
