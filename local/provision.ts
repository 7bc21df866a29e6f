// Provisions each resource the program registers, from that resource's own inputs, on the local
// stand-ins, and answers the outputs the AWS provider would compute (ARNs, URLs, names), pointing
// at the local services. Called by the Pulumi mocks' newResource, in the program's dependency
// order: a function exists before the state machine whose definition names its ARN.
import * as pulumi from "@pulumi/pulumi";
import { isRpcSecret, unwrapRpcSecret } from "@pulumi/pulumi/runtime/rpc";
import { isDefaultBus, parseEventPattern } from "../components/model/event-pattern";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ApiGatewayService } from "./apigateway/gateway";
import { parseRestApiBody } from "./apigateway/routes";
import { ResourceTypes } from "../components/model/resource-types";
import { ArnContext, eventRuleArn, executeApiArn, genericArn, lambdaArn, lambdaInvokeArn, queueArn, restApiArn, stateMachineArn, tableArn } from "../components/model/arns";
import type { LocalDynamoDb } from "./dynamodb/service";
import { parseSchedule } from "./events/schedule";
import { DEFAULT_TARGET_EVENT_AGE_SECONDS, LAMBDA_ASYNC_DEFAULTS, LocalEventBridge } from "./events/service";
import { archiveFiles, UnsupportedCode } from "./lambda/archive";
import { FunctionHost, LocalFunction, Unrunnable } from "./lambda/function";
import type { IamGate } from "./iam/gate";
import { IamResources } from "./iam/resources";
import type { LocalLogs } from "./logs/service";
import { stateMachineLogging } from "./logs/states";
import type { StepFunctionsService } from "./sfn/service";
import { idOf } from "../harness/harness";
import { LocalQueue, QueueSettings } from "./sqs/queue";

export interface ProvisionContext {
    stack: string;
    arns: ArnContext;
    /** The local cloud's URL, e.g. http://127.0.0.1:3000. */
    baseUrl: string;
    /** Where queues keep their messages across restarts; in memory when absent. */
    dataDir?: string;
    /** With a data folder: how its queues report what they drop at start and writes that fail. */
    queueSettings?: Pick<QueueSettings, "warn" | "onWriteFailed">;
    /** With a data folder: told of each table it holds from now on (its manifest, local/data-folder.ts). */
    onTable?(name: string): void;
    dynamo: LocalDynamoDb;
    stepFunctions: StepFunctionsService;
    gateway: ApiGatewayService;
    functionHost: FunctionHost;
    events: LocalEventBridge;
    /** CloudWatch Logs: the program's log groups. */
    logs: LocalLogs;
    /** Gives each function its role's credentials; takes the roles' policies. */
    iam: IamGate;
}

export interface ResourceEntry {
    type: string;
    name: string;
    /** What the resource is locally: a URL, a physical name. */
    local?: string;
}

type Inputs = Record<string, any>;
type Result = { id: string | undefined; state: Record<string, unknown> };
/**
 * `inputs` with secrets revealed (what the resource is provisioned from: a function's environment
 * may hold a secret), `declared` as registered (what its outputs echo, so secrets stay secret).
 */
type Provision = (args: { name: string; inputs: Inputs; declared: Inputs; physical: string }) => Promise<Result>;

export class Provisioner {
    readonly functions = new Map<string, LocalFunction>();
    readonly queues = new Map<string, LocalQueue>();
    readonly provisioned: ResourceEntry[] = [];
    readonly notProvisioned: ResourceEntry[] = [];
    readonly components: ResourceEntry[] = [];
    /** Problems that do not stop the start-up (a function that cannot run here, or whose code fails to load). */
    readonly warnings: string[] = [];
    private readonly byType: Record<string, Provision>;
    private readonly iamResources: IamResources;

    constructor(private readonly ctx: ProvisionContext) {
        this.iamResources = new IamResources(ctx.iam.policies, ctx.arns.account, (warning) => this.warnings.push(warning));
        this.byType = {
            [ResourceTypes.role]: (args) => this.iamRole(args),
            [ResourceTypes.rolePolicy]: (args) => this.iamRolePolicy(args),
            [ResourceTypes.rolePolicyAttachment]: (args) => this.iamRolePolicyAttachment(args),
            [ResourceTypes.policy]: (args) => this.iamPolicy(args),
            [ResourceTypes.table]: (args) => this.table(args),
            [ResourceTypes.function]: (args) => this.lambda(args),
            [ResourceTypes.queue]: (args) => this.queue(args),
            [ResourceTypes.stateMachine]: (args) => this.stateMachine(args),
            [ResourceTypes.restApi]: (args) => this.restApi(args),
            [ResourceTypes.restApiStage]: (args) => this.stage(args),
            [ResourceTypes.eventRule]: (args) => this.eventRule(args),
            [ResourceTypes.eventTarget]: (args) => this.eventTarget(args),
            [ResourceTypes.invokeConfig]: (args) => this.asyncInvokeConfig(args),
            [ResourceTypes.permission]: (args) => this.permission(args),
            [ResourceTypes.logGroup]: (args) => this.logGroup(args),
        };
    }

    async newResource(args: pulumi.runtime.MockResourceArgs): Promise<Result> {
        if (args.custom === false || args.type.startsWith("pulumi:")) {
            this.components.push({ type: args.type, name: args.name });
            return { id: undefined, state: {} };
        }
        const physical = args.type === ResourceTypes.queue && args.inputs.fifoQueue ? `${this.physical(args)}.fifo` : this.physical(args);
        const provision = this.byType[args.type];
        if (!provision) {
            this.notProvisioned.push({ type: args.type, name: args.name });
            // Plausible outputs only, so the program's interpolations do not read "undefined".
            return { id: physical, state: { ...args.inputs, name: physical, arn: genericArn(this.ctx.arns, args.type, physical) } };
        }
        return provision({ name: args.name, inputs: revealSecrets(args.inputs) as Inputs, declared: args.inputs, physical });
    }

    /**
     * Starts every function's execution environment now, instead of at its first invocation, and
     * answers a warning (also kept with the others) for each whose code fails to load.
     */
    async loadFunctions(): Promise<string[]> {
        const warnings: string[] = [];
        await Promise.all(
            [...this.functions.values()].map(async (fn) => {
                // Reported when it was provisioned, with the reason.
                if (fn.spec.unrunnable) return;
                const initError = await fn.start();
                // A function stopped meanwhile (the cloud is stopping) did not fail to load.
                if (initError && !fn.stopped) warnings.push(`The function ${fn.spec.name} fails to load (${initError.errorType}: ${initError.errorMessage}); every invocation will report it.`);
            }),
        );
        // Loading again reports the same failures; they are kept once.
        this.warnings.push(...warnings.filter((warning) => !this.warnings.includes(warning)));
        return warnings;
    }

    private physical(args: pulumi.runtime.MockResourceArgs): string {
        return physicalName(this.ctx.stack, args.type, args.name, args.inputs);
    }

    private done(type: string, name: string, local: string, id: string, state: Record<string, unknown>): Result {
        this.provisioned.push({ type, name, local });
        return { id, state };
    }

    private async iamRole({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const { arn, local } = this.iamResources.role(physical, inputs);
        // A role's ID is its name.
        return this.done(ResourceTypes.role, name, local, physical, { ...declared, name: physical, arn, uniqueId: physical });
    }

    private async iamRolePolicy({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const role = String(await idOf(inputs.role));
        const local = this.iamResources.rolePolicy(role, physical, inputs.policy);
        return this.done(ResourceTypes.rolePolicy, name, local, `${role}:${physical}`, { ...declared, name: physical, role });
    }

    private async iamRolePolicyAttachment({ name, inputs, declared }: Parameters<Provision>[0]): Promise<Result> {
        const role = String(await idOf(inputs.role));
        const local = this.iamResources.attachment(role, String(inputs.policyArn));
        return this.done(ResourceTypes.rolePolicyAttachment, name, local, `${role}-${name}`, { ...declared, role });
    }

    private async iamPolicy({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const { arn, local } = this.iamResources.policy(physical, inputs);
        return this.done(ResourceTypes.policy, name, local, arn, { ...declared, name: physical, arn });
    }

    private async table({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const { created } = await this.ctx.dynamo.createTable(physical, inputs);
        this.ctx.onTable?.(physical);
        const arn = tableArn(this.ctx.arns, physical);
        const local = `DynamoDB table ${physical}${created ? "" : " (kept from the data folder)"}`;
        return this.done(ResourceTypes.table, name, local, physical, { ...declared, name: physical, arn });
    }

    private async lambda({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const arn = lambdaArn(this.ctx.arns, physical);
        const runtime = typeof inputs.runtime === "string" ? inputs.runtime : undefined;
        // A function this machine cannot run is still deployed (the program's other resources refer
        // to it, a state machine may invoke it), reported now, and fails every invocation, saying why.
        let unrunnable = runtime !== undefined && !NODE_RUNTIME.test(runtime) ? unsupportedRuntime(physical, runtime) : undefined;
        let files: Record<string, string> = {};
        if (!unrunnable) {
            try {
                files = await archiveFiles(inputs.code);
            } catch (error) {
                if (!(error instanceof UnsupportedCode)) throw error;
                unrunnable = unsupportedCode(physical, error.message);
            }
        }
        if (unrunnable) this.warnings.push(unrunnable.warning);
        const fn = new LocalFunction(
            {
                name: physical,
                arn,
                files,
                handler: inputs.handler ?? "index.handler",
                environment: Object.fromEntries(Object.entries(inputs.environment?.variables ?? {}).map(([key, value]) => [key, String(value)])),
                timeoutSeconds: inputs.timeout ?? 3,
                memorySize: inputs.memorySize ?? 128,
                architecture: Array.isArray(inputs.architectures) && inputs.architectures[0] === "arm64" ? "arm64" : "x86_64",
                unrunnable,
                credentials: this.ctx.iam.credentials.issueForFunction(physical, String(inputs.role ?? "")),
            },
            this.ctx.functionHost,
        );
        // Its execution environment starts at its first invocation, as on Lambda (a cold start).
        this.functions.set(arn, fn);
        const state = { ...declared, name: physical, arn, invokeArn: lambdaInvokeArn(this.ctx.arns, physical), qualifiedArn: `${arn}:$LATEST`, version: "$LATEST" };
        const local = unrunnable
            ? `function ${physical} (${runtime ?? "no runtime"}: cannot run here, every invocation fails with ${unrunnable.errorType})`
            : `function ${physical} (${inputs.handler}, in a worker thread)`;
        return this.done(ResourceTypes.function, name, local, physical, state);
    }

    private async queue({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const url = `${this.ctx.baseUrl}/_local/queues/${physical}`;
        const arn = queueArn(this.ctx.arns, physical);
        const file = this.ctx.dataDir ? path.join(this.ctx.dataDir, "sqs", `${physical}.jsonl`) : undefined;
        if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
        const fifo = inputs.fifoQueue === true;
        const seconds = (value: unknown) => (typeof value === "number" ? value : undefined);
        this.queues.set(
            url,
            new LocalQueue(physical, url, arn, {
                fifo,
                contentBasedDeduplication: inputs.contentBasedDeduplication === true,
                file,
                visibilityTimeoutSeconds: seconds(inputs.visibilityTimeoutSeconds),
                delaySeconds: seconds(inputs.delaySeconds),
                messageRetentionSeconds: seconds(inputs.messageRetentionSeconds),
                maximumMessageSize: seconds(inputs.maxMessageSize),
                receiveWaitTimeSeconds: seconds(inputs.receiveWaitTimeSeconds),
                ...this.ctx.queueSettings,
            }),
        );
        // A queue's ID is its URL.
        return this.done(ResourceTypes.queue, name, `${url}${fifo ? " (FIFO)" : ""}`, url, { ...declared, name: physical, url, arn });
    }

    private async stateMachine({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const arn = stateMachineArn(this.ctx.arns, physical);
        const type = inputs.type ?? "STANDARD";
        const logging = stateMachineLogging(inputs.loggingConfiguration);
        if (logging && !this.ctx.logs.groupOfArn(logging.logGroupArn)) {
            this.warnings.push(`The state machine ${physical} logs to ${logging.logGroupArn}, which is no log group of this program: its log records are dropped.`);
        }
        this.ctx.stepFunctions.createStateMachine({ name: physical, arn, definition: inputs.definition, roleArn: inputs.roleArn ?? "", type, tags: inputs.tags ?? {}, logging, tracing: inputs.tracingConfiguration?.enabled === true });
        const state = { ...declared, name: physical, arn, status: "ACTIVE", creationDate: new Date().toISOString() };
        const logs = logging ? `, logging ${logging.level}${logging.includeExecutionData ? " with execution data" : ""}` : "";
        return this.done(ResourceTypes.stateMachine, name, `${type} state machine ${physical}${logs}`, arn, state);
    }

    private async logGroup({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const group = this.ctx.logs.createLogGroup(physical, typeof inputs.retentionInDays === "number" ? inputs.retentionInDays : undefined);
        const arn = group.arn.replace(/:\*$/, "");
        // A log group's ID is its name.
        return this.done(ResourceTypes.logGroup, name, `log group ${physical} (GET /_local/logs/${encodeURIComponent(physical)})`, physical, { ...declared, name: physical, arn });
    }

    private async restApi({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const id = createHash("sha256").update(`${this.ctx.stack}\n${name}`).digest("hex").slice(0, 10);
        if (typeof inputs.body !== "string") {
            this.warnings.push(`The REST API ${name} has no OpenAPI body; routes declared by separate Resource and Method resources are not served locally.`);
        }
        const spec = parseRestApiBody(typeof inputs.body === "string" ? inputs.body : "{}", inputs.binaryMediaTypes ?? []);
        this.ctx.gateway.addRestApi(id, physical, spec);
        const state = {
            ...declared,
            name: physical,
            rootResourceId: "root",
            executionArn: executeApiArn(this.ctx.arns, id),
            arn: restApiArn(this.ctx.arns, id),
            createdDate: new Date().toISOString(),
        };
        return this.done(ResourceTypes.restApi, name, `REST API ${physical} (${spec.resources.length} resources)`, id, state);
    }

    private async stage({ name, inputs, declared }: Parameters<Provision>[0]): Promise<Result> {
        const restApiId = String(await idOf(inputs.restApi));
        if (!this.ctx.gateway.apis.has(restApiId)) throw new Error(`The stage ${name} belongs to the REST API ${restApiId}, which is not deployed.`);
        const stage = this.ctx.gateway.addStage(restApiId, inputs.stageName, inputs.variables ?? {});
        const invokeUrl = `${this.ctx.baseUrl}${stage.prefix}`;
        const state = { ...declared, invokeUrl, executionArn: executeApiArn(this.ctx.arns, restApiId, inputs.stageName) };
        return this.done(ResourceTypes.restApiStage, name, invokeUrl, `ags-${restApiId}-${inputs.stageName}`, state);
    }

    private async eventRule({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const bus = isDefaultBus(inputs.eventBusName) ? undefined : String(inputs.eventBusName).split("/").pop();
        const arn = eventRuleArn(this.ctx.arns, physical, bus);
        const pattern = parseEventPattern(inputs.eventPattern);
        // An expression EventBridge refuses fails the deployment, with EventBridge's message.
        const schedule = inputs.scheduleExpression === undefined ? undefined : parseSchedule(String(inputs.scheduleExpression));
        if (schedule && bus) throw new Error(`The EventBridge rule ${physical}: ValidationException: ScheduleExpression is supported only on the default event bus.`);
        const enabled = inputs.state !== "DISABLED" && inputs.isEnabled !== false;
        this.ctx.events.addRule({
            name: physical,
            arn,
            pattern,
            enabled,
            onDefaultBus: bus === undefined,
            ...(bus ? { bus } : {}),
            ...(typeof inputs.eventPattern === "string" ? { patternText: inputs.eventPattern } : {}),
            ...(schedule ? { schedule } : {}),
        });
        const local = bus
            ? `EventBridge rule ${physical} on the bus ${bus} (only the default bus receives the local services' events)`
            : `EventBridge rule ${physical}${schedule ? ` on the schedule ${schedule.expression}` : ""}${enabled ? "" : " (disabled)"}`;
        return this.done(ResourceTypes.eventRule, name, local, bus ? `${bus}/${physical}` : physical, { ...declared, name: physical, arn });
    }

    private async eventTarget({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        const targetId = typeof inputs.targetId === "string" ? inputs.targetId : physical;
        const id = `${inputs.rule}-${targetId}`;
        if (inputs.input !== undefined || inputs.inputPath !== undefined || inputs.inputTransformer !== undefined) {
            this.warnings.push(`The EventBridge target ${name} transforms the event (input, inputPath or inputTransformer), which the local cloud does not: it delivers nothing to it.`);
            this.notProvisioned.push({ type: ResourceTypes.eventTarget, name });
            return { id, state: { ...declared, targetId } };
        }
        this.ctx.events.addTarget({
            rule: String(inputs.rule),
            targetId,
            arn: String(inputs.arn),
            deadLetterArn: inputs.deadLetterConfig?.arn,
            maximumEventAgeSeconds: inputs.retryPolicy?.maximumEventAgeInSeconds ?? DEFAULT_TARGET_EVENT_AGE_SECONDS,
        });
        const dlq = inputs.deadLetterConfig?.arn ? `, dead letters to ${String(inputs.deadLetterConfig.arn).split(":").pop()}` : "";
        return this.done(ResourceTypes.eventTarget, name, `events of ${inputs.rule} -> ${inputs.arn}${dlq}`, id, { ...declared, targetId });
    }

    private async asyncInvokeConfig({ name, inputs, declared }: Parameters<Provision>[0]): Promise<Result> {
        const functionName = String(inputs.functionName);
        const onFailure = inputs.destinationConfig?.onFailure?.destination;
        const onSuccess = inputs.destinationConfig?.onSuccess?.destination;
        const maximumRetryAttempts = inputs.maximumRetryAttempts ?? LAMBDA_ASYNC_DEFAULTS.maximumRetryAttempts;
        this.ctx.events.addAsyncInvokeConfig({
            functionName,
            maximumRetryAttempts,
            maximumEventAgeSeconds: inputs.maximumEventAgeInSeconds ?? LAMBDA_ASYNC_DEFAULTS.maximumEventAgeSeconds,
            ...(onFailure ? { onFailure } : {}),
            ...(onSuccess ? { onSuccess } : {}),
        });
        const local = `asynchronous invocations of ${functionName}: ${maximumRetryAttempts} retries${onFailure ? `, then to ${String(onFailure).split(":").pop()}` : ""}`;
        return this.done(ResourceTypes.invokeConfig, name, local, functionName, { ...declared });
    }

    private async permission({ name, inputs, declared, physical }: Parameters<Provision>[0]): Promise<Result> {
        // awsx gives its routes' permissions the Function resource itself: its ID is the function's name.
        const functionName = String(await idOf(inputs.function));
        const principal = String(inputs.principal);
        this.ctx.events.addPermission({ functionName, action: String(inputs.action), principal, ...(inputs.sourceArn ? { sourceArn: String(inputs.sourceArn) } : {}) });
        const statementId = typeof inputs.statementId === "string" ? inputs.statementId : physical;
        return this.done(ResourceTypes.permission, name, `${principal} may invoke ${functionName}`, statementId, { ...declared, statementId });
    }
}

/** The runtimes whose code runs here: this machine's Node.js runs any Lambda Node.js runtime's code. */
const NODE_RUNTIME = /^nodejs\d+\.x$/;

function unsupportedRuntime(functionName: string, runtime: string): Unrunnable {
    const why = `its runtime ${runtime} is not Node.js, and the local cloud runs Node.js functions (nodejs*.x) only, in worker threads`;
    return {
        errorType: "LocalCloud.UnsupportedRuntime",
        errorMessage: `The function ${functionName} cannot run on the local cloud: ${why}. It runs on AWS; to exercise this action locally, give it a Node.js implementation.`,
        warning: `The function ${functionName} (runtime ${runtime}) cannot run here: ${why}. It is deployed, and every invocation of it fails with LocalCloud.UnsupportedRuntime.`,
    };
}

function unsupportedCode(functionName: string, reason: string): Unrunnable {
    return {
        errorType: "LocalCloud.UnsupportedCode",
        errorMessage: `The function ${functionName} cannot run on the local cloud: ${reason}.`,
        warning: `The function ${functionName} cannot run here: ${reason}. It is deployed, and every invocation of it fails with LocalCloud.UnsupportedCode.`,
    };
}

/**
 * The value with every secret revealed: the mocks hand a secret input over wrapped (a function's
 * environment holding a secret arrives as one wrapped object), and the local stand-ins need the
 * values. Assets, archives and resources are left as they are.
 */
export function revealSecrets(value: unknown): unknown {
    if (isRpcSecret(value)) return revealSecrets(unwrapRpcSecret(value));
    if (Array.isArray(value)) return value.map(revealSecrets);
    if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, revealSecrets(item)]));
}

/**
 * The physical name Pulumi would give a resource: its explicit `name`, its `namePrefix` plus a
 * suffix, or its logical name plus a suffix. Pulumi's suffix is random; here it is a hash of the
 * stack and the resource, so a table kept in a data folder is found again on the next start.
 */
function physicalName(stack: string, type: string, logicalName: string, inputs: Record<string, unknown>): string {
    if (typeof inputs.name === "string") return inputs.name;
    const suffix = createHash("sha256").update(`${stack}\n${type}\n${logicalName}`).digest("hex").slice(0, 7);
    if (typeof inputs.namePrefix === "string") return `${inputs.namePrefix}${suffix}`;
    return `${logicalName}-${suffix}`;
}
