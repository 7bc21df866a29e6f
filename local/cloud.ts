// The local cloud: one HTTP port, DynamoDB (dynalite), Lambda (worker threads), Step Functions
// (aws-local-stepfunctions), API Gateway and SQS stand-ins, and the real Pulumi program deployed
// onto them. `npm start` (local/main.ts) and the end-to-end tests both start it through here.
import * as path from "node:path";
import { ApiGatewayService } from "./apigateway/gateway";
import { LOCAL_ACCOUNT } from "./arns";
import { ConfigError, loadProjectSettings, missingConfigMessage, ProjectSettings } from "./config";
import { formatFunctionLog, sagaLogger } from "./console";
import { deployProgram } from "./deploy";
import { LocalDynamoDb } from "./dynamodb";
import { inspectHandler } from "./http";
import { LocalFunction } from "./lambda/function";
import { CloudMetrics, MetricsSnapshot } from "./metrics";
import { Provisioner, ResourceEntry } from "./provision";
import { LocalServer } from "./server";
import { ExecutionStore } from "./sfn/execution";
import { StepFunctionsService } from "./sfn/service";
import { lambdaTaskError, TaskTargets } from "./sfn/tasks";
import type { QueueSummary } from "./sqs";

export interface LocalCloudOptions {
    /** Default 3000; 0 picks a free port. */
    port?: number;
    /** Keep DynamoDB tables, closed executions and queued messages here across restarts; in memory when absent. */
    dataDir?: string;
    /** Where Pulumi.yaml is (the reference program's, or any other, e.g. examples/order). Default: the current directory. */
    programDir?: string;
    /** Which Pulumi.<stack>.yaml to read. Default "dev". */
    stack?: string;
    /** Config over the stack's, e.g. { "saga:compensationFailureRate": "0.4" }. */
    config?: Record<string, string>;
    /** Milliseconds between retries of a state, instead of the definition's intervals. Default: keep them. */
    retryIntervalMs?: number;
    /** AWS_LAMBDA_LOG_LEVEL of every function: which of their log lines are shown. Default "warn". */
    functionLogLevel?: string;
    /** Where the local cloud's lines go. Default: console.log. */
    log?: (line: string) => void;
    /** Where each line a function writes goes, as written (JSON lines of the saga handlers). Default: shortened, to `log`. */
    onFunctionLog?: (functionName: string, line: string) => void;
    /** Seeds each function's Math.random (per function), so runs with random failure injection repeat. Default: unseeded. */
    randomSeed?: number;
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
    /** What every function finds in its environment besides its own variables (region, credentials, endpoints). */
    functionEnvironment: Record<string, string>;
    deployMs: number;
    queues(): QueueSummary[];
    /** What the services have done since start-up or the last reset (also GET /_local/metrics). */
    metrics(): MetricsSnapshot;
    /** Starts counting afresh; answers the counts until now (also DELETE /_local/metrics). */
    resetMetrics(): MetricsSnapshot;
    /** Resolves when every execution started so far has ended. */
    idle(): Promise<void>;
    /** Aborts running executions, stops the functions and closes every port; idempotent. */
    stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const started = Date.now();
    const log = options.log ?? ((line: string) => console.log(line));
    const settings = loadProjectSettings(options.programDir ?? process.cwd(), options.stack ?? "dev", options.config);
    // Before anything starts: the Pulumi CLI too refuses a stack that lacks a required value.
    const missing = missingConfigMessage(settings, startCommand(settings));
    if (missing) throw new ConfigError(missing);
    const region = settings.config["aws:region"] ?? "us-east-1";
    const arns = { region, account: LOCAL_ACCOUNT };
    const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;

    const server = await LocalServer.listen(options.port ?? 3000, log);
    const cleanup: (() => Promise<void>)[] = [() => server.close()];
    const stopAll = async () => {
        for (const step of cleanup.splice(0).reverse()) await step().catch((error) => log(`While stopping: ${(error as Error).message}`));
    };
    try {
        const dynamo = await LocalDynamoDb.start(dataDir);
        cleanup.push(() => dynamo.close());
        const store = dataDir ? new ExecutionStore(dataDir) : undefined;
        const metrics = new CloudMetrics();
        // Every Lambda request goes through here, whoever makes it: a state machine or the API.
        const invoke = (fn: LocalFunction, event: unknown) => {
            metrics.countInvocation(fn.spec.name);
            return fn.invoke(event);
        };
        const logSagaEvent = sagaLogger(log);
        let provisioner: Provisioner | undefined;
        const stepFunctions = new StepFunctionsService({
            region,
            targets: taskTargets(() => provisioner!, invoke),
            retryIntervalMs: options.retryIntervalMs,
            onEvent: (execution, event) => {
                metrics.countExecutionEvent(execution, event);
                logSagaEvent(execution, event);
            },
            onClosed: (execution) => store?.save(execution),
        });
        const gateway = new ApiGatewayService({
            accountId: LOCAL_ACCOUNT,
            invoke: (arn, event) => {
                const fn = findFunction(provisioner!.functions, arn);
                return fn && invoke(fn, event);
            },
            log: (line) => log(`api ${line}`),
        });
        const environment = functionEnvironment(region, server.url, options.functionLogLevel ?? "warn");
        provisioner = new Provisioner({
            stack: settings.stack,
            arns,
            baseUrl: server.url,
            dataDir,
            dynamo,
            stepFunctions,
            gateway,
            functionHost: {
                projectRoot: settings.programDir,
                environment,
                randomSeed: options.randomSeed,
                onLog: options.onFunctionLog ?? ((name, line) => log(formatFunctionLog(name, line))),
            },
        });
        const functions = provisioner.functions;
        // Reversed when stopping: executions end first, then the functions they call, then the stores.
        cleanup.push(async () => void (await Promise.all([...functions.values()].map((fn) => fn.stop()))));
        cleanup.push(() => stepFunctions.stop());

        const outputs = await deployProgram(settings, (args) => provisioner!.newResource(args));
        stepFunctions.validateDefinitions();
        await provisioner.functionsLoaded();
        stepFunctions.restore(store?.load() ?? []);
        const queues = () => [...provisioner!.queues.values()];
        const resources = {
            provisioned: provisioner.provisioned,
            notProvisioned: provisioner.notProvisioned,
            components: provisioner.components,
            warnings: provisioner.warnings,
        };
        const routes = routesOf(gateway, server.url);
        server.serve({
            dynamo: metrics.countingDynamoDb(dynamo.handle),
            stepFunctions,
            gateway,
            queues,
            inspect: inspectHandler({
                overview: () => ({ project: settings.project, stack: settings.stack, outputs, routes, ...resources }),
                queues,
                metrics,
            }),
        });
        let stopping: Promise<void> | undefined;
        return {
            url: server.url,
            settings,
            outputs,
            resources,
            routes,
            functionEnvironment: environment,
            deployMs: Date.now() - started,
            queues: () => queues().map((queue) => queue.summary()),
            metrics: () => metrics.snapshot(),
            resetMetrics: () => metrics.reset(),
            idle: () => stepFunctions.idle(),
            stop: () => (stopping ??= stopAll()),
        };
    } catch (error) {
        await stopAll();
        throw error;
    }
}

/**
 * What every function finds in its environment besides its own variables, as Lambda sets region
 * and credentials: the standard endpoint settings send its AWS SDK clients to the local cloud.
 */
function functionEnvironment(region: string, url: string, logLevel: string): Record<string, string> {
    return {
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
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
function taskTargets(provisioner: () => Provisioner, invoke: (fn: LocalFunction, event: unknown) => ReturnType<LocalFunction["invoke"]>): TaskTargets {
    return {
        hasFunction: (name) => findFunction(provisioner().functions, name) !== undefined,
        async invokeFunction(name, payload) {
            const fn = findFunction(provisioner().functions, name);
            if (!fn) throw lambdaTaskError("Lambda.ResourceNotFoundException", `Function not found: ${name}`);
            const result = await invoke(fn, payload);
            if (!result.ok) throw lambdaTaskError(result.error.errorType, result.error.errorMessage, result.error.trace);
            return result.payload;
        },
        sendMessage(queueUrl, body) {
            const queue = provisioner().queues.get(queueUrl);
            if (!queue) throw Object.assign(new Error(`The queue ${queueUrl} does not exist.`), { name: "SQS.QueueDoesNotExistException" });
            return { MessageId: queue.send(body).messageId };
        },
    };
}

/** A function by ARN (qualified with $LATEST or not) or by name, as Lambda accepts FunctionName. */
function findFunction(functions: Map<string, LocalFunction>, name: string): LocalFunction | undefined {
    const unqualified = name.replace(/:\$LATEST$/, "");
    return functions.get(unqualified) ?? [...functions.values()].find((fn) => fn.spec.name === unqualified);
}
