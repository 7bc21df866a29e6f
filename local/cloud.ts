// The local cloud: one HTTP port, DynamoDB (dynalite), Lambda (worker threads), Step Functions
// (aws-local-stepfunctions), API Gateway and SQS stand-ins, and the real Pulumi program deployed
// onto them. `npm start` (local/main.ts) and the end-to-end tests both start it through here.
// With a data folder it keeps tables, queued messages and every execution, running ones included,
// across restarts and crashes; a stop refuses new work and gives running executions a grace period.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as fs from "node:fs";
import * as path from "node:path";
import { ApiGatewayService } from "./apigateway/gateway";
import { LOCAL_ACCOUNT } from "../components/model/arns";
import { ConfigError, loadProjectSettings, missingConfigMessage, ProjectSettings } from "../harness/config";
import { REPAIR_ROLE, Tags } from "../components/model/conventions";
import type { ConnectionLimits } from "./connections";
import { formatFunctionLog, sagaLogger } from "./console";
import { DataFolder, readTableStore } from "./data-folder";
import { DataLock } from "./data-lock";
import { deployProgram } from "./deploy";
import { LocalDynamoDb } from "./dynamodb/service";
import { EventTargets, executionStatusChange, LocalEventBridge } from "./events/service";
import { serveFaults } from "./faults";
import { sendJson } from "./http";
import { inspectHandler } from "./inspect";
import { IamGate, IamMode } from "./iam/gate";
import { LocalFunction } from "./lambda/function";
import { LocalLogs, readKeptLog } from "./logs/service";
import { executionLogEvents, executionLogStream } from "./logs/states";
import { CloudMetrics, MetricsSnapshot } from "./metrics";
import { Provisioner, ResourceEntry } from "./provision";
import { LocalServer } from "./server";
import type { ExecutionPosition } from "./sfn/execution";
import { StepFunctionsService } from "./sfn/service";
import { ExecutionStore } from "./sfn/store";
import { lambdaTaskError, TaskTargets } from "./sfn/tasks";
import { LocalQueue, QueueSummary } from "./sqs/queue";

export interface LocalCloudOptions {
    /** Default 3000; 0 picks a free port. */
    port?: number;
    /**
     * Keep DynamoDB tables, queued messages and executions here across restarts and crashes (the
     * running ones resume at the next start); in memory when absent. One local cloud per folder.
     */
    dataDir?: string;
    /** Where Pulumi.yaml is (the reference program's, or any other, e.g. examples/order). Default: the current directory. */
    programDir?: string;
    /** Which Pulumi.<stack>.yaml to read. Default "dev". */
    stack?: string;
    /** Config over the stack's, e.g. { "saga:compensationFailureRate": "0.4" }. */
    config?: Record<string, string>;
    /** Milliseconds between retries of a state, instead of the definition's intervals. Default: keep them. */
    retryIntervalMs?: number;
    /**
     * With retryIntervalMs, the milliseconds between retries of a repair machine's states instead:
     * its compensations retry up to the repair horizon (35 times for 24 hours), so `npm start`
     * spaces them 15 s apart, and a repair keeps retrying long enough to end a fault by hand.
     * Default: retryIntervalMs.
     */
    repairRetryIntervalMs?: number;
    /** AWS_LAMBDA_LOG_LEVEL of every function: which of their log lines are shown. Default "warn". */
    functionLogLevel?: string;
    /** Where the local cloud's lines go. Default: console.log. */
    log?: (line: string) => void;
    /** Where each line a function writes goes, as written (JSON lines of the saga handlers). Default: shortened, to `log`. */
    onFunctionLog?: (functionName: string, line: string) => void;
    /** Seeds each function's Math.random (per function), so runs with random failure injection repeat. Default: unseeded. */
    randomSeed?: number;
    /**
     * IAM on every request to the services and every Task call: "enforce" (the default) refuses
     * what AWS would (unsigned or badly signed requests, actions the caller's role does not
     * allow); "warn" logs it and lets it through; "off" checks nothing.
     */
    iam?: IamMode;
    /**
     * Fire every EventBridge schedule rule every this many milliseconds instead of on its own
     * schedule (rate(1 minute) ...), so what a schedule converges converges quickly; default: each
     * on its schedule, as EventBridge fires them.
     */
    scheduleEveryMs?: number;
    /**
     * The probability that an EXPRESS execution runs a second time (the same ARN, name and input),
     * at once or soon after it ended, as Step Functions' at-least-once allows; default 0. Drawn
     * from `randomSeed` when given, so a run repeats.
     */
    expressDuplicates?: number;
    /** How many connections clients may hold, and for how long (local/connections.ts). Default: from the open-file limit. */
    connectionLimits?: ConnectionLimits;
}

export interface LocalCloud {
    /** The one endpoint of every local service, e.g. http://127.0.0.1:3000. */
    url: string;
    settings: ProjectSettings;
    /** The program's stack outputs (its exports), resolved. */
    outputs: Record<string, unknown>;
    resources: { provisioned: ResourceEntry[]; notProvisioned: ResourceEntry[]; components: ResourceEntry[]; warnings: string[] };
    /** The routes each stage serves, e.g. "GET /trips/{tripId}", keyed by the stage's URL. */
    routes: Record<string, string[]>;
    /** What every function finds in its environment besides its own variables and its role's credentials (region, endpoints). */
    functionEnvironment: Record<string, string>;
    deployMs: number;
    queues(): QueueSummary[];
    /** Each repair machine (tag saga:role=repair) and the most retries any of its states makes. */
    repairs(): { machine: string; maxAttempts: number }[];
    /** What the services have done since start-up or the last reset (also GET /_local/metrics). */
    metrics(): MetricsSnapshot;
    /** Starts counting afresh; answers the counts until now (also DELETE /_local/metrics). */
    resetMetrics(): MetricsSnapshot;
    /** The data folder, absolute; undefined: in memory. */
    dataDir?: string;
    /** The executions this start resumed: they were running when the cloud last stopped (data folder). */
    resumed: ExecutionPosition[];
    /** Where each running execution is. */
    running(): ExecutionPosition[];
    /** Resolves when every execution started so far has ended, and every event they sent has been delivered (the repairs it started ended too). */
    idle(): Promise<void>;
    /**
     * Stops: new API requests and new executions are refused (503) at once, running executions
     * get `graceMs` to finish, then what still runs is suspended (kept in the data folder, resumed
     * at the next start) or, without one, aborted; then the functions stop and the port closes.
     * Idempotent: a second call answers the first one's promise.
     */
    stop(options?: StopOptions): Promise<StopReport>;
    /** Ends the grace of a stop under way now (a second Ctrl-C). */
    hurry(): void;
    /**
     * Starts every function's execution environment now, not at its first invocation (its cold
     * start, as on Lambda); answers a warning for each function whose code fails to load.
     */
    loadFunctions(): Promise<string[]>;
    /** A deployed state machine's type (STANDARD or EXPRESS) and the log group it logs to, if any; undefined for no such machine. */
    stateMachine(arn: string): { type: string; logGroupName?: string } | undefined;
}

export interface StopOptions {
    /** How long running executions may take to finish. Default 0: they are suspended (or aborted) at once. */
    graceMs?: number;
    /** Told what the stop waits for: when the grace begins, then every `reportEveryMs`. */
    onWaiting?(running: ExecutionPosition[], graceLeftMs: number): void;
    /** Default 2000. */
    reportEveryMs?: number;
}

export interface StopReport {
    /** Executions running when the stop began that ended during the grace. */
    finished: number;
    /** Still running when the grace ended: kept in the data folder, to resume at the next start. */
    suspended: ExecutionPosition[];
    /** Still running when the grace ended, without a data folder: aborted. */
    aborted: ExecutionPosition[];
}

/** What an API request gets while the local cloud stops (API Gateway's own error shape). */
export const STOPPING_MESSAGE = "The local cloud is stopping: it takes no new requests while its running executions finish. Start it again to go on.";

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const started = Date.now();
    const log = options.log ?? ((line: string) => console.log(line));
    const settings = readStack(options);
    const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
    // Before anything opens the folder's stores: its shape, whether it can be written (one line if not).
    const folder = dataDir ? DataFolder.open(dataDir) : undefined;
    const host = await openPort(options.port ?? 3000, folder, log, options.connectionLimits);
    try {
        const services = await startServices(options, settings, folder, host, log);
        const outputs = await deployProgram(settings, (args) => services.provisioner.newResource(args));
        services.stepFunctions.validateDefinitions();
        services.stepFunctions.restore(services.kept);
        const served = serveServices(host.server, services, settings, outputs, log);
        const resumed = resumeWork(services, log);
        return cloudOf({ started, settings, dataDir, outputs, host, services, served, resumed });
    } catch (error) {
        await host.stopAll();
        throw error;
    }
}

/** The stack's configuration, refused before anything starts when it lacks a required value (as the Pulumi CLI refuses it). */
function readStack(options: LocalCloudOptions): ProjectSettings {
    const settings = loadProjectSettings(options.programDir ?? process.cwd(), options.stack ?? "dev", options.config);
    const missing = missingConfigMessage(settings, startCommand(settings));
    if (missing) throw new ConfigError(missing);
    return settings;
}

/** The port, and what stops everything started on it (each step undone in reverse). */
interface Host {
    server: LocalServer;
    onStop(step: () => Promise<void>): void;
    /** Stops everything; `clean`: a stop the cloud was asked for, which seals the data folder (data-folder.ts). */
    stopAll(options?: { clean?: boolean }): Promise<void>;
}

/**
 * The data folder's lock (taken before anything opens its stores: a second cloud on it stops here,
 * with who holds it), then the port. A clean stop seals the folder once the port is closed, before
 * letting the folder go.
 */
async function openPort(port: number, folder: DataFolder | undefined, log: (line: string) => void, connectionLimits?: ConnectionLimits): Promise<Host> {
    const lock = folder ? DataLock.acquire(folder.dir) : undefined;
    let clean = false;
    const seal = async () => {
        if (!clean || !folder) return;
        try {
            folder.seal(await readTableStore(folder.dir));
        } catch (error) {
            log(`Could not seal the data folder ${folder.dir} (${(error as Error).message}): the next start cannot check it against this stop.`);
        }
    };
    const cleanup: (() => Promise<void>)[] = [async () => lock?.release(), seal];
    let server: LocalServer;
    try {
        server = await LocalServer.listen(port, log, connectionLimits);
    } catch (error) {
        lock?.release();
        throw error;
    }
    lock?.describe(server.url);
    cleanup.push(() => server.close());
    return {
        server,
        onStop: (step) => void cleanup.push(step),
        stopAll: async (options = {}) => {
            clean = options.clean ?? false;
            for (const step of cleanup.splice(0).reverse()) await step().catch((error) => log(`While stopping: ${(error as Error).message}`));
        },
    };
}

/** The local services, wired to one another as AWS wires them, and the provisioner that deploys the program onto them. */
interface Services {
    region: string;
    iam: IamGate;
    dynamo: LocalDynamoDb;
    store?: ExecutionStore;
    /** What the data folder kept of Step Functions, read before the program deploys. */
    kept: ReturnType<ExecutionStore["load"]>;
    folder?: DataFolder;
    metrics: CloudMetrics;
    events: LocalEventBridge;
    logs: LocalLogs;
    stepFunctions: StepFunctionsService;
    gateway: ApiGatewayService;
    provisioner: Provisioner;
    environment: Record<string, string>;
}

/** Every local service, started in the order they depend on one another (the provisioner last: it deploys onto all of them). */
async function startServices(options: LocalCloudOptions, settings: ProjectSettings, folder: DataFolder | undefined, host: Host, log: (line: string) => void): Promise<Services> {
    const dataDir = folder?.dir;
    const region = settings.config["aws:region"] ?? "us-east-1";
    const arns = { region, account: LOCAL_ACCOUNT };
    const iam = new IamGate({ mode: options.iam ?? "enforce", account: LOCAL_ACCOUNT, region, log });
    // Checked against the last clean stop's seal before anything reads (and so may repair) a file of it.
    if (folder) folder.verifySeal(await readTableStore(folder.dir));
    const { store, kept, onWriteFailed, dropped } = openDataFolder(folder, log);
    const dynamo = await LocalDynamoDb.start(iam, dataDir);
    host.onStop(() => dynamo.close());
    const metrics = new CloudMetrics();
    // Every Lambda request goes through here, whoever makes it: a state machine or the API.
    const invoke = (fn: LocalFunction, event: unknown) => {
        metrics.countInvocation(fn.spec.name);
        const started = performance.now();
        const { name, memorySize, architecture } = fn.spec;
        return fn.invoke(event).finally(() => metrics.countLambdaDuration(name, memorySize, architecture, performance.now() - started));
    };
    let provisioner: Provisioner | undefined;
    // Step Functions tells EventBridge of every execution's status changes, as on AWS.
    const events = new LocalEventBridge({
        targets: eventTargets(() => provisioner!, invoke, iam),
        retryIntervalMs: options.retryIntervalMs,
        dataDir,
        onWriteFailed,
        log,
        scheduleEveryMs: options.scheduleEveryMs,
    });
    const logs = new LocalLogs({ region, account: LOCAL_ACCOUNT, dataDir, log });
    const stepFunctions = stepFunctionsOf(options, { region, iam, dynamo, store, metrics, events, logs }, invoke, () => provisioner!, log);
    const gateway = new ApiGatewayService({
        accountId: LOCAL_ACCOUNT,
        region,
        iam,
        invoke: (arn, event) => {
            const fn = findFunction(provisioner!.functions, arn);
            return fn && invoke(fn, event);
        },
        log: (line) => log(`api ${line}`),
    });
    const handleApiRequest = gateway.handle.bind(gateway);
    gateway.handle = (request, response, url) => {
        metrics.countApiRequest();
        return handleApiRequest(request, response, url);
    };
    const environment = functionEnvironment(region, host.server.url, options.functionLogLevel ?? "warn");
    provisioner = new Provisioner({
        stack: settings.stack,
        arns,
        baseUrl: host.server.url,
        dataDir,
        ...(folder ? { queueSettings: { warn: dropped("SQS"), onWriteFailed }, onTable: (name: string) => folder.tableCreated(name) } : {}),
        dynamo,
        stepFunctions,
        gateway,
        events,
        logs,
        iam,
        functionHost: {
            projectRoot: settings.programDir,
            serviceDoor: { port: host.server.port, path: host.server.functionDoor },
            environment,
            randomSeed: options.randomSeed,
            onLog: (name, line) => {
                metrics.countFunctionLogLine(line);
                (options.onFunctionLog ?? ((name, line) => log(formatFunctionLog(name, line))))(name, line);
            },
        },
    });
    const functions = provisioner.functions;
    // Reversed when stopping: executions end first, then the functions they call, then the stores.
    host.onStop(async () => void (await Promise.all([...functions.values()].map((fn) => fn.stop()))));
    host.onStop(async () => void (await stepFunctions.stop()));
    return { region, iam, dynamo, store, kept, folder, metrics, events, logs, stepFunctions, gateway, provisioner, environment };
}

/**
 * The data folder's stores checked and read before anything is served (data-folder.ts): a damaged
 * one stops the start here, named in one line; the Step Functions store is read now, restored once
 * the program has deployed its machines. What a start drops (a write cut short by a crash, never
 * acknowledged) is logged and listed in GET /_local/data; a write that fails is told once, and new
 * work gets 503 until the folder can be written again.
 */
function openDataFolder(folder: DataFolder | undefined, log: (line: string) => void) {
    const onWriteFailed = (error: unknown) => {
        if (folder?.failedWrite(error)) {
            log(
                `The data folder ${folder.dir} cannot be written (${folder.status().unwritable?.reason}): new requests get 503 until it can; ` +
                    "executions stop where their journals end and resume from there at the next start.",
            );
        }
    };
    const dropped = (service: string) => (line: string) => {
        log(`${service} data: ${line}`);
        folder?.droppedAtStart(`${service}: ${line}`);
    };
    if (!folder) return { store: undefined, kept: { closed: [], running: [] }, onWriteFailed, dropped };
    const store = new ExecutionStore(folder.dir, dropped("Step Functions"), {
        get closedExecutions() {
            return folder.closedExecutions;
        },
        countClosed: (count) => folder.countClosed(count),
        get startedExecutions() {
            return folder.startedExecutions;
        },
        countStarted: (count) => folder.countStarted(count),
        failedWrite: onWriteFailed,
    });
    const kept = store.load();
    for (const file of keptFiles(folder.dir, "sqs")) new LocalQueue(path.basename(file, ".jsonl"), "", "", { file, warn: dropped("SQS") });
    for (const file of keptFiles(folder.dir, "logs")) readKeptLog(file, dropped("CloudWatch Logs"));
    return { store, kept, onWriteFailed, dropped };
}

/** The files of records of a store of the data folder (sqs, logs). */
function keptFiles(dataDir: string, store: string): string[] {
    const dir = path.join(dataDir, store);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith(".jsonl")).map((name) => path.join(dir, name)) : [];
}

/**
 * Step Functions, wired as on AWS: its Tasks reach the deployed functions, queues and tables; every
 * execution's events are counted, logged, written to its machine's log group, and its status
 * changes sent to EventBridge.
 */
function stepFunctionsOf(
    options: LocalCloudOptions,
    { region, iam, dynamo, store, metrics, events, logs }: Pick<Services, "region" | "iam" | "dynamo" | "store" | "metrics" | "events" | "logs">,
    invoke: (fn: LocalFunction, event: unknown) => ReturnType<LocalFunction["invoke"]>,
    provisioner: () => Provisioner,
    log: (line: string) => void,
): StepFunctionsService {
    const logSagaEvent = sagaLogger(log, (stateMachineArn) => stepFunctions.machines.get(stateMachineArn)?.tags?.[Tags.role] === REPAIR_ROLE);
    const stepFunctions: StepFunctionsService = new StepFunctionsService({
        region,
        ...(options.expressDuplicates ? { expressDuplicates: { probability: options.expressDuplicates, random: draws(options.randomSeed, "express-duplicates") } } : {}),
        onDuplicate: (execution, late) => log(`EXPRESS: ${execution.name} runs a second time (${late ? "late, after it ended" : "concurrently"}), as at-least-once allows: ${execution.executionArn}`),
        targets: taskTargets(provisioner, invoke, iam, (operation, request) => {
            // Billed as any DynamoDB request is.
            metrics.countDynamoDbRequest(operation);
            return dynamo.call(operation, request);
        }),
        retryIntervalMs: options.retryIntervalMs,
        repairRetryIntervalMs: options.repairRetryIntervalMs,
        onEvent: (execution, event) => {
            metrics.countExecutionEvent(execution, event);
            logSagaEvent(execution, event);
            // Status-change events are STANDARD's only: AWS sends none for EXPRESS executions.
            if (event.type === "ExecutionStarted" && !stepFunctions.isExpress(execution.stateMachineArn)) events.put(executionStatusChange(execution, { region, account: LOCAL_ACCOUNT }));
        },
        onClosed: (execution) => {
            if (!stepFunctions.isExpress(execution.stateMachineArn)) events.put(executionStatusChange(execution, { region, account: LOCAL_ACCOUNT }));
            else metrics.countExpressExecutionClosed(execution);
        },
        // Step Functions writes the execution's events to its machine's log group, at its level.
        onHistory: (machine, execution, added, run) => {
            const group = machine.logging && logs.groupOfArn(machine.logging.logGroupArn);
            if (!group) return;
            const records = executionLogEvents(machine.logging!, execution, added);
            if (records.length > 0 && logs.put(group.logGroupName, executionLogStream(machine.name, execution, run), records)) {
                metrics.countLogEvents(group.logGroupName, records.map((record) => record.message));
            }
        },
        store,
    });
    return stepFunctions;
}

/** What the port serves once the program is deployed, and what the cloud reports of it. */
interface Served {
    queues(): LocalQueue[];
    resources: LocalCloud["resources"];
    routes: Record<string, string[]>;
    admission: Admission;
}

/** Every service on the one port, the inspection endpoint (/_local) beside them. */
function serveServices(server: LocalServer, services: Services, settings: ProjectSettings, outputs: Record<string, unknown>, log: (line: string) => void): Served {
    const { provisioner, gateway, stepFunctions, metrics, logs, events, dynamo, iam, region, folder } = services;
    const queues = () => [...provisioner.queues.values()];
    const resources = {
        provisioned: provisioner.provisioned,
        notProvisioned: provisioner.notProvisioned,
        components: provisioner.components,
        warnings: provisioner.warnings,
    };
    const routes = routesOf(gateway, server.url);
    const admission = new Admission(gateway, stepFunctions, () => folder?.unwritableReason());
    server.serve({
        dynamo: metrics.countingDynamoDb(dynamo.handle),
        iam,
        stepFunctions,
        gateway,
        queues,
        logs,
        events,
        inspect: inspectHandler({
            overview: () => ({ project: settings.project, stack: settings.stack, region, outputs, routes, ...resources, data: folder?.status() ?? null }),
            data: () => folder?.status(),
            queues,
            metrics,
            logs,
            schedules: { list: () => events.schedules(), fire: (rule) => events.fire(rule) },
            faults: (request, response) => serveFaults([...provisioner.functions.values()], request, response, log),
            invocations: (name) => [...provisioner.functions.values()].find((fn) => fn.spec.name === name)?.invocations,
        }),
    });
    return { queues, resources, routes, admission };
}

/**
 * Once the functions can reach the services through the port: the executions a stop or a crash
 * left running continue, the events not yet delivered are delivered, the schedules start.
 */
function resumeWork({ stepFunctions, events }: Services, log: (line: string) => void): ExecutionPosition[] {
    const { resumed, abandoned } = stepFunctions.resume();
    if (resumed.length > 0) log(`Resumed ${resumed.length} execution(s) left running when the local cloud last stopped: ${describePositions(resumed)}`);
    for (const record of abandoned) log(`Could not resume the execution ${record.name}: ${record.cause}`);
    const redelivered = events.resume();
    if (redelivered > 0) log(`Delivering again ${redelivered} event(s) the local cloud had not finished delivering when it last stopped.`);
    events.startSchedules();
    return resumed;
}

/** The running cloud, as its callers hold it; its stop refuses new work, gives running executions their grace, then stops everything. */
function cloudOf(cloud: {
    started: number;
    settings: ProjectSettings;
    dataDir: string | undefined;
    outputs: Record<string, unknown>;
    host: Host;
    services: Services;
    served: Served;
    resumed: ExecutionPosition[];
}): LocalCloud {
    const { host, services, served } = cloud;
    const { stepFunctions, events, metrics, provisioner, logs } = services;
    let stopping: Promise<StopReport> | undefined;
    let hurry = () => undefined as void;
    const hurried = new Promise<void>((resolve) => (hurry = resolve));
    const stopCloud = async (stop: StopOptions): Promise<StopReport> => {
        // No event is delivered from now on (a repair started now would be refused): the data
        // folder keeps the undelivered ones for the next start.
        const eventsStopped = events.stop();
        served.admission.close();
        const before = new Set(stepFunctions.running().map((execution) => execution.executionArn));
        const graceMs = stop.graceMs ?? 0;
        if (graceMs > 0 && before.size > 0) {
            const ends = Date.now() + graceMs;
            stop.onWaiting?.(stepFunctions.running(), graceMs);
            const report = setInterval(() => {
                const running = stepFunctions.running();
                if (running.length > 0) stop.onWaiting?.(running, Math.max(0, ends - Date.now()));
            }, stop.reportEveryMs ?? 2000);
            let timer: NodeJS.Timeout | undefined;
            const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
            await Promise.race([stepFunctions.idle(), graceOver, hurried]);
            clearInterval(report);
            clearTimeout(timer);
        }
        await eventsStopped;
        const { suspended, aborted } = await stepFunctions.stop();
        await host.stopAll({ clean: true });
        const left = [...suspended, ...aborted].filter((execution) => before.has(execution.executionArn)).length;
        return { finished: before.size - left, suspended, aborted };
    };
    return {
        url: host.server.url,
        settings: cloud.settings,
        outputs: cloud.outputs,
        resources: served.resources,
        routes: served.routes,
        functionEnvironment: services.environment,
        deployMs: Date.now() - cloud.started,
        queues: () => served.queues().map((queue) => queue.summary()),
        repairs: () =>
            [...stepFunctions.machines.values()]
                .filter((machine) => machine.tags?.[Tags.role] === REPAIR_ROLE)
                .map((machine) => ({
                    machine: machine.name,
                    maxAttempts: Math.max(0, ...Object.values(machine.host.definition.States).flatMap((state) => ((state as { Retry?: { MaxAttempts?: number }[] }).Retry ?? []).map((r) => r.MaxAttempts ?? 3))),
                })),
        metrics: () => metrics.snapshot(),
        resetMetrics: () => metrics.reset(),
        dataDir: cloud.dataDir,
        resumed: cloud.resumed,
        running: () => stepFunctions.running(),
        idle: () => settled(stepFunctions, events),
        stop: (stop = {}) => (stopping ??= stopCloud(stop)),
        hurry: () => hurry(),
        loadFunctions: () => provisioner.loadFunctions(),
        stateMachine: (arn) => {
            const machine = stepFunctions.machines.get(arn);
            const group = machine?.logging && logs.groupOfArn(machine.logging.logGroupArn);
            return machine && { type: machine.type, ...(group ? { logGroupName: group.logGroupName } : {}) };
        },
    };
}

/**
 * Which new work the local cloud takes while it stops: none. API requests get 503 at once;
 * StartExecution gets 503 once the API requests already under way have ended (a start function
 * in flight still starts its execution, so the caller it answers is told the truth). Everything
 * the running executions need stays served: DynamoDB, SQS, the functions, the Step Functions reads.
 */
class Admission {
    private closed = false;
    private apiRequests = 0;

    constructor(
        gateway: ApiGatewayService,
        private readonly stepFunctions: StepFunctionsService,
        /** Why the data folder cannot be written now, or undefined. */
        unwritable: () => string | undefined,
    ) {
        // The gateway is this cloud's own instance; its requests are counted and, once closed, refused here.
        const handle = gateway.handle.bind(gateway);
        gateway.handle = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
            if (this.closed) {
                return sendJson(response, 503, { message: STOPPING_MESSAGE }, { "x-amzn-errortype": "ServiceUnavailableException", connection: "close" });
            }
            const cannotWrite = unwritable();
            if (cannotWrite !== undefined) {
                const message = `The local cloud cannot write its data folder (${cannotWrite}): it takes no new requests until it can, so that none is acknowledged and then lost.`;
                return sendJson(response, 503, { message }, { "x-amzn-errortype": "ServiceUnavailableException" });
            }
            this.apiRequests += 1;
            try {
                await handle(request, response, url);
            } finally {
                this.apiRequests -= 1;
                if (this.closed && this.apiRequests === 0) this.refuseExecutions();
            }
        };
    }

    close(): void {
        this.closed = true;
        if (this.apiRequests === 0) this.refuseExecutions();
    }

    private refuseExecutions(): void {
        this.stepFunctions.refuseNewExecutions(STOPPING_MESSAGE);
    }
}

/**
 * Resolves once no execution runs and no event is being delivered: an execution that ends may
 * send an event whose delivery starts another execution (a repair), and so on.
 */
async function settled(stepFunctions: StepFunctionsService, events: LocalEventBridge): Promise<void> {
    for (;;) {
        await stepFunctions.idle();
        if (!events.busy) return;
        await events.idle();
    }
}

/** "trip-1 (in Take Payment, 1 failed attempt), ...": at most `max`, then how many more. */
export function describePositions(positions: ExecutionPosition[], max = 10): string {
    const listed = positions.slice(0, max).map((p) => {
        const attempts = p.failedAttempts > 0 ? `, ${p.failedAttempts} failed attempt${p.failedAttempts === 1 ? "" : "s"}` : "";
        return `${p.name} (${p.state ? `in ${p.state}` : "starting"}${attempts})`;
    });
    return listed.join(", ") + (positions.length > max ? `, and ${positions.length - max} more` : "");
}

/**
 * What every function finds in its environment besides its own variables and its role's
 * credentials (local/lambda/function.ts), as Lambda sets the region: the standard endpoint
 * settings send its AWS SDK clients to the local cloud.
 */
function functionEnvironment(region: string, url: string, logLevel: string): Record<string, string> {
    return {
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ENDPOINT_URL_DYNAMODB: url,
        AWS_ENDPOINT_URL_SFN: url,
        AWS_ENDPOINT_URL_SQS: url,
        AWS_LAMBDA_LOG_LEVEL: logLevel,
        // The functions run on this machine's Node.js (Lambda's is 22); the SDK's notice about it is noise here.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
}

/** How `npm start` is run for this program, for messages: with `--program` unless it is the current directory's. */
function startCommand(settings: ProjectSettings): string {
    const dir = path.relative(process.cwd(), settings.programDir);
    const program = dir === "" ? "" : ` --program ${dir.includes(" ") ? JSON.stringify(dir) : dir}`;
    const stack = settings.stack === "dev" ? "" : ` --stack ${settings.stack}`;
    return `npm start --${program}${stack}`;
}

/** "METHOD /path" of every route, by the URL of the stage serving it. */
function routesOf(gateway: ApiGatewayService, url: string): Record<string, string[]> {
    return Object.fromEntries(
        gateway.stages.map((stage) => [
            `${url}${stage.prefix}`,
            gateway.apis.get(stage.restApiId)!.spec.resources.flatMap((r) => [...r.methods.keys()].map((method) => `${method} ${r.path}`)),
        ]),
    );
}

/** What the state machines' Tasks reach: the deployed functions and queues. */
function taskTargets(
    provisioner: () => Provisioner,
    invoke: (fn: LocalFunction, event: unknown) => ReturnType<LocalFunction["invoke"]>,
    iam: IamGate,
    dynamodb: NonNullable<TaskTargets["dynamodb"]>,
): TaskTargets {
    return {
        dynamodb,
        authorize: ({ stateMachineArn, roleArn }, request) => {
            const machine = stateMachineArn.split(":").pop()!;
            return iam.authorizeRole(roleArn, machine, `state machine ${machine}`, request)?.message;
        },
        hasFunction: (name) => findFunction(provisioner().functions, name) !== undefined,
        async invokeFunction(name, payload) {
            const fn = findFunction(provisioner().functions, name);
            if (!fn) throw lambdaTaskError("Lambda.ResourceNotFoundException", `Function not found: ${name}`);
            const result = await invoke(fn, payload);
            if (!result.ok) throw lambdaTaskError(result.error.errorType, result.error.errorMessage, result.error.trace);
            return result.payload;
        },
        sendMessage(queueUrl, body) {
            const queue = findQueue(provisioner().queues, queueUrl);
            if (!queue) throw Object.assign(new Error(`The queue ${queueUrl} does not exist.`), { name: "SQS.QueueDoesNotExistException" });
            return { MessageId: queue.send(body).messageId };
        },
    };
}

/** What EventBridge reaches: the deployed functions (invoked as anyone invokes them) and queues. */
function eventTargets(provisioner: () => Provisioner, invoke: (fn: LocalFunction, event: unknown) => ReturnType<LocalFunction["invoke"]>, iam: IamGate): EventTargets {
    return {
        invokeFunction(name, event) {
            const fn = findFunction(provisioner().functions, name);
            return fn && invoke(fn, event);
        },
        sendToQueue(queueArn, body, attributes) {
            const queue = [...provisioner().queues.values()].find((candidate) => candidate.arn === queueArn);
            queue?.send(body, { attributes });
            return queue !== undefined;
        },
        refusedDestination(functionName, queueArn) {
            const fn = findFunction(provisioner().functions, functionName);
            const role = fn && iam.credentials.lookup(fn.spec.credentials.accessKeyId)?.caller;
            return iam.authorize(role, [{ action: "sqs:sendmessage", resource: queueArn }])?.message;
        },
    };
}

/**
 * A queue by its URL. A local queue's URL names the port the cloud served on when the program was
 * deployed; an execution resumed from the data folder runs on the definition it started with,
 * which may name an earlier start's port: the queue's path decides then.
 */
function findQueue(queues: Map<string, LocalQueue>, queueUrl: string): LocalQueue | undefined {
    const exact = queues.get(queueUrl);
    if (exact) return exact;
    const pathOf = (url: string) => {
        try {
            return new URL(url).pathname;
        } catch {
            return undefined;
        }
    };
    const wanted = pathOf(queueUrl);
    return wanted?.startsWith("/_local/queues/") ? [...queues.values()].find((queue) => pathOf(queue.url) === wanted) : undefined;
}

/** A function by ARN (qualified with $LATEST or not) or by name, as Lambda accepts FunctionName. */
function findFunction(functions: Map<string, LocalFunction>, name: string): LocalFunction | undefined {
    const unqualified = name.replace(/:\$LATEST$/, "");
    return functions.get(unqualified) ?? [...functions.values()].find((fn) => fn.spec.name === unqualified);
}

/** Draws from [0, 1): from the seed (each draw the next of its sequence), or Math.random without one. */
function draws(seed: number | undefined, what: string): () => number {
    if (seed === undefined) return Math.random;
    let n = 0;
    return () => createHash("sha256").update(`${seed}\n${what}\n${n++}`).digest().readUInt32BE(0) / 2 ** 32;
}
