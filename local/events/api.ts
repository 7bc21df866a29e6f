// The EventBridge API (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Operation>`) on the local cloud's
// one port: ListRules, DescribeRule and ListTargetsByRule read the rules and targets the program
// declared; PutEvents puts custom events on the default bus, where each enabled rule whose pattern
// matches delivers them to its targets, as the events of Step Functions are (local/events/service.ts).
// Each request signed and allowed first (local/iam), errors as EventBridge gives them.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Answer, awsJsonAuthError, readBody, send, ServiceShape } from "../http";
import type { IamGate } from "../iam/gate";
import type { LocalEventBridge } from "./service";

export const EVENTS_TARGET_PREFIX = "AWSEvents.";
/** PutEvents: 256 KB per request; the body read is bounded a little above. */
const MAX_REQUEST_BYTES = 512 * 1024;
const MAX_ENTRY_BYTES = 256 * 1024;

function eventsAnswer(statusCode: number, type: string, message: string): Answer {
    return { statusCode, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() }, body: JSON.stringify({ __type: type, message }) };
}

export const EVENTS_SHAPE: ServiceShape = {
    name: "EventBridge",
    tooLarge: (limit) => eventsAnswer(413, "RequestEntityTooLargeException", `Request size exceeds ${limit} bytes.`),
    internalFailure: () => eventsAnswer(500, "InternalException", "Internal error of the local cloud; see its log."),
};

class EventsError extends Error {
    constructor(
        readonly type: string,
        message: string,
        readonly statusCode = 400,
    ) {
        super(message);
    }
}

type Request = Record<string, unknown>;
type Operation = (events: LocalEventBridge, request: Request, context: { account: string; region: string }) => object;

const DEFAULT_BUS = "default";

function busOf(request: Request): string {
    const bus = request.EventBusName;
    if (bus === undefined || bus === null) return DEFAULT_BUS;
    if (typeof bus !== "string") throw new EventsError("ValidationException", "EventBusName must be a string.");
    // A bus may be named by its ARN.
    return bus.startsWith("arn:") ? bus.split("/").pop()! : bus;
}

function ruleOf(events: LocalEventBridge, request: Request, field: "Name" | "Rule") {
    const name = request[field];
    if (typeof name !== "string" || name === "") throw new EventsError("ValidationException", `1 validation error detected: Value null at '${field.toLowerCase()}' failed to satisfy constraint: Member must not be null`);
    const bus = busOf(request);
    const rule = events.ruleList().find((candidate) => candidate.name === name && (candidate.onDefaultBus ? DEFAULT_BUS : candidate.bus) === bus);
    if (!rule) throw new EventsError("ResourceNotFoundException", `Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
}

const OPERATIONS: Record<string, Operation> = {
    ListRules(events, request) {
        const bus = busOf(request);
        const prefix = typeof request.NamePrefix === "string" ? request.NamePrefix : "";
        const limit = request.Limit;
        if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= 100)) {
            throw new EventsError("ValidationException", `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`);
        }
        const rules = events
            .ruleList()
            .filter((rule) => (rule.onDefaultBus ? DEFAULT_BUS : rule.bus) === bus && rule.name.startsWith(prefix))
            .sort((a, b) => a.name.localeCompare(b.name));
        const start = typeof request.NextToken === "string" ? Number(Buffer.from(request.NextToken, "base64url").toString()) : 0;
        if (!Number.isInteger(start) || start < 0) throw new EventsError("ValidationException", "The NextToken provided is invalid.");
        const end = start + ((limit as number | undefined) ?? 100);
        return {
            Rules: rules.slice(start, end).map((rule) => describe(rule, bus)),
            ...(end < rules.length ? { NextToken: Buffer.from(String(end)).toString("base64url") } : {}),
        };
    },
    DescribeRule(events, request, { account }) {
        const rule = ruleOf(events, request, "Name");
        return { ...describe(rule, busOf(request)), CreatedBy: account };
    },
    ListTargetsByRule(events, request) {
        const rule = ruleOf(events, request, "Rule");
        return {
            Targets: events.targetsOf(rule.name).map((target) => ({
                Id: target.targetId,
                Arn: target.arn,
                ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
                RetryPolicy: { MaximumEventAgeInSeconds: target.maximumEventAgeSeconds, MaximumRetryAttempts: 185 },
            })),
        };
    },
    PutEvents(events, request, { account, region }) {
        const entries = request.Entries;
        if (!Array.isArray(entries) || entries.length === 0) {
            throw new EventsError("ValidationException", "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
        }
        if (entries.length > 10) {
            throw new EventsError("ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10");
        }
        const answered = entries.map((raw: unknown) => {
            const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Request;
            const failed = (code: string, message: string) => ({ ErrorCode: code, ErrorMessage: message });
            for (const field of ["Source", "DetailType", "Detail"]) {
                if (typeof entry[field] !== "string" || entry[field] === "") return failed("InvalidArgument", `Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
            }
            const source = entry.Source as string;
            if (/^aws\./.test(source)) return failed("NotAuthorizedForSourceException", "Not authorized for the source.");
            if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES) return failed("InvalidArgument", "Total size of the entries in the request is over the limit.");
            let detail: unknown;
            try {
                detail = JSON.parse(entry.Detail as string);
            } catch {
                return failed("MalformedDetail", "Detail is malformed.");
            }
            if (typeof detail !== "object" || detail === null || Array.isArray(detail)) return failed("MalformedDetail", "Detail is malformed.");
            const bus = busOf(entry);
            if (bus !== DEFAULT_BUS) return failed("ResourceNotFoundException", `Event bus ${bus} does not exist on the local cloud (only the default bus delivers here).`);
            const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === "number" ? entry.Time * 1000 : String(entry.Time));
            const id = randomUUID();
            events.put({
                version: "0",
                id,
                "detail-type": entry.DetailType as string,
                source,
                account,
                time: (Number.isNaN(time.getTime()) ? new Date() : time).toISOString().replace(/\.\d{3}Z$/, "Z"),
                region,
                resources: Array.isArray(entry.Resources) ? entry.Resources.filter((r): r is string => typeof r === "string") : [],
                detail,
            });
            return { EventId: id };
        });
        return { FailedEntryCount: answered.filter((entry) => "ErrorCode" in entry).length, Entries: answered };
    },
};

function describe(rule: ReturnType<LocalEventBridge["ruleList"]>[number], bus: string): object {
    return {
        Name: rule.name,
        Arn: rule.arn,
        ...(rule.patternText !== undefined ? { EventPattern: rule.patternText } : {}),
        ...(rule.schedule ? { ScheduleExpression: rule.schedule.expression } : {}),
        State: rule.enabled ? "ENABLED" : "DISABLED",
        EventBusName: bus,
    };
}

/** What an EventBridge request asks IAM for: the rule it names, the bus PutEvents puts on, else `*`. */
function eventsRequest(operation: string, request: Request, { account, region }: { account: string; region: string }) {
    const action = `events:${operation}`;
    let bus = DEFAULT_BUS;
    try {
        bus = busOf(request);
    } catch {
        // Answered by the operation.
    }
    const name = typeof request.Name === "string" ? request.Name : typeof request.Rule === "string" ? request.Rule : undefined;
    if (name !== undefined) return { action, resource: `arn:aws:events:${region}:${account}:rule/${bus === DEFAULT_BUS ? "" : `${bus}/`}${name}` };
    if (operation === "PutEvents") return { action, resource: `arn:aws:events:${region}:${account}:event-bus/${bus}` };
    return { action, resource: "*" };
}

export async function handleEventsRequest(events: LocalEventBridge, iam: IamGate, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const operation = String(request.headers["x-amz-target"]).slice(EVENTS_TARGET_PREFIX.length);
    try {
        const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
        if (!handler) throw new EventsError("UnknownOperationException", `The local cloud does not serve EventBridge's ${operation}; it serves ${Object.keys(OPERATIONS).join(", ")}.`);
        const raw = await readBody(request, MAX_REQUEST_BYTES);
        const authenticated = await iam.authenticate(request, raw, "events", `EventBridge ${operation}`);
        if ("problem" in authenticated) return send(response, awsJsonAuthError(authenticated.problem));
        const body: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new EventsError("SerializationException", "The request body must be a JSON object.");
        const denied = iam.authorize(authenticated.caller, [eventsRequest(operation, body as Request, iam.arns)]);
        if (denied) return send(response, awsJsonAuthError(denied));
        const text = JSON.stringify(handler(events, body as Request, iam.arns));
        send(response, { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() }, body: text });
    } catch (error) {
        if (error instanceof EventsError) return send(response, eventsAnswer(error.statusCode, error.type, error.message));
        if (error instanceof SyntaxError) return send(response, eventsAnswer(400, "SerializationException", error.message));
        throw error;
    }
}
