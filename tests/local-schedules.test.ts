// EventBridge schedule rules on the local cloud: expressions read as EventBridge reads them (rate
// and cron, in UTC, with its refusals), each rule firing its targets with a "Scheduled Event" on
// its schedule, or every `scheduleEveryMs` when the local cloud is told to hurry, and no more once
// stopped.
import assert from "node:assert/strict";
import { InvalidSchedule, parseSchedule } from "../local/events/schedule";
import { LocalEventBridge } from "../local/events/service";
import type { InvokeResult } from "../local/lambda/function";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** The next `count` firings after `from`. */
const firings = (expression: string, from: string, count = 3) => {
    const schedule = parseSchedule(expression);
    const out: (string | undefined)[] = [];
    let t: number | undefined = at(from);
    for (let i = 0; i < count && t !== undefined; i++) out.push(iso((t = schedule.next(t))));
    return out;
};

describe("EventBridge schedule expressions (local/events/schedule.ts)", () => {
    it("fires a rate every period from the moment it is counted from", () => {
        assert.deepEqual(firings("rate(1 minute)", "2026-12-08T02:00:30.000Z"), ["2026-12-08T02:01:30.000Z", "2026-12-08T02:02:30.000Z", "2026-12-08T02:03:30.000Z"]);
        assert.deepEqual(firings("rate(2 hours)", "2026-12-08T02:00:00.000Z", 1), ["2026-12-08T04:00:00.000Z"]);
        assert.deepEqual(firings("rate(1 day)", "2026-12-08T02:00:00.000Z", 1), ["2026-12-09T02:00:00.000Z"]);
    });

    it("fires a cron at the minutes it names, in UTC: steps, ranges, lists, names, the last day of the month, a year", () => {
        assert.deepEqual(firings("cron(0/15 * * * ? *)", "2026-12-08T02:07:10.000Z"), ["2026-12-08T02:15:00.000Z", "2026-12-08T02:30:00.000Z", "2026-12-08T02:45:00.000Z"]);
        assert.deepEqual(firings("cron(* * * * ? *)", "2026-12-08T02:07:10.000Z", 2), ["2026-12-08T02:08:00.000Z", "2026-12-08T02:09:00.000Z"]);
        // 10:30 on weekdays: Friday 11th, then Monday 14th.
        assert.deepEqual(firings("cron(30 10 ? * MON-FRI *)", "2026-12-11T09:00:00.000Z", 2), ["2026-12-11T10:30:00.000Z", "2026-12-14T10:30:00.000Z"]);
        assert.deepEqual(firings("cron(0 12 ? * 1,7 *)", "2026-12-11T00:00:00.000Z", 2), ["2026-12-12T12:00:00.000Z", "2026-12-13T12:00:00.000Z"]);
        assert.deepEqual(firings("cron(0 0 L FEB ? *)", "2028-01-01T00:00:00.000Z", 1), ["2028-02-29T00:00:00.000Z"]);
        assert.deepEqual(firings("cron(0 8 1 JAN ? 2027)", "2026-12-08T00:00:00.000Z", 2), ["2027-01-01T08:00:00.000Z", undefined]);
        assert.equal(parseSchedule("cron(0 8 1 JAN ? 2027)").next(at("2027-06-01T00:00:00.000Z")), undefined, "none left after its year");
    });

    it("refuses what EventBridge refuses (ValidationException), and says which cron fields it does not compute", () => {
        const refused = (expression: string, why: RegExp) =>
            assert.throws(() => parseSchedule(expression), (error: Error) => error instanceof InvalidSchedule && error.name === "ValidationException" && error.message.startsWith("Parameter ScheduleExpression is not valid.") && why.test(error.message));
        refused("rate(1 minutes)", /write rate\(1 minute\)/);
        refused("rate(5 minute)", /rate\(5 minutes\)/);
        refused("rate(0 minutes)", /1 or more/);
        refused("rate(1 second)", /valid\.$/);
        refused("every minute", /valid\.$/);
        refused("cron(* * * * *)", /six fields/);
        refused("cron(0 12 * * * *)", /one of day-of-month and day-of-week must be \?/);
        refused("cron(0 12 ? * ? *)", /one of day-of-month and day-of-week must be \?/);
        refused("cron(61 * * * ? *)", /minutes takes 0-59, not "61"/);
        refused("cron(0 0 ? * FOO *)", /day-of-week takes 1-7 or SUN-SAT, not "FOO"/);
        refused("cron(0 0 ? * 6#3 *)", /does not compute day-of-week "6#3"/);
        refused("cron(0 0 15W * ? *)", /does not compute day-of-month "15W"/);
    });
});

describe("EventBridge schedule rules firing (local/events/service.ts)", () => {
    it("invokes the rule's targets with a Scheduled Event every scheduleEveryMs, and stops firing when stopped", async () => {
        const received: Record<string, unknown>[] = [];
        const events = new LocalEventBridge({
            scheduleEveryMs: 20,
            log: () => undefined,
            targets: {
                invokeFunction: (_name, event) => {
                    received.push(event as Record<string, unknown>);
                    return Promise.resolve({ ok: true, payload: null } as InvokeResult);
                },
                sendToQueue: () => true,
                refusedDestination: () => undefined,
            },
        });
        const ruleArn = "arn:aws:events:us-east-1:000000000000:rule/sweep";
        const functionArn = "arn:aws:lambda:us-east-1:000000000000:function:sweeper";
        events.addRule({ name: "sweep", arn: ruleArn, enabled: true, onDefaultBus: true, schedule: parseSchedule("rate(1 minute)") });
        events.addRule({ name: "off", arn: `${ruleArn}-off`, enabled: false, onDefaultBus: true, schedule: parseSchedule("rate(1 minute)") });
        events.addTarget({ rule: "sweep", targetId: "t", arn: functionArn, maximumEventAgeSeconds: 86_400 });
        events.addTarget({ rule: "off", targetId: "t", arn: functionArn, maximumEventAgeSeconds: 86_400 });
        events.addPermission({ functionName: functionArn, action: "lambda:InvokeFunction", principal: "events.amazonaws.com", sourceArn: ruleArn });
        events.startSchedules();
        while (received.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
        await events.stop();
        const fired = received.length;
        assert.deepEqual(Object.keys(received[0]).sort(), ["account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"]);
        assert.deepEqual([received[0]["detail-type"], received[0].source, received[0].resources, received[0].detail], ["Scheduled Event", "aws.events", [ruleArn], {}]);
        assert.match(String(received[0].time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(new Set(received.map((event) => event.id)).size, fired);
        // Stopped: no firing any more; the disabled rule never fired (every event names the enabled one).
        await new Promise((resolve) => setTimeout(resolve, 60));
        assert.equal(received.length, fired);
        assert.ok(received.every((event) => (event.resources as string[])[0] === ruleArn));
        assert.equal(events.fire("sweep"), false, "a stopped EventBridge fires nothing");
    });

    it("fires a rule on its own schedule by default, and at once when asked (POST /_local/schedules/<rule>)", async () => {
        const received: unknown[] = [];
        const events = new LocalEventBridge({
            log: () => undefined,
            targets: { invokeFunction: (_name, event) => (received.push(event), Promise.resolve({ ok: true, payload: null } as InvokeResult)), sendToQueue: () => true, refusedDestination: () => undefined },
        });
        const ruleArn = "arn:aws:events:us-east-1:000000000000:rule/hourly";
        events.addRule({ name: "hourly", arn: ruleArn, enabled: true, onDefaultBus: true, schedule: parseSchedule("rate(1 hour)") });
        events.addTarget({ rule: "hourly", targetId: "t", arn: "arn:aws:lambda:us-east-1:000000000000:function:f", maximumEventAgeSeconds: 86_400 });
        events.addPermission({ functionName: "f", action: "lambda:InvokeFunction", principal: "events.amazonaws.com" });
        const before = Date.now();
        events.startSchedules();
        const [listed] = events.schedules();
        assert.equal(listed.expression, "rate(1 hour)");
        assert.ok(listed.nextFiring! >= before + 3_600_000 && listed.nextFiring! <= Date.now() + 3_600_000);
        assert.equal(events.fire("nope"), false);
        assert.equal(events.fire("hourly"), true);
        await events.idle();
        assert.equal(received.length, 1);
        await events.stop();
    });
});
