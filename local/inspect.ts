// The endpoints for people and tests looking inside the local cloud:
//   GET    /_local                what was deployed: outputs, routes, provisioned and acknowledged resources;
//                                 `data`: the data folder's status (data-folder.ts), null without one
//   GET    /_local/data           the data folder's status alone: what its start dropped, whether it
//                                 can be written now, whether the last stop's seal was verified
//   GET    /_local/queues         every queue with its messages (the saga's failure records, what
//                                 the functions sent through the SQS API)
//   GET    /_local/queues/<name>  one queue (its `url` output points here)
//   DELETE /_local/queues/<name>  purges it
//   GET    /_local/metrics        Lambda requests, DynamoDB requests, Step Functions transitions (metrics.ts)
//   DELETE /_local/metrics        starts counting afresh; answers the counts until then
//   GET    /_local/faults         the compensation failure rate of each function (faults.ts)
//   PUT    /_local/faults         sets it, e.g. {"compensationFailureRate": 0} ends a fault while sagas run
//   GET    /_local/schedules      the EventBridge schedule rules, with when each fires next
//   POST   /_local/schedules/<rule>  fires a schedule rule now, as at one of its firings
//   GET    /_local/logs           every log group, with its streams and how many events each holds
//   GET    /_local/logs/<group>   a group's events, oldest first, JSON messages parsed (`json`); the group
//                                 name percent-encoded or not (/_local/logs//aws/vendedlogs/states/x);
//                                 ?stream=<name or prefix*>&since=<epoch ms>&limit=<n> (the newest n)
//   GET    /_local/functions/<name>/invocations  the function's newest invocations (at most 500), each
//                                 with its request id, times, the SHA-256 of its event and the lines its
//                                 code wrote; ?since=<epoch ms>&until=<epoch ms> keeps those that ran then
import type { IncomingMessage, ServerResponse } from "node:http";
import { UnpersistedWrite } from "./data-folder";
import type { DataFolderStatus } from "./data-folder";
import { sendJson } from "./http";
import type { InvocationRecord } from "./lambda/function";
import type { LocalLogs } from "./logs/service";
import type { CloudMetrics } from "./metrics";
import type { LocalQueue } from "./sqs/queue";

export interface CloudView {
    overview(): object;
    queues(): LocalQueue[];
    metrics: CloudMetrics;
    /** The data folder's status; undefined: in memory. */
    data(): DataFolderStatus | undefined;
    /** GET and PUT /_local/faults. */
    faults(request: IncomingMessage, response: ServerResponse): Promise<void> | void;
    /** The log groups; none when absent. */
    logs?: LocalLogs;
    /** Each function's remembered invocations, by the function's name; none when absent. */
    invocations?(functionName: string): InvocationRecord[] | undefined;
    /** The EventBridge schedule rules; none when absent. */
    schedules?: {
        list(): { name: string; expression: string; nextFiring?: number }[];
        /** False when there is no schedule rule of that name. */
        fire(rule: string): boolean;
    };
}

export function inspectHandler(view: CloudView) {
    return (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> | void => {
        const method = request.method ?? "GET";
        const [, , collection, name, ...rest] = url.pathname.split("/");
        if (collection === undefined && method === "GET") return sendJson(response, 200, view.overview());
        if (collection === "metrics" && name === undefined && method === "GET") return sendJson(response, 200, view.metrics.snapshot());
        if (collection === "metrics" && name === undefined && method === "DELETE") return sendJson(response, 200, view.metrics.reset());
        if (collection === "faults" && name === undefined) return view.faults(request, response);
        if (collection === "logs" && method === "GET") return serveLogs(view.logs, response, url);
        if (collection === "data" && name === undefined && method === "GET") return sendJson(response, 200, view.data() ?? null);
        if (collection === "schedules" && name === undefined && method === "GET") {
            return sendJson(response, 200, { schedules: (view.schedules?.list() ?? []).map((s) => ({ ...s, nextFiring: s.nextFiring && new Date(s.nextFiring).toISOString() })) });
        }
        if (collection === "schedules" && name !== undefined && rest.length === 0 && method === "POST") {
            let rule: string;
            try {
                rule = decodeURIComponent(name);
            } catch {
                return sendJson(response, 400, { message: `The rule name in ${url.pathname} is not valid percent-encoding.` });
            }
            if (!view.schedules?.fire(rule)) return sendJson(response, 404, { message: `No schedule rule named ${rule}; GET /_local/schedules lists them.` });
            return sendJson(response, 202, { fired: rule });
        }
        if (collection === "queues" && name === undefined && method === "GET") {
            return sendJson(response, 200, { queues: view.queues().map((queue) => queue.summary()) });
        }
        if (collection === "functions" && name !== undefined && rest.length === 1 && rest[0] === "invocations" && method === "GET") return serveInvocations(view, name, response, url);
        if (collection === "queues" && name !== undefined && rest.length === 0) {
            let decoded: string;
            try {
                decoded = decodeURIComponent(name);
            } catch {
                return sendJson(response, 400, { message: `The queue name in ${url.pathname} is not valid percent-encoding.` });
            }
            const queue = view.queues().find((candidate) => candidate.name === decoded);
            if (!queue) return sendJson(response, 404, { message: `No queue named ${name}; GET /_local/queues lists them.` });
            if (method === "GET") return sendJson(response, 200, queue.summary());
            if (method === "DELETE") {
                try {
                    return sendJson(response, 200, { purged: queue.purge() });
                } catch (error) {
                    if (error instanceof UnpersistedWrite) return sendJson(response, 503, { message: error.message });
                    throw error;
                }
            }
        }
        sendJson(response, 404, {
            message: "The local endpoints are GET /_local, GET /_local/data, GET /_local/queues, GET and DELETE /_local/queues/<name>, GET and DELETE /_local/metrics, GET and PUT /_local/faults, GET /_local/schedules, POST /_local/schedules/<rule>, GET /_local/logs, GET /_local/logs/<group>, GET /_local/functions/<name>/invocations.",
        });
    };
}

/** GET /_local/functions/<name>/invocations (see the top of this file). */
function serveInvocations(view: CloudView, name: string, response: ServerResponse, url: URL): void {
    let decoded: string;
    try {
        decoded = decodeURIComponent(name);
    } catch {
        return sendJson(response, 400, { message: `The function name in ${url.pathname} is not valid percent-encoding.` });
    }
    const invocations = view.invocations?.(decoded);
    if (!invocations) return sendJson(response, 404, { message: `No function named ${decoded} runs here.` });
    const bounds: Record<string, number> = {};
    for (const key of ["since", "until"]) {
        const value = url.searchParams.get(key);
        if (value === null) continue;
        if (!/^\d+$/.test(value)) return sendJson(response, 400, { message: `?${key} takes a whole number of epoch milliseconds, not "${value}".` });
        bounds[key] = Number(value);
    }
    // Those that ran at some moment between since and until.
    const selected = invocations.filter((record) => (bounds.since === undefined || (record.endedAt ?? Infinity) >= bounds.since) && (bounds.until === undefined || record.startedAt <= bounds.until));
    sendJson(response, 200, { functionName: decoded, invocations: selected });
}

/** GET /_local/logs and GET /_local/logs/<group> (see the top of this file). */
function serveLogs(logs: LocalLogs | undefined, response: ServerResponse, url: URL): void {
    const rest = url.pathname.slice("/_local/logs".length).replace(/^\//, "");
    if (rest === "") {
        const groups = (logs?.allGroups() ?? []).map((group) => ({
            logGroupName: group.logGroupName,
            arn: group.arn,
            events: group.events.length,
            streams: [...group.streams.values()].map((stream) => ({ logStreamName: stream.logStreamName, events: stream.events.length, lastEventTimestamp: stream.lastEventTimestamp })),
        }));
        return sendJson(response, 200, { logGroups: groups });
    }
    let name: string;
    try {
        name = decodeURIComponent(rest);
    } catch {
        return sendJson(response, 400, { message: `The log group name in ${url.pathname} is not valid percent-encoding.` });
    }
    const group = logs?.group(name) ?? logs?.group(`/${name}`);
    if (!group) return sendJson(response, 404, { message: `No log group named ${name}; GET /_local/logs lists them.` });
    const stream = url.searchParams.get("stream") ?? undefined;
    const since = url.searchParams.get("since");
    const limit = url.searchParams.get("limit");
    for (const [key, value] of [["since", since], ["limit", limit]] as const) {
        if (value !== null && !/^\d+$/.test(value)) return sendJson(response, 400, { message: `?${key} takes a whole number, not "${value}".` });
    }
    const selected = logs!.select(group, {
        ...(stream === undefined ? {} : stream.endsWith("*") ? { logStreamNamePrefix: stream.slice(0, -1) } : { logStreamNames: [stream] }),
        ...(since !== null ? { startTime: Number(since) } : {}),
    });
    const events = limit !== null ? selected.slice(Math.max(0, selected.length - Number(limit))) : selected;
    sendJson(response, 200, {
        logGroupName: group.logGroupName,
        events: events.map((event) => ({ ...event, json: parseJson(event.message) })),
    });
}

function parseJson(message: string): unknown {
    try {
        return JSON.parse(message);
    } catch {
        return undefined;
    }
}
