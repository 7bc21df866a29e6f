// The travel saga's start Lambda, called with API Gateway proxy events; its real SDK client talks
// to a local stand-in of the Step Functions API.
// First: the fake AWS environment must be in place before the handler creates its SDK client.
import "./support/aws-env";
import assert from "node:assert/strict";
import { Env } from "../components/model/conventions";
import { handler as start } from "../handlers/travel/start";
import { demoTrip } from "../handlers/travel/trip";
import { withEnv } from "./support/aws-env";
import { SfnStub, sfnStub } from "./support/sfn-stub";

const injectionOn = { [Env.failureInjection]: "true" };

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
