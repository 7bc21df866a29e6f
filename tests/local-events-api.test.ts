// The EventBridge API on the local cloud's port (issue 22, item 6), through
// @aws-sdk/client-eventbridge: the declared rules listed and described, their targets, and
// PutEvents with a custom source matched against the rules and delivered to their targets as
// EventBridge delivers (the event's envelope, the detail parsed), with EventBridge's per-entry errors.
import "./support/aws-env";
import {
    DescribeRuleCommand,
    EventBridgeClient,
    ListRulesCommand,
    ListTargetsByRuleCommand,
    PutEventsCommand,
    ResourceNotFoundException,
} from "@aws-sdk/client-eventbridge";
import assert from "node:assert/strict";
import { ApiGatewayService } from "../local/apigateway/gateway";
import { LocalEventBridge } from "../local/events/service";
import { LocalServer } from "../local/server";
import { StepFunctionsService } from "../local/sfn/service";
import { allowEveryCall, iamGate } from "./support/iam";
import { until } from "./support/until";

const RULE_ARN = (name: string) => `arn:aws:events:us-east-1:000000000000:rule/${name}`;
const QUEUE = "arn:aws:sqs:us-east-1:000000000000:bookings";
const PATTERN = JSON.stringify({ source: ["trips.booking"], "detail-type": ["Booking Confirmed"] });

describe("the local EventBridge API (ListRules, DescribeRule, ListTargetsByRule, PutEvents)", () => {
    let server: LocalServer;
    let events: LocalEventBridge;
    let client: EventBridgeClient;
    const delivered: unknown[] = [];

    before(async () => {
        events = new LocalEventBridge({
            targets: {
                invokeFunction: () => undefined,
                sendToQueue: (arn, body) => arn === QUEUE && delivered.push(JSON.parse(body)) > 0,
                refusedDestination: () => undefined,
            },
            log: () => undefined,
        });
        events.addRule({ name: "bookings", arn: RULE_ARN("bookings"), pattern: JSON.parse(PATTERN), patternText: PATTERN, enabled: true, onDefaultBus: true });
        events.addRule({ name: "paused", arn: RULE_ARN("paused"), pattern: { source: ["trips.booking"] }, patternText: '{"source":["trips.booking"]}', enabled: false, onDefaultBus: true });
        events.addTarget({ rule: "bookings", targetId: "queue", arn: QUEUE, maximumEventAgeSeconds: 3600 });
        events.addTarget({ rule: "paused", targetId: "queue", arn: QUEUE, maximumEventAgeSeconds: 3600 });
        const stepFunctions = new StepFunctionsService({
            region: "us-east-1",
            targets: { authorize: allowEveryCall, hasFunction: () => false, invokeFunction: async () => ({}), sendMessage: () => ({ MessageId: "unused" }) },
        });
        server = await LocalServer.listen(0, () => undefined);
        server.serve({
            dynamo: (_request, response) => response.writeHead(501).end(),
            // Enforced: the SDK's signatures, by the operator's credentials, are verified.
            iam: iamGate("enforce"),
            stepFunctions,
            gateway: new ApiGatewayService({ accountId: "000000000000", region: "us-east-1", iam: iamGate(), invoke: () => undefined, log: () => undefined }),
            inspect: (_request, response) => void response.writeHead(404).end(),
            events,
        });
        client = new EventBridgeClient({ endpoint: server.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    });
    after(async () => {
        client?.destroy();
        await events?.stop();
        await server?.close();
    });

    it("lists and describes the declared rules and their targets", async () => {
        const { Rules } = await client.send(new ListRulesCommand({}));
        assert.deepEqual(
            Rules?.map((rule) => [rule.Name, rule.State, rule.EventBusName, rule.Arn]),
            [
                ["bookings", "ENABLED", "default", RULE_ARN("bookings")],
                ["paused", "DISABLED", "default", RULE_ARN("paused")],
            ],
        );
        const page = await client.send(new ListRulesCommand({ Limit: 1, NamePrefix: "" }));
        assert.deepEqual([page.Rules?.map((rule) => rule.Name), typeof page.NextToken], [["bookings"], "string"]);
        const described = await client.send(new DescribeRuleCommand({ Name: "bookings" }));
        assert.deepEqual([described.EventPattern, described.State, described.CreatedBy], [PATTERN, "ENABLED", "000000000000"]);
        await assert.rejects(client.send(new DescribeRuleCommand({ Name: "missing" })), (error: Error) => {
            assert.ok(error instanceof ResourceNotFoundException, String(error));
            assert.equal(error.message, "Rule missing does not exist on EventBus default.");
            return true;
        });
        const { Targets } = await client.send(new ListTargetsByRuleCommand({ Rule: "bookings" }));
        assert.deepEqual(Targets?.map((target) => [target.Id, target.Arn, target.RetryPolicy?.MaximumEventAgeInSeconds]), [["queue", QUEUE, 3600]]);
    });

    it("puts custom events: a matching one reaches the enabled rule's target once, in EventBridge's envelope; bad entries fail one by one", async () => {
        const answer = await client.send(
            new PutEventsCommand({
                Entries: [
                    { Source: "trips.booking", DetailType: "Booking Confirmed", Detail: JSON.stringify({ tripId: "t-1" }), Resources: ["trip/t-1"] },
                    { Source: "trips.booking", DetailType: "Booking Cancelled", Detail: "{}" },
                    { Source: "aws.states", DetailType: "Booking Confirmed", Detail: "{}" },
                    { Source: "trips.booking", DetailType: "Booking Confirmed", Detail: "{not json" },
                ],
            }),
        );
        assert.equal(answer.FailedEntryCount, 2);
        assert.deepEqual(
            answer.Entries?.map((entry) => entry.ErrorCode ?? "ok"),
            ["ok", "ok", "NotAuthorizedForSourceException", "MalformedDetail"],
        );
        await until("the matching event to be delivered", () => delivered.length > 0 && delivered, 5_000);
        await events.idle();
        // Only the first matched (the second's detail-type does not; the paused rule is disabled).
        assert.equal(delivered.length, 1);
        const event = delivered[0] as Record<string, unknown>;
        assert.deepEqual(
            { ...event, id: undefined, time: undefined },
            { version: "0", id: undefined, "detail-type": "Booking Confirmed", source: "trips.booking", account: "000000000000", time: undefined, region: "us-east-1", resources: ["trip/t-1"], detail: { tripId: "t-1" } },
        );
        assert.equal(event.id, answer.Entries?.[0].EventId);
        assert.match(String(event.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
});
