// EventBridge on this machine: the rules and targets the program declared, fed the events the local
// services send (Step Functions' "Execution Status Change" of every execution), delivering each
// event to the targets of every enabled rule on the default bus whose pattern matches
// (components/model/event-pattern.ts), as EventBridge and Lambda do:
//   - a Lambda target is invoked asynchronously, if the function's resource policy (a Permission)
//     lets events.amazonaws.com invoke it for that rule. A failed invocation is retried as Lambda
//     retries an asynchronous one (FunctionEventInvokeConfig's maximumRetryAttempts, default 2,
//     and maximumEventAgeInSeconds), then its invocation record goes to the onFailure destination
//     (an SQS queue);
//   - an SQS target gets the event as its message body;
//   - an event that cannot reach its target (no such function or queue, no permission, too old)
//     goes at once to the target's dead-letter queue, with EventBridge's error attributes:
//     EventBridge does not retry those errors, and no other (throttling, outages) occurs here.
// With a data folder, an event with somewhere to go is written down before it is delivered and
// marked delivered once every delivery has ended, the Lambda's retries and destination included;
// a stop or a crash leaves the rest to the next start, which delivers it again: at least once, as
// EventBridge delivers. A stop ends deliveries where they are (no retry, no destination).
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { matchesPattern } from "../../components/model/event-pattern";
import { statusChangeEvent } from "../../components/model/status-change";
import type { ArnContext } from "../../components/model/arns";
import { appendRecord, encodeLine, readRecords } from "../jsonl";
import { Schedule, scheduledEvent } from "./schedule";
import type { InvokeResult } from "../lambda/function";
import type { ExecutionRecord } from "../sfn/record";
import type { MessageAttribute } from "../sqs/queue";

/** An event as EventBridge carries it: at least these fields. */
export interface BusEvent {
    id: string;
    source: string;
    "detail-type": string;
    /** ISO 8601. */
    time: string;
    [field: string]: unknown;
}

export interface EventRuleSpec {
    name: string;
    arn: string;
    /** Undefined: no pattern (a schedule), or one that is not JSON: it matches nothing. */
    pattern?: Record<string, unknown>;
    enabled: boolean;
    /** Only the default bus receives the AWS services' events. */
    onDefaultBus: boolean;
    /** A schedule rule's (scheduleExpression): its targets get a "Scheduled Event" at each firing. */
    schedule?: Schedule;
    /** The bus it is on, when not the default one. */
    bus?: string;
    /** The eventPattern as the program wrote it (what DescribeRule answers). */
    patternText?: string;
}

export interface EventTargetSpec {
    /** The rule's name. */
    rule: string;
    targetId: string;
    arn: string;
    deadLetterArn?: string;
    /** The retry policy's maximumEventAgeInSeconds (default 24 hours); its maximumRetryAttempts never comes into play here. */
    maximumEventAgeSeconds: number;
}

/** A function's asynchronous invocation settings (FunctionEventInvokeConfig). */
export interface AsyncInvokeSpec {
    functionName: string;
    maximumRetryAttempts: number;
    maximumEventAgeSeconds: number;
    onFailure?: string;
    onSuccess?: string;
}

/** One statement of a function's resource policy (a Permission). */
export interface InvokePermission {
    functionName: string;
    action: string;
    principal: string;
    sourceArn?: string;
}

/** What the events reach. */
export interface EventTargets {
    /** Invokes a function, by ARN or name; undefined when there is no such function. */
    invokeFunction(functionName: string, event: unknown): Promise<InvokeResult> | undefined;
    /** Sends a message to the queue with this ARN; false when there is no such queue. */
    sendToQueue(queueArn: string, body: string, attributes?: Record<string, MessageAttribute>): boolean;
    /**
     * Lambda sends an asynchronous invocation's record to its destination with the function's role:
     * why that role may not send to the queue, or undefined when it may.
     */
    refusedDestination(functionName: string, queueArn: string): string | undefined;
}

export interface EventBridgeOptions {
    targets: EventTargets;
    /** Milliseconds between the retries of an asynchronous invocation; undefined: Lambda's (1 minute, then 2). */
    retryIntervalMs?: number;
    /** Where pending events are kept across restarts; in memory when absent. */
    dataDir?: string;
    /** Told when a write to the data folder fails. */
    onWriteFailed?(error: unknown): void;
    log(line: string): void;
    /**
     * Fire every schedule rule every this many milliseconds instead of on its own schedule (tests,
     * chaos, `npm start -- --schedules-every <ms>`); undefined: each on its schedule, as EventBridge.
     */
    scheduleEveryMs?: number;
}

/** Lambda's defaults for asynchronous invocation. */
export const LAMBDA_ASYNC_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 };
/** EventBridge's default maximumEventAgeInSeconds of a target. */
export const DEFAULT_TARGET_EVENT_AGE_SECONDS = 86_400;

const EVENTS_PRINCIPAL = "events.amazonaws.com";

/** The function name inside a Lambda ARN (qualifier dropped), or the name itself. */
export function functionNameOf(nameOrArn: string): string {
    return /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(nameOrArn)?.[1] ?? nameOrArn.split(":")[0];
}

const service = (arn: string) => arn.split(":")[2];

export class LocalEventBridge {
    private readonly rules = new Map<string, EventRuleSpec>();
    private readonly targets: EventTargetSpec[] = [];
    private readonly asyncConfigs = new Map<string, AsyncInvokeSpec>();
    private readonly permissions: InvokePermission[] = [];
    private readonly journal?: EventJournal;
    /** What the data folder kept undelivered, read before any new event is taken; `resume` delivers it. */
    private readonly kept: BusEvent[];
    private readonly inFlight = new Set<Promise<void>>();
    /** Ended by `stop`: no delivery starts, retries and destinations are left to the next start. */
    private readonly stopped = new AbortController();
    /** The timer of each schedule rule's next firing, once `startSchedules` has run. */
    private readonly scheduleTimers = new Map<string, NodeJS.Timeout>();
    /** When each schedule rule fires next (epoch ms). */
    private readonly nextFirings = new Map<string, number>();

    constructor(private readonly options: EventBridgeOptions) {
        if (options.dataDir) this.journal = new EventJournal(options.dataDir, (line) => options.log(`EventBridge data: ${line}`), options.onWriteFailed);
        this.kept = this.journal?.load() ?? [];
    }

    addRule(rule: EventRuleSpec): void {
        this.rules.set(rule.name, rule);
    }

    /** The rules the program declared (ListRules, DescribeRule). */
    ruleList(): EventRuleSpec[] {
        return [...this.rules.values()];
    }

    /** A rule's targets (ListTargetsByRule). */
    targetsOf(ruleName: string): EventTargetSpec[] {
        return this.targets.filter((target) => target.rule === ruleName);
    }

    addTarget(target: EventTargetSpec): void {
        this.targets.push(target);
    }

    addAsyncInvokeConfig(config: AsyncInvokeSpec): void {
        this.asyncConfigs.set(functionNameOf(config.functionName), config);
    }

    addPermission(permission: InvokePermission): void {
        this.permissions.push({ ...permission, functionName: functionNameOf(permission.functionName) });
    }

    /** The targets of every rule the event matches: where it goes. */
    private routesOf(event: BusEvent): { rule: EventRuleSpec; target: EventTargetSpec }[] {
        return [...this.rules.values()]
            .filter((rule) => rule.enabled && rule.onDefaultBus && rule.pattern !== undefined && matchesPattern(rule.pattern, event))
            .flatMap((rule) => this.targets.filter((target) => target.rule === rule.name).map((target) => ({ rule, target })));
    }

    /** PutEvents, as an AWS service does it: the event goes to every matching rule's targets. Never throws. */
    put(event: BusEvent): void {
        try {
            if (this.routesOf(event).length === 0) return;
            this.journal?.add(event);
            this.deliver(event);
        } catch (error) {
            this.options.log(`EventBridge: could not take the event ${event.id}: ${(error as Error).stack ?? String(error)}`);
        }
    }

    /** Delivers again what the data folder kept undelivered (once the targets are deployed); answers how many events. */
    resume(): number {
        const kept = this.kept.splice(0);
        for (const event of kept) this.deliver(event);
        return kept.length;
    }

    /** Whether a delivery is under way. */
    get busy(): boolean {
        return this.inFlight.size > 0;
    }

    /** Resolves when no delivery is under way. */
    async idle(): Promise<void> {
        while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    }

    /** Starts no delivery, retry or destination any more; what is left stays in the data folder. No schedule fires. */
    async stop(): Promise<void> {
        this.stopped.abort();
        for (const timer of this.scheduleTimers.values()) clearTimeout(timer);
        this.scheduleTimers.clear();
        await this.idle();
    }

    /**
     * Starts firing the enabled schedule rules (once their targets are deployed): each at its
     * schedule's next time from now, or every `scheduleEveryMs`. A firing missed while the local
     * cloud was down is not made up for, as EventBridge makes up none.
     */
    startSchedules(): void {
        for (const rule of this.rules.values()) {
            if (rule.schedule && rule.enabled && rule.onDefaultBus) this.scheduleNext(rule, Date.now());
        }
    }

    /** The schedule rules, with their next firing (epoch ms; undefined: not scheduled). */
    schedules(): { name: string; arn: string; expression: string; enabled: boolean; nextFiring?: number }[] {
        return [...this.rules.values()]
            .filter((rule) => rule.schedule)
            .map((rule) => ({ name: rule.name, arn: rule.arn, expression: rule.schedule!.expression, enabled: rule.enabled, nextFiring: this.nextFirings.get(rule.name) }));
    }

    /** Fires a schedule rule now (POST /_local/schedules/<rule>), as at one of its firings; false when there is no such schedule rule. */
    fire(ruleName: string): boolean {
        const rule = this.rules.get(ruleName);
        if (!rule?.schedule || this.stopped.signal.aborted) return false;
        this.fireRule(rule, Date.now());
        return true;
    }

    private scheduleNext(rule: EventRuleSpec, after: number): void {
        const every = this.options.scheduleEveryMs;
        const at = every !== undefined ? after + every : rule.schedule!.next(after);
        if (at === undefined || this.stopped.signal.aborted) return void this.nextFirings.delete(rule.name);
        this.nextFirings.set(rule.name, at);
        // Long waits in steps: a timer takes at most 2^31-1 ms.
        const timer = setTimeout(() => (Date.now() >= at ? (this.fireRule(rule, at), this.scheduleNext(rule, at)) : this.scheduleNext(rule, after)), Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1));
        timer.unref();
        this.scheduleTimers.set(rule.name, timer);
    }

    /** One firing: the rule's targets get the scheduled event (not written down: a firing cut short by a stop is not made up). */
    private fireRule(rule: EventRuleSpec, at: number): void {
        try {
            const [, , , region, account] = rule.arn.split(":");
            const event = scheduledEvent(randomUUID(), rule.arn, at, { account, region }) as BusEvent;
            const routes = this.targets.filter((target) => target.rule === rule.name).map((target) => ({ rule, target }));
            if (routes.length > 0) this.deliver(event, routes, false);
        } catch (error) {
            this.options.log(`EventBridge: could not fire the schedule ${rule.name}: ${(error as Error).stack ?? String(error)}`);
        }
    }

    private deliver(event: BusEvent, routes = this.routesOf(event), journaled = true): void {
        if (this.stopped.signal.aborted) return;
        const delivery = Promise.all(routes.map(({ rule, target }) => this.deliverTo(event, rule, target)))
            .then((ended) => {
                if (journaled && ended.every(Boolean)) this.journal?.delivered(event.id);
            })
            .catch((error: unknown) => this.options.log(`EventBridge: delivering the event ${event.id} failed: ${(error as Error).stack ?? String(error)}`))
            .finally(() => this.inFlight.delete(delivery));
        this.inFlight.add(delivery);
    }

    /** One delivery; answers whether it ended (false: a stop cut it short, the next start delivers again). */
    private async deliverTo(event: BusEvent, rule: EventRuleSpec, target: EventTargetSpec): Promise<boolean> {
        const where = `${rule.name} -> ${target.arn}`;
        if (ageSeconds(event) > target.maximumEventAgeSeconds) {
            return this.deadLetter(event, rule, target, "MAXIMUM_EVENT_AGE_EXCEEDED", `The event is older than the target's maximumEventAgeInSeconds (${target.maximumEventAgeSeconds}).`);
        }
        switch (service(target.arn)) {
            case "lambda": {
                if (!this.permits(target.arn, rule.arn)) {
                    return this.deadLetter(event, rule, target, "NO_PERMISSIONS", `No resource-based policy of ${target.arn} lets ${EVENTS_PRINCIPAL} invoke it for ${rule.arn}.`);
                }
                const first = this.options.targets.invokeFunction(target.arn, event);
                if (!first) return this.deadLetter(event, rule, target, "RESOURCE_NOT_FOUND", `Function not found: ${target.arn}`);
                this.options.log(`event ${describe(event)}: ${where} (asynchronous invocation)`);
                return this.invokeAsync(target.arn, event, first);
            }
            case "sqs":
                if (!this.options.targets.sendToQueue(target.arn, JSON.stringify(event))) {
                    return this.deadLetter(event, rule, target, "RESOURCE_NOT_FOUND", `Queue not found: ${target.arn}`);
                }
                this.options.log(`event ${describe(event)}: ${where} (message sent)`);
                return true;
            default:
                return this.deadLetter(event, rule, target, "UNSUPPORTED_TARGET", `The local cloud delivers events to Lambda functions and SQS queues only, not to ${target.arn}.`);
        }
    }

    /** Whether the function's resource policy lets EventBridge invoke it for this rule. */
    private permits(functionArn: string, ruleArn: string): boolean {
        const name = functionNameOf(functionArn);
        return this.permissions.some(
            (p) =>
                p.functionName === name &&
                (p.action === "lambda:InvokeFunction" || p.action === "lambda:*") &&
                (p.principal === EVENTS_PRINCIPAL || p.principal === "*") &&
                (p.sourceArn === undefined || p.sourceArn === ruleArn),
        );
    }

    /** Lambda's asynchronous invocation: retried on error, then the invocation record to a destination. */
    private async invokeAsync(functionArn: string, event: BusEvent, first: Promise<InvokeResult>): Promise<boolean> {
        const config = this.asyncConfigs.get(functionNameOf(functionArn)) ?? { functionName: functionArn, ...LAMBDA_ASYNC_DEFAULTS };
        const requestId = randomUUID();
        let result = await first;
        let attempts = 1;
        let condition = "RetriesExhausted";
        while (!result.ok && attempts <= config.maximumRetryAttempts) {
            if (!(await this.wait(attempts))) return false;
            if (ageSeconds(event) > config.maximumEventAgeSeconds) {
                condition = "EventAgeExceeded";
                break;
            }
            result = (await this.options.targets.invokeFunction(functionArn, event)) ?? notFound(functionArn);
            attempts += 1;
        }
        // A stop cut the attempts short (the function stopped under one): the next start delivers again.
        if (!result.ok && this.stopped.signal.aborted) return false;
        const destination = result.ok ? config.onSuccess : config.onFailure;
        const record = invocationRecord(requestId, functionArn, result.ok ? "Success" : condition, attempts, event, result);
        if (!result.ok) this.options.log(`event ${describe(event)}: ${functionNameOf(functionArn)} failed ${attempts} time(s) (${result.error.errorType}): ${destination ? `invocation record to ${destination}` : "no onFailure destination, the event is dropped"}`);
        if (!destination) return true;
        const refused = this.options.targets.refusedDestination(functionArn, destination);
        const sent = refused === undefined && this.options.targets.sendToQueue(destination, JSON.stringify(record));
        if (!sent) this.options.log(`event ${describe(event)}: the invocation record could not be sent to ${destination} (${refused ?? "no SQS queue of the local cloud has that ARN"}): dropped`);
        return true;
    }

    /** EventBridge's dead-letter queue of the target, or a log line when it has none. Always ends the delivery. */
    private deadLetter(event: BusEvent, rule: EventRuleSpec, target: EventTargetSpec, code: string, message: string): true {
        const attributes: Record<string, MessageAttribute> = {
            ERROR_CODE: { DataType: "String", StringValue: code },
            ERROR_MESSAGE: { DataType: "String", StringValue: message },
            RULE_ARN: { DataType: "String", StringValue: rule.arn },
            TARGET_ARN: { DataType: "String", StringValue: target.arn },
        };
        const kept = target.deadLetterArn !== undefined && this.options.targets.sendToQueue(target.deadLetterArn, JSON.stringify(event), attributes);
        this.options.log(`event ${describe(event)}: not delivered to ${target.arn} (${code}: ${message}); ${kept ? `sent to the dead-letter queue ${target.deadLetterArn}` : "dropped: the target has no dead-letter queue"}`);
        return true;
    }

    /** The wait before the n-th retry of an asynchronous invocation; false when a stop cut it short. */
    private wait(retry: number): Promise<boolean> {
        const ms = this.options.retryIntervalMs ?? retry * 60_000;
        const signal = this.stopped.signal;
        if (signal.aborted) return Promise.resolve(false);
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                signal.removeEventListener("abort", onStop);
                resolve(true);
            }, ms);
            const onStop = () => {
                clearTimeout(timer);
                resolve(false);
            };
            signal.addEventListener("abort", onStop, { once: true });
        });
    }
}

const ageSeconds = (event: BusEvent) => (Date.now() - Date.parse(event.time)) / 1000;

const notFound = (functionArn: string): InvokeResult => ({
    ok: false,
    error: { errorType: "ResourceNotFoundException", errorMessage: `Function not found: ${functionArn}`, trace: [] },
});

/** "Step Functions Execution Status Change trip-2 FAILED": for log lines. */
function describe(event: BusEvent): string {
    const detail = (event.detail ?? {}) as { name?: unknown; status?: unknown };
    return [event["detail-type"], detail.name, detail.status].filter((part) => typeof part === "string").join(" ");
}

/** What Lambda sends a destination after an asynchronous invocation, in its shape. */
function invocationRecord(requestId: string, functionArn: string, condition: string, attempts: number, event: BusEvent, result: InvokeResult) {
    return {
        version: "1.0",
        timestamp: new Date().toISOString(),
        requestContext: { requestId, functionArn: `${functionArn}:$LATEST`, condition, approximateInvokeCount: attempts },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: "$LATEST", ...(result.ok ? {} : { functionError: "Unhandled" }) },
        responsePayload: result.ok ? result.payload : { errorType: result.error.errorType, errorMessage: result.error.errorMessage, trace: result.error.trace },
    };
}

/**
 * Where the data folder keeps the events not yet delivered (`events/pending.jsonl`): a line per
 * event taken, a line per event delivered; at start-up the file is rewritten with the events still
 * to deliver. Append-only between starts, one whole line per write, as the other stores.
 */
class EventJournal {
    private readonly file: string;

    constructor(
        dataDir: string,
        private readonly warn: (line: string) => void,
        private readonly onWriteFailed?: (error: unknown) => void,
    ) {
        this.file = path.join(dataDir, "events", "pending.jsonl");
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
    }

    /** The events taken and not delivered, oldest first; the file then holds only those. */
    load(): BusEvent[] {
        const pending = new Map<string, BusEvent>();
        for (const line of readRecords(this.file, { holds: "the events not yet delivered", check: pendingLine, warn: this.warn }) as { event?: BusEvent; delivered?: string }[]) {
            if (line.event) pending.set(line.event.id, line.event);
            if (line.delivered) pending.delete(line.delivered);
        }
        const events = [...pending.values()];
        const partial = `${this.file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, events.map((event) => encodeLine({ event })).join(""));
        fs.renameSync(partial, this.file);
        return events;
    }

    add(event: BusEvent): void {
        this.append({ event });
    }

    delivered(id: string): void {
        this.append({ delivered: id });
    }

    private append(line: object): void {
        try {
            appendRecord(this.file, line);
        } catch (error) {
            this.onWriteFailed?.(error);
            this.warn(`Could not write ${this.file} (${(error as Error).message}): an event may be delivered again, or not after a restart.`);
        }
    }
}

/** What a line of events/pending.jsonl must be: an event taken (with its id), or the id of one delivered. */
function pendingLine(value: unknown): string | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return `${value === null ? "null" : typeof value}, not an object`;
    const { event, delivered } = value as { event?: { id?: unknown }; delivered?: unknown };
    if (typeof delivered === "string") return undefined;
    if (typeof event === "object" && event !== null && typeof event.id === "string") return undefined;
    return "neither an event with its id nor the id of one delivered";
}

/** The "Step Functions Execution Status Change" event of a local execution, as it is now. */
export function executionStatusChange(execution: ExecutionRecord, arns: ArnContext): BusEvent {
    const change = {
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate.getTime(),
        stopDate: execution.stopDate?.getTime() ?? null,
        input: execution.input,
        output: execution.output ?? null,
        error: execution.error ?? null,
        cause: execution.cause ?? null,
    };
    // EventBridge writes the time to the second.
    const time = `${(execution.stopDate ?? new Date()).toISOString().slice(0, 19)}Z`;
    return statusChangeEvent(change, { id: randomUUID(), account: arns.account, region: arns.region, time });
}
