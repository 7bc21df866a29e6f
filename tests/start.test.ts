// The travel saga's start Lambda, called with API Gateway proxy events; its real SDK client talks
// to a local stand-in of the Step Functions API.
// First: the fake AWS environment must be in place before the handler creates its SDK client.
import "./support/aws-env";
import assert from "node:assert/strict";
import { Env } from "../components/model/conventions";
import { handler as start } from "../handlers/travel/start";
import { demoTrip } from "../handlers/travel/trip";
import { ApiGatewayProxyEvent } from "../handlers/lib/http";
import { withEnv } from "./support/aws-env";
import { SfnStub, sfnStub } from "./support/sfn-stub";

const injectionOn = { [Env.failureInjection]: "true" };
/** The start function's environment when the saga has the status route /trips/{tripId}. */
const withStatusRoute = { [Env.statusPath]: "/trips/{tripId}" };

describe("travel start handler", () => {
    let sfn: SfnStub;
    before(async () => {
        sfn = await sfnStub();
    });
    beforeEach(() => sfn.reset());

    const request = (query: Record<string, string> | null, env: Record<string, string | undefined> = {}) =>
        withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn, [Env.failureInjection]: undefined, ...env }, () =>
            start({ queryStringParameters: query }),
        );
    const bodyOf = (response: { body: string }) => JSON.parse(response.body);
    /** A whole proxy event, as API Gateway sends it through ANY /{proxy+} (or / for the root). */
    const send = (event: ApiGatewayProxyEvent, env: Record<string, string | undefined> = {}) =>
        withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn, [Env.failureInjection]: undefined, [Env.statusPath]: undefined, ...env }, () => start(event));
    const onPath = (path: string, method = "GET"): ApiGatewayProxyEvent => ({
        httpMethod: method,
        path,
        ...(path === "/" ? {} : { pathParameters: { proxy: path.slice(1) } }),
        queryStringParameters: { tripID: "trip-on-path" },
        multiValueQueryStringParameters: { tripID: ["trip-on-path"] },
    });

    it("starts an execution named after the trip id with the demo itinerary and answers 202", async () => {
        const response = await request({ tripID: "trip-42", runType: "failPayment" }, injectionOn);
        assert.equal(response.statusCode, 202);
        assert.equal(response.headers["content-type"], "application/json");
        const body = bodyOf(response);
        assert.equal(body.tripId, "trip-42");
        assert.match(body.executionArn, /:execution:saga-test:trip-42$/);
        assert.ok(!Number.isNaN(Date.parse(body.startDate)));
        assert.match(body.hint, /pk = "trip-42"/);
        assert.equal(sfn.calls.length, 1);
        assert.equal(sfn.calls[0].name, "trip-42");
        assert.deepEqual(JSON.parse(sfn.calls[0].input), demoTrip("trip-42", "failPayment"));
    });

    it("generates a UUID as the trip id when tripID is absent", async () => {
        const body = bodyOf(await request(null));
        assert.match(body.tripId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(sfn.calls[0].name, body.tripId);
        assert.equal(JSON.parse(sfn.calls[0].input).trip_id, body.tripId);
        assert.equal(JSON.parse(sfn.calls[0].input).run_type, undefined);
    });

    it("answers 400 to a malformed tripID and starts nothing", async () => {
        for (const tripID of ["", "has space", "../etc", "x".repeat(65), "trip;drop"]) {
            const response = await request({ tripID });
            assert.equal(response.statusCode, 400, tripID);
            assert.match(bodyOf(response).message, /`tripID` must be 1 to 64 letters, digits/);
        }
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 400 listing the allowed values to an unknown runType and starts nothing", async () => {
        const response = await request({ tripID: "trip-43", runType: "failEverything" }, injectionOn);
        assert.equal(response.statusCode, 400);
        assert.equal(
            bodyOf(response).message,
            "`runType` must be one of failHotelReservation, failHotelConfirmation, failFlightsReservation, failFlightsConfirmation, failPayment; omit it for a run without injected failures.",
        );
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 400 to any runType when failure injection is disabled and starts nothing", async () => {
        const response = await request({ tripID: "trip-44", runType: "failPayment" });
        assert.equal(response.statusCode, 400);
        assert.match(bodyOf(response).message, /failure injection is disabled/);
        assert.equal(sfn.calls.length, 0);
    });

    it("answers the same execution to a repeated identical request, and 409 to another input under the same trip id", async () => {
        const first = bodyOf(await request({ tripID: "trip-45" }, injectionOn));
        const repeat = await request({ tripID: "trip-45" }, injectionOn);
        assert.equal(repeat.statusCode, 202);
        assert.equal(bodyOf(repeat).executionArn, first.executionArn);
        const conflicting = await request({ tripID: "trip-45", runType: "failPayment" }, injectionOn);
        assert.equal(conflicting.statusCode, 409);
        assert.match(bodyOf(conflicting).message, /trip-45.*already exists: it has ended, or was started with another input/);
    });

    it("starts on GET and POST, on any path outside the status route's first segment, as the original did", async () => {
        for (const [method, path] of [["GET", "/"], ["POST", "/"], ["GET", "/book/now"], ["POST", "/tripsx"], ["GET", "/other/trips/1"]]) {
            sfn.reset();
            const response = await send({ ...onPath(path, method), queryStringParameters: { tripID: "t-1" }, multiValueQueryStringParameters: { tripID: ["t-1"] } }, withStatusRoute);
            assert.equal(response.statusCode, 202, `${method} ${path}`);
            assert.equal(sfn.calls.length, 1, `${method} ${path}`);
        }
    });

    it("answers 405 with Allow to every other method and starts nothing (the API answers them before it on AWS and locally)", async () => {
        for (const method of ["HEAD", "OPTIONS", "DELETE", "PATCH", "TRACE", "PUT", "get"]) {
            const response = await send(onPath("/", method));
            if (method === "get") {
                assert.equal(response.statusCode, 202, "the method's letter case does not matter");
                continue;
            }
            assert.equal(response.statusCode, 405, method);
            assert.equal(response.headers.allow, "GET, POST", method);
            assert.equal(bodyOf(response).message, "Method not allowed: only GET and POST start a saga.");
        }
        assert.equal(sfn.calls.length, 1);
    });

    it("answers 404 under the status route's first segment, in any letter case, and starts nothing", async () => {
        for (const path of ["/TRIPS/trip-1", "/Trips", "/trips/", "/trips/a/b", "/tRiPs/x/y"]) {
            const response = await send(onPath(path), withStatusRoute);
            assert.equal(response.statusCode, 404, path);
            assert.equal(
                bodyOf(response).message,
                `Not found: ${path}. No path under /trips, in any letter case, starts a saga: they belong to the status route, GET /trips/{tripId}.`,
            );
        }
        // Without pathParameters (a route other than /{proxy+}), the event's path.
        const byPath = await send({ httpMethod: "GET", path: "/TRIPS/x", queryStringParameters: null }, withStatusRoute);
        assert.equal(byPath.statusCode, 404);
        assert.equal(sfn.calls.length, 0);
        // A saga without a status route has no such paths.
        assert.equal((await send(onPath("/TRIPS/x"))).statusCode, 202);
    });

    it("answers 400 naming the parameter meant to a misspelled one, and starts nothing", async () => {
        const cases: [Record<string, string>, string][] = [
            [{ tripid: "x" }, "`tripid` is not a parameter of this request; did you mean `tripID`?"],
            [{ tripID: "t-2", runtype: "failPayment" }, "`runtype` is not a parameter of this request; did you mean `runType`?"],
            [{ tripId: "x" }, "`tripId` is not a parameter of this request; did you mean `tripID`?"],
            [{ tirpID: "x" }, "`tirpID` is not a parameter of this request; did you mean `tripID`?"],
            [{ runTyp: "failPayment" }, "`runTyp` is not a parameter of this request; did you mean `runType`?"],
            [{ color: "blue" }, "`color` is not a parameter of this request."],
        ];
        for (const [query, problem] of cases) {
            const response = await request(query, injectionOn);
            assert.equal(response.statusCode, 400, JSON.stringify(query));
            assert.equal(bodyOf(response).message, `${problem} The parameters are \`tripID\` and \`runType\`, each at most once.`);
        }
        const both = await request({ tripid: "x", runtype: "failPayment" }, injectionOn);
        assert.match(bodyOf(both).message, /^`tripid` .*did you mean `tripID`\? `runtype` .*did you mean `runType`\? The parameters/);
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 400 to a repeated parameter (API Gateway's single-value map keeps only the last) and starts nothing", async () => {
        const response = await send({
            httpMethod: "GET",
            path: "/",
            queryStringParameters: { tripID: "b" },
            multiValueQueryStringParameters: { tripID: ["a", "b"] },
        });
        assert.equal(response.statusCode, 400);
        assert.equal(bodyOf(response).message, "`tripID` is given 2 times; give it once. The parameters are `tripID` and `runType`, each at most once.");
        const runTwice = await send(
            { httpMethod: "GET", path: "/", queryStringParameters: { runType: "failPayment" }, multiValueQueryStringParameters: { runType: ["failPayment", "failPayment"] } },
            injectionOn,
        );
        assert.equal(runTwice.statusCode, 400);
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 400 to a body, which it would not read, and starts nothing; an empty body is none", async () => {
        const post = (body: string, isBase64Encoded: boolean) => send({ ...onPath("/", "POST"), body, isBase64Encoded });
        const refused = await post(Buffer.from('{"tripID":"t-3"}').toString("base64"), true);
        assert.equal(refused.statusCode, 400);
        assert.equal(bodyOf(refused).message, "The start request takes no body: give `tripID` and `runType` in the query string.");
        assert.equal((await post("tripID=t-3", false)).statusCode, 400);
        assert.equal(sfn.calls.length, 0);
        assert.equal((await post("", true)).statusCode, 202);
        assert.equal((await post(Buffer.from(" \n").toString("base64"), true)).statusCode, 202, "a blank body is none");
        assert.equal(sfn.calls.length, 2);
    });

    it("names the allowed origin on every response when the API allows one (CORS), and on none otherwise", async () => {
        const origin = { [Env.corsAllowOrigin]: "https://app.example.com" };
        const started = await send(onPath("/", "GET"), { ...origin });
        assert.equal(started.headers["access-control-allow-origin"], "https://app.example.com");
        const refused = await send(onPath("/", "DELETE"), { ...origin });
        assert.equal(refused.headers["access-control-allow-origin"], "https://app.example.com");
        const plain = await send({ httpMethod: "GET", path: "/", queryStringParameters: { color: "x" } });
        assert.equal(plain.headers["access-control-allow-origin"], undefined);
    });

    it("answers 500 without internals when Step Functions refuses for another reason", async () => {
        const wrongArn = "arn:aws:states:us-east-1:000000000000:stateMachine:secret-name";
        const response = await request({ tripID: "trip-46" }, { [Env.stateMachineArn]: wrongArn });
        assert.equal(response.statusCode, 500);
        assert.doesNotMatch(response.body, /secret-name|StateMachineDoesNotExist/);
        assert.match(bodyOf(response).message, /logs/);
    });

    it("answers 500 when STATE_MACHINE_ARN is not set, without calling Step Functions", async () => {
        const response = await request({ tripID: "trip-47" }, { [Env.stateMachineArn]: undefined });
        assert.equal(response.statusCode, 500);
        assert.equal(sfn.calls.length, 0);
    });
});
