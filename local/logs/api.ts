// The CloudWatch Logs API on the local cloud's port (AWS JSON 1.1: POST /,
// `X-Amz-Target: Logs_20140328.<Operation>`), so @aws-sdk/client-cloudwatch-logs, the AWS CLI
// (`aws logs filter-log-events --endpoint-url ...`) and the console read the log groups as on AWS.
// Served: DescribeLogGroups, DescribeLogStreams, GetLogEvents, FilterLogEvents; each request signed
// and allowed first (local/iam, signing name `logs`).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Answer, awsJsonAuthError, readBody, send, ServiceShape } from "../http";
import type { ActionRequest, IamGate } from "../iam/gate";
import { compileFilterPattern, UnreadablePattern } from "./filter-pattern";
import type { LocalLogs, LogEvent, LogGroup } from "./service";

export const LOGS_TARGET_PREFIX = "Logs_20140328.";
/** The largest request read (the reads take a few fields). */
const MAX_REQUEST_BYTES = 1_048_576;
/** What GetLogEvents and FilterLogEvents answer at most (AWS: 10,000 events, or 1 MB). */
const MAX_EVENTS = 10_000;

export class LogsError extends Error {
    constructor(
        readonly type: string,
        message: string,
        readonly statusCode = 400,
    ) {
        super(message);
        this.name = type;
    }
}

function logsAnswer(statusCode: number, type: string, message: string): Answer {
    return { statusCode, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() }, body: JSON.stringify({ __type: type, message }) };
}

/** CloudWatch Logs' answers for what is not an operation's error. */
export const LOGS_SHAPE: ServiceShape = {
    name: "CloudWatch Logs",
    tooLarge: (limit) => logsAnswer(413, "RequestEntityTooLargeException", `Request size exceeds ${limit} bytes.`),
    internalFailure: () => logsAnswer(500, "ServiceUnavailableException", "Internal error of the local cloud; see its log."),
};

type Request = Record<string, unknown>;

const invalid = (message: string) => new LogsError("InvalidParameterException", message);

function text(request: Request, field: string): string | undefined {
    const value = request[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw new LogsError("SerializationException", `'${field}' must be a string, not ${JSON.stringify(value)}.`);
    return value;
}

function count(request: Request, field: string, max: number): number | undefined {
    const value = request[field];
    if (value === undefined || value === null) return undefined;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
        throw invalid(`1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have value between 1 and ${max}`);
    }
    return value as number;
}

function time(request: Request, field: string): number | undefined {
    const value = request[field];
    if (value === undefined || value === null) return undefined;
    if (!Number.isInteger(value) || (value as number) < 0) throw invalid(`1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    return value as number;
}

/** The group a request names (logGroupName, or logGroupIdentifier: a name or an ARN). */
function groupOf(logs: LocalLogs, request: Request): LogGroup {
    const name = text(request, "logGroupName");
    const identifier = text(request, "logGroupIdentifier");
    if (name !== undefined && identifier !== undefined) throw invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    if (name === undefined && identifier === undefined) throw invalid("Either LogGroup name or LogGroup ARN must be provided.");
    const group = identifier?.startsWith("arn:") ? logs.groupOfArn(identifier) : logs.group((name ?? identifier)!);
    if (!group) throw new LogsError("ResourceNotFoundException", "The specified log group does not exist.");
    return group;
}

/** An offset token of ours: `<prefix><offset>`; a token of another shape is InvalidParameterException. */
function offsetOf(token: string | undefined, prefix: string): number | undefined {
    if (token === undefined) return undefined;
    const offset = token.startsWith(prefix) ? Number(token.slice(prefix.length)) : NaN;
    if (!Number.isInteger(offset) || offset < 0) throw invalid("The specified nextToken is invalid.");
    return offset;
}

const eventOut = ({ timestamp, message, ingestionTime }: LogEvent) => ({ timestamp, message, ingestionTime });

const OPERATIONS: Record<string, (logs: LocalLogs, request: Request) => unknown> = {
    DescribeLogGroups(logs, request) {
        const prefix = text(request, "logGroupNamePrefix") ?? "";
        const limit = count(request, "limit", 50) ?? 50;
        const start = offsetOf(text(request, "nextToken"), "g/") ?? 0;
        const groups = logs.allGroups().filter((group) => group.logGroupName.startsWith(prefix));
        const page = groups.slice(start, start + limit);
        return {
            logGroups: page.map((group) => ({
                logGroupName: group.logGroupName,
                creationTime: group.creationTime,
                ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
                metricFilterCount: 0,
                arn: group.arn,
                logGroupArn: group.arn.replace(/:\*$/, ""),
                storedBytes: group.events.reduce((sum, event) => sum + Buffer.byteLength(event.message), 0),
                logGroupClass: "STANDARD",
            })),
            ...(start + limit < groups.length ? { nextToken: `g/${start + limit}` } : {}),
        };
    },
    DescribeLogStreams(logs, request) {
        const group = groupOf(logs, request);
        const prefix = text(request, "logStreamNamePrefix");
        const orderBy = text(request, "orderBy") ?? "LogStreamName";
        if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") throw invalid(`1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
        if (prefix !== undefined && orderBy === "LastEventTime") throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
        const limit = count(request, "limit", 50) ?? 50;
        const start = offsetOf(text(request, "nextToken"), "s/") ?? 0;
        const streams = [...group.streams.values()]
            .filter((stream) => prefix === undefined || stream.logStreamName.startsWith(prefix))
            .sort((a, b) => (orderBy === "LogStreamName" ? a.logStreamName.localeCompare(b.logStreamName) : (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0)));
        if (request.descending === true) streams.reverse();
        const page = streams.slice(start, start + limit);
        return {
            logStreams: page.map(({ events: _events, ...stream }) => ({
                ...stream,
                arn: `${group.arn.replace(/:\*$/, "")}:log-stream:${stream.logStreamName}`,
                storedBytes: 0,
            })),
            ...(start + limit < streams.length ? { nextToken: `s/${start + limit}` } : {}),
        };
    },
    GetLogEvents(logs, request) {
        const group = groupOf(logs, request);
        const streamName = text(request, "logStreamName");
        if (streamName === undefined) throw invalid("1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null");
        const stream = group.streams.get(streamName);
        if (!stream) throw new LogsError("ResourceNotFoundException", "The specified log stream does not exist.");
        const selected = logs.select(group, { logStreamNames: [streamName], startTime: time(request, "startTime"), endTime: time(request, "endTime") });
        const limit = count(request, "limit", MAX_EVENTS) ?? MAX_EVENTS;
        // Tokens: f/<n> reads forward from event n, b/<n> backward from before event n.
        const token = text(request, "nextToken");
        const forward = token ? token.startsWith("f/") : request.startFromHead === true;
        const at = offsetOf(token, forward ? "f/" : "b/");
        const from = forward ? (at ?? 0) : Math.max(0, (at ?? selected.length) - limit);
        const to = forward ? Math.min(selected.length, from + limit) : (at ?? selected.length);
        return { events: selected.slice(from, to).map(eventOut), nextForwardToken: `f/${to}`, nextBackwardToken: `b/${from}` };
    },
    FilterLogEvents(logs, request) {
        const group = groupOf(logs, request);
        const names = request.logStreamNames;
        if (names !== undefined && !(Array.isArray(names) && names.every((name) => typeof name === "string"))) throw invalid("logStreamNames must be a list of strings.");
        const logStreamNamePrefix = text(request, "logStreamNamePrefix");
        if (names !== undefined && logStreamNamePrefix !== undefined) throw invalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
        let matches: (message: string) => boolean;
        try {
            matches = compileFilterPattern(text(request, "filterPattern"));
        } catch (error) {
            if (error instanceof UnreadablePattern) throw invalid(error.message);
            throw error;
        }
        const selected = logs.select(group, {
            ...(names ? { logStreamNames: names as string[] } : {}),
            ...(logStreamNamePrefix !== undefined ? { logStreamNamePrefix } : {}),
            startTime: time(request, "startTime"),
            endTime: time(request, "endTime"),
            matches,
        });
        const limit = count(request, "limit", MAX_EVENTS) ?? MAX_EVENTS;
        const start = offsetOf(text(request, "nextToken"), "e/") ?? 0;
        const page = selected.slice(start, start + limit);
        return {
            events: page.map((event) => ({ logStreamName: event.logStreamName, ...eventOut(event), eventId: event.eventId })),
            searchedLogStreams: [],
            ...(start + limit < selected.length ? { nextToken: `e/${start + limit}` } : {}),
        };
    },
};

/** What a CloudWatch Logs request asks IAM for: `logs:<Operation>` on the log group it names (or on every group). */
export function logsRequest(operation: string, request: Request, { region, account }: { region: string; account: string }): ActionRequest {
    const identifier = [request.logGroupIdentifier, request.logGroupName].find((value): value is string => typeof value === "string");
    const group = identifier === undefined ? "*" : identifier.startsWith("arn:") ? identifier.replace(/:\*$/, "").split(":log-group:")[1] : identifier;
    return { action: `logs:${operation}`, resource: `arn:aws:logs:${region}:${account}:log-group:${group}:*` };
}

export async function handleLogsRequest(logs: LocalLogs, iam: IamGate, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const operation = String(request.headers["x-amz-target"]).slice(LOGS_TARGET_PREFIX.length);
    try {
        const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
        if (!handler) throw new LogsError("UnknownOperationException", `The local cloud does not serve CloudWatch Logs' ${operation}; it serves ${Object.keys(OPERATIONS).join(", ")}.`);
        const raw = await readBody(request, MAX_REQUEST_BYTES);
        const authenticated = await iam.authenticate(request, raw, "logs", `CloudWatch Logs ${operation}`);
        if ("problem" in authenticated) return send(response, awsJsonAuthError(authenticated.problem));
        const body: unknown = raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw new LogsError("SerializationException", "The request body must be a JSON object.");
        const denied = iam.authorize(authenticated.caller, [logsRequest(operation, body as Request, iam.arns)]);
        if (denied) return send(response, awsJsonAuthError(denied));
        const text = JSON.stringify(handler(logs, body as Request));
        send(response, { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() }, body: text });
    } catch (error) {
        if (error instanceof LogsError) return send(response, logsAnswer(error.statusCode, error.type, error.message));
        if (error instanceof SyntaxError) return send(response, logsAnswer(400, "SerializationException", error.message));
        throw error;
    }
}
