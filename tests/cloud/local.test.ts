// `npm start` end to end: the real program (index.ts) deployed onto the local cloud, driven over
// HTTP only, as a user with curl would: start requests, the status route, the local endpoints.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { SagaErrors } from "../../components/model/conventions";
import { startLocalCloud } from "../../local/cloud";
import { PortInUseError } from "../../local/server";
import { INJECTED_FAILURES, RunType, RUN_TYPES } from "../../handlers/travel/trip";
import { Booted, PROJECT_ROOT, summaryOf } from "../../local/client";
import { sharedCloud } from "../support/shared-cloud";

const FORWARD = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"];

/** What each run type leaves in the table after its rollback: tombstones, and the refunded payment. */
const cancelled = (type: string) => ({ type, transaction_status: "cancelled" });
const LEFT: Record<RunType, { type: string; transaction_status: string }[]> = {
    failHotelReservation: [cancelled("Hotel")],
    failFlightsReservation: [cancelled("Flight"), cancelled("Hotel")],
    failPayment: [cancelled("Flight"), cancelled("Hotel"), cancelled("Payment")],
    failHotelConfirmation: [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }],
    failFlightsConfirmation: [cancelled("Flight"), cancelled("Hotel"), { type: "Payment", transaction_status: "refunded" }],
};

const newTrip = () => `trip-${randomUUID().slice(0, 8)}`;

describe("the local cloud (npm start) running the travel stack", function () {
    let booted: Booted;
    before(async () => {
        ({ booted } = await sharedCloud());
    });

    it("deploys the program's resources and lists those it does not provision", async () => {
        const { body } = await booted.client.get(`${booted.cloud.url}/_local`);
        const provisioned = new Set(body.provisioned.map((r: { type: string }) => r.type));
        for (const type of [
            ...["aws:dynamodb/table:Table", "aws:lambda/function:Function", "aws:sfn/stateMachine:StateMachine", "aws:sqs/queue:Queue", "aws:apigateway/restApi:RestApi", "aws:apigateway/stage:Stage", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"],
            // The repair's EventBridge rules and targets, and what they invoke with (local/events/service.ts).
            ...["aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget", "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "aws:lambda/permission:Permission"],
            // The log groups the state machines log to (local/logs/).
            "aws:cloudwatch/logGroup:LogGroup",
        ]) {
            assert.ok(provisioned.has(type), `${type} is provisioned`);
        }
        // awsx gives the API's permissions the Function resource itself: they name the function it provisioned.
        const permitted = (body.provisioned as { type: string; local: string }[]).filter((r) => r.type === "aws:lambda/permission:Permission").map((r) => r.local);
        assert.deepEqual(
            permitted.filter((line) => line.startsWith("apigateway.amazonaws.com")).map((line) => line.replace(/-[0-9a-f]{7}$/, "")).sort(),
            [...Array(4).fill("apigateway.amazonaws.com may invoke booking-start"), "apigateway.amazonaws.com may invoke booking-status"],
        );
        const acknowledged = new Set(body.notProvisioned.map((r: { type: string }) => r.type));
        for (const type of ["aws:cloudwatch/metricAlarm:MetricAlarm"]) {
            assert.ok(acknowledged.has(type), `${type} is listed as not provisioned`);
        }
        assert.deepEqual(body.warnings, []);
        assert.match(booted.client.apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1\/$/);
        assert.deepEqual(body.routes[booted.client.apiUrl.replace(/\/$/, "")], [
            "GET /", "POST /", "ANY /",
            "GET /{proxy+}", "POST /{proxy+}", "ANY /{proxy+}",
            "ANY /trips",
            "GET /trips/{tripId}", "ANY /trips/{tripId}",
            "ANY /trips/{tripId}/{proxy+}",
        ]);
    });

    it("books a trip: 202, then the status route reports it succeeded with three confirmed records", async () => {
        const tripId = newTrip();
        const started = await booted.client.start({ tripID: tripId });
        assert.equal(started.status, 202);
        assert.equal(started.body.tripId, tripId);
        assert.match(started.body.executionArn, new RegExp(`^arn:aws:states:us-east-1:000000000000:execution:booking-machine-[0-9a-f]{7}:${tripId}$`));

        const report = await booted.client.outcome(tripId);
        assert.deepEqual([report.outcome, report.status, report.error], ["succeeded", "SUCCEEDED", null]);
        assert.deepEqual(summaryOf(report.records), [
            { type: "Flight", transaction_status: "confirmed" },
            { type: "Hotel", transaction_status: "confirmed" },
            { type: "Payment", transaction_status: "confirmed" },
        ]);
        assert.deepEqual([report.records[2].amount, report.records[2].currency], ["450.00", "USD"]);
    });

    for (const runType of RUN_TYPES) {
        it(`${runType}: rolls back, and the status route reports rolled_back with the injected error`, async () => {
            const tripId = newTrip();
            assert.equal((await booted.client.start({ tripID: tripId, runType })).status, 202);
            const report = await booted.client.outcome(tripId);
            assert.deepEqual([report.outcome, report.error], ["rolled_back", SagaErrors.RolledBack]);
            const cause = typeof report.cause === "string" ? JSON.parse(report.cause) : report.cause;
            assert.equal(cause.errorType, INJECTED_FAILURES[runType]);
            assert.deepEqual(summaryOf(report.records), LEFT[runType]);
        });
    }

    it("books once for the same tripID: concurrent repeats get the same execution, a later one 409", async () => {
        const tripId = newTrip();
        const [first, second] = await Promise.all([booted.client.start({ tripID: tripId }), booted.client.start({ tripID: tripId })]);
        assert.deepEqual([first.status, second.status], [202, 202]);
        assert.equal(second.body.executionArn, first.body.executionArn);
        assert.equal((await booted.client.outcome(tripId)).outcome, "succeeded");
        // Step Functions refuses a closed execution's name whatever the input: the trip is not booked twice.
        assert.equal((await booted.client.start({ tripID: tripId })).status, 409);
        const { body } = await booted.client.status(tripId);
        assert.equal(body.records.length, 3);
        const listed = await booted.client.stepFunctions("ListExecutions", { stateMachineArn: booted.cloud.outputs.stateMachineArn });
        assert.equal(listed.body.executions.filter((e: { name: string }) => e.name === tripId).length, 1);
    });

    it("answers bad input with 400 and starts nothing", async () => {
        const before = await booted.client.stepFunctions("ListExecutions", { stateMachineArn: booted.cloud.outputs.stateMachineArn });
        const tripId = newTrip();
        const badQueries: Record<string, string>[] = [{ tripID: "not a valid id!" }, { tripID: tripId, runType: "failEverything" }, { tripID: "x".repeat(65) }];
        for (const query of badQueries) {
            const answer = await booted.client.start(query);
            assert.equal(answer.status, 400, JSON.stringify(query));
            assert.equal(typeof answer.body.message, "string");
        }
        assert.equal((await booted.client.status(tripId)).status, 404);
        const after = await booted.client.stepFunctions("ListExecutions", { stateMachineArn: booted.cloud.outputs.stateMachineArn });
        assert.equal(after.body.executions.length, before.body.executions.length);
    });

    it("logs each saga: started, every state entered as it happens, and the outcome", async () => {
        const tripId = newTrip();
        await booted.client.start({ tripID: tripId });
        await booted.client.outcome(tripId);
        const lines = booted.lines.filter((line) => line.startsWith(`saga ${tripId} `));
        assert.match(lines[0], /started on booking-machine-/);
        assert.deepEqual(lines.slice(1, -1).map((line) => line.replace(`saga ${tripId}   -> `, "")), [...FORWARD, "Succeeded"]);
        assert.match(lines[lines.length - 1], /SUCCEEDED in \d+ ms/);
    });

    it("answers 403 outside the stage, as API Gateway does, and tells a busy port clearly", async () => {
        assert.equal((await booted.client.get(`${booted.cloud.url}/elsewhere`)).status, 403);
        const port = Number(new URL(booted.cloud.url).port);
        await assert.rejects(startLocalCloud({ port, programDir: PROJECT_ROOT, log: () => undefined }), (error: Error) => {
            assert.ok(error instanceof PortInUseError);
            assert.match(error.message, new RegExp(`Port ${port} .* already in use.*--port`));
            return true;
        });
    });
});
