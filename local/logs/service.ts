// CloudWatch Logs on this machine: the log groups the program declared (aws.cloudwatch.LogGroup),
// their streams and events, as the services write them (a state machine's execution events, at
// its logging level: states.ts), read back as CloudWatch Logs answers (DescribeLogGroups,
// DescribeLogStreams, GetLogEvents, FilterLogEvents: api.ts) and at GET /_local/logs/<group>.
// With a data folder every event is kept (logs/<group hash>.jsonl, one JSON line per event,
// appended as it is written), so a restart loses none; retention is not applied locally.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeLine, hasFields, readRecords } from "../jsonl";

export interface LogEvent {
    logStreamName: string;
    /** When it happened (epoch ms), as its writer says. */
    timestamp: number;
    /** When the group took it (epoch ms). */
    ingestionTime: number;
    message: string;
    /** Unique in the group; also its order of arrival. */
    eventId: string;
}

export interface LogStream {
    logStreamName: string;
    creationTime: number;
    firstEventTimestamp?: number;
    lastEventTimestamp?: number;
    lastIngestionTime?: number;
    /** Its events, in arrival order. */
    events: LogEvent[];
}

export interface LogGroup {
    logGroupName: string;
    /** arn:aws:logs:<region>:<account>:log-group:<name>:* as DescribeLogGroups reports it. */
    arn: string;
    creationTime: number;
    retentionInDays?: number;
    streams: Map<string, LogStream>;
    /** Every event of every stream, in arrival order. */
    events: LogEvent[];
}

export interface LogsOptions {
    region: string;
    account: string;
    /** Where the events are kept across restarts; in memory when absent. */
    dataDir?: string;
    log(line: string): void;
}

/** What FilterLogEvents and GET /_local/logs/<group> select. */
export interface EventQuery {
    logStreamNames?: string[];
    logStreamNamePrefix?: string;
    startTime?: number;
    endTime?: number;
    /** Which events match (CloudWatch Logs' filter pattern syntax, the subset `filterPattern.ts` reads). */
    matches?: (message: string) => boolean;
}

export interface KeptLine {
    stream: string;
    timestamp: number;
    ingestionTime: number;
    message: string;
}

export class LocalLogs {
    private readonly groups = new Map<string, LogGroup>();
    private sequence = 0;

    constructor(private readonly options: LogsOptions) {}

    /** The ARN a group has on AWS (the provider's `arn` output, without the `:*`). */
    groupArn(name: string): string {
        return `arn:aws:logs:${this.options.region}:${this.options.account}:log-group:${name}`;
    }

    /** Creates the group, with what the data folder kept of it; creating it again changes nothing but its retention. */
    createLogGroup(name: string, retentionInDays?: number): LogGroup {
        const existing = this.groups.get(name);
        if (existing) {
            existing.retentionInDays = retentionInDays;
            return existing;
        }
        const group: LogGroup = { logGroupName: name, arn: `${this.groupArn(name)}:*`, creationTime: Date.now(), retentionInDays, streams: new Map(), events: [] };
        this.groups.set(name, group);
        const file = this.file(name);
        if (file) {
            for (const line of readKeptLog(file, (warning) => this.options.log(`CloudWatch Logs data: ${warning}`))) {
                this.add(group, line.stream, line.timestamp, line.message, line.ingestionTime);
            }
        }
        return group;
    }

    group(name: string): LogGroup | undefined {
        return this.groups.get(name);
    }

    /** The group a log group ARN names (with or without the trailing `:*`). */
    groupOfArn(arn: string): LogGroup | undefined {
        const name = /^arn:aws[\w-]*:logs:[^:]*:[^:]*:log-group:(.+?)(:\*)?$/.exec(arn)?.[1];
        return name === undefined ? undefined : this.groups.get(name);
    }

    allGroups(): LogGroup[] {
        return [...this.groups.values()].sort((a, b) => a.logGroupName.localeCompare(b.logGroupName));
    }

    /** Writes events to a stream of the group (created at its first event); false when there is no such group. */
    put(groupName: string, streamName: string, events: { timestamp: number; message: string }[]): boolean {
        const group = this.groups.get(groupName);
        if (!group) return false;
        const file = this.file(groupName);
        const now = Date.now();
        const lines: string[] = [];
        for (const { timestamp, message } of events) {
            this.add(group, streamName, timestamp, message, now);
            if (file) lines.push(encodeLine({ stream: streamName, timestamp, ingestionTime: now, message } satisfies KeptLine));
        }
        if (file && lines.length > 0) {
            try {
                fs.appendFileSync(file, lines.join(""));
            } catch (error) {
                this.options.log(`CloudWatch Logs data: could not write ${file} (${(error as Error).message}): these events will not be there after a restart.`);
            }
        }
        return true;
    }

    /** The group's events that the query selects, oldest first (by timestamp, then arrival). */
    select(group: LogGroup, query: EventQuery): LogEvent[] {
        const streams = query.logStreamNames ? new Set(query.logStreamNames) : undefined;
        return group.events
            .filter(
                (event) =>
                    (!streams || streams.has(event.logStreamName)) &&
                    (query.logStreamNamePrefix === undefined || event.logStreamName.startsWith(query.logStreamNamePrefix)) &&
                    (query.startTime === undefined || event.timestamp >= query.startTime) &&
                    (query.endTime === undefined || event.timestamp <= query.endTime) &&
                    (!query.matches || query.matches(event.message)),
            )
            .sort((a, b) => a.timestamp - b.timestamp || Number(a.eventId) - Number(b.eventId));
    }

    private add(group: LogGroup, streamName: string, timestamp: number, message: string, ingestionTime: number): void {
        let stream = group.streams.get(streamName);
        if (!stream) {
            stream = { logStreamName: streamName, creationTime: ingestionTime, events: [] };
            group.streams.set(streamName, stream);
        }
        const event: LogEvent = { logStreamName: streamName, timestamp, ingestionTime, message, eventId: String(++this.sequence).padStart(20, "0") };
        stream.events.push(event);
        group.events.push(event);
        stream.firstEventTimestamp = Math.min(stream.firstEventTimestamp ?? timestamp, timestamp);
        stream.lastEventTimestamp = Math.max(stream.lastEventTimestamp ?? timestamp, timestamp);
        stream.lastIngestionTime = ingestionTime;
    }

    private file(groupName: string): string | undefined {
        if (!this.options.dataDir) return undefined;
        const dir = path.join(this.options.dataDir, "logs");
        fs.mkdirSync(dir, { recursive: true });
        return path.join(dir, `${createHash("sha256").update(groupName).digest("hex").slice(0, 32)}.jsonl`);
    }
}

/**
 * The events a log group's file of the data folder keeps (one record per event, ../jsonl.ts): a
 * damaged one stops the start (DataFolderDamaged), an event cut short by a crash is dropped.
 */
export function readKeptLog(file: string, warn: (line: string) => void): KeptLine[] {
    const check = hasFields({ stream: "string", timestamp: "number", ingestionTime: "number", message: "string" });
    return readRecords(file, { holds: "a log group's events", check, warn }) as KeptLine[];
}
