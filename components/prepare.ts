// Checks a SagaComponent's arguments before any child exists, and resolves their defaults. Every
// message names the argument (in backticks) or the step, and says what to fix. Part of the
// component's shell, not of the model (model/): it reads the handler modules, bundles them
// (bundle.ts) and wraps values Pulumi only knows at deployment.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { sourceOf, validateAction } from "./model/actions";
import {
    Architecture,
    SagaAction,
    SagaApiOptions,
    SagaComponentArgs,
    SagaDefinitionOptions,
    SagaLambdaOptions,
    SagaPolicyStatement,
    SagaRepairOptions,
    SagaStatusOptions,
    SagaStep,
    SagaTestingOptions,
    TableAccess,
    WorkflowType,
} from "./model/args";
import { BundleError, bundleHandler } from "./bundle";
import { ChaosSettings, resolveChaos } from "./model/chaos";
import { ActionRole } from "./model/conventions";
import { buildSagaDefinition, definitionDefaults } from "./model/definition";
import { AUTONAME_SUFFIX_LENGTH, limitedNames } from "./model/names";
import { DEFAULT_REPAIR_HORIZON_SECONDS, validateRepairHorizon } from "./model/repair";
import { actionsOf, inRange, SagaValidationError, stateNameOf, validateSteps } from "./model/steps";

/** Settings of a function the saga creates (validated up front). */
export interface FunctionSettings {
    memorySize: number;
    timeoutSeconds: number;
    logRetentionDays: number;
    architecture: Architecture;
}

export interface ApiSettings {
    stageName: pulumi.Input<string>;
    /** Steady-state requests per second, and the burst above it, across the whole stage. */
    rateLimit: pulumi.Input<number>;
    burstLimit: pulumi.Input<number>;
    /** Require SigV4-signed requests (AWS_IAM authorization) instead of a public endpoint. */
    iamAuth: boolean;
}

/** The code of a function the saga creates: bundled from a module, or the caller's archive. */
export interface FunctionCode {
    archive: pulumi.asset.Archive;
    handler: string;
    runtime: string;
}

/** One action, checked: an existing function, or everything the saga needs to create one. */
export interface PreparedAction {
    /** Names the action in messages, e.g. Step "Hotel" `reserve`. */
    label: string;
    /** An existing function: the saga creates nothing for this action. */
    functionArn?: pulumi.Input<string>;
    /** Otherwise the function's code, settings and grants. */
    code?: FunctionCode;
    settings: FunctionSettings;
    tableAccess: TableAccess[];
    environment: Record<string, pulumi.Input<string>>;
    policyStatements: SagaPolicyStatement[];
}

/** A step action, checked, with its place in the saga. */
export interface PreparedStepAction extends PreparedAction {
    step: string;
    role: ActionRole;
    stateName: string;
}

/** The testing switches with their defaults; never on in production. */
export interface TestingSettings {
    failureInjection: pulumi.Input<boolean>;
    compensationFailureRate: pulumi.Input<number>;
    /** Faults the step functions inject, when chaos is on. */
    chaos?: ChaosSettings;
}

export const DEFAULT_FUNCTION_SETTINGS: FunctionSettings = {
    memorySize: 256,
    timeoutSeconds: 10,
    logRetentionDays: 14,
    architecture: "arm64",
};

export const DEFAULT_API_SETTINGS = { stageName: "v1", rateLimit: 50, burstLimit: 100, iamAuth: true } as const;

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const COMPONENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
// One segment of the status route: fixed, or a `{parameter}` (not greedy: the id is one segment).
const PATH_SEGMENT = /^(?:[A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\})$/;
const STATUS_PATH_EXAMPLE = '"/trips/{tripId}"';

/** A SagaComponent's arguments, checked, with every default filled in. */
export interface PreparedSaga {
    steps: SagaStep[];
    workflowType: WorkflowType;
    /** Every step action, in flow order (each step's reserve, confirm, cancel). */
    actions: PreparedStepAction[];
    start: PreparedAction;
    /** The status route, when the saga has one. */
    status?: { path: string; handler: PreparedAction };
    definition: SagaDefinitionOptions;
    logRetentionDays: number;
    api: ApiSettings;
    testing: TestingSettings;
    repair: RepairSettings;
}

/** The repair, checked: its horizon, and the two functions the saga creates for it from this package's own handlers. */
export interface RepairSettings {
    horizonSeconds: number;
    /** Starts the repair machine on a status change of the saga's machine (handlers/lib/repair-start.ts). */
    start: PreparedAction;
    /** Writes the saga's outcome record for the repair machine (handlers/lib/repair-outcome.ts). */
    outcome: PreparedAction;
    /** EXPRESS only: hands open sagas past their deadline to the repair machine (handlers/lib/sweep.ts). */
    sweep?: PreparedAction;
}

// The start and status functions get the machine's ARN and the right to use it from the saga.
const NOT_EXISTING = {
    allowed: false,
    why: "the saga gives this function its state machine's ARN and the permission to use it, which it cannot give a function it does not create. Use `module` or `code`.",
};

/** Checks everything that can be checked before a child exists; throws SagaValidationError. */
export function prepareSaga(name: string, args: SagaComponentArgs): PreparedSaga {
    if (typeof args !== "object" || args === null) throw new SagaValidationError("SagaComponent needs its arguments: at least `steps` and `start`.");
    validateSteps(args.steps);
    const steps = args.steps;
    validateAction("`start`", args.start, NOT_EXISTING);
    const status = validateStatus(args.status);
    validateComponentName(name, steps, status !== undefined);
    if (args.table !== undefined && (!args.table?.name || !args.table?.arn)) {
        throw new SagaValidationError("`table` must have both `name` and `arn` of the table to share.");
    }
    const workflowType = resolveWorkflowType(args.workflowType);
    const definition = args.definition ?? {};
    checkDefinition(steps, definition, workflowType);
    const defaults = resolveFunctionSettings(args.lambda, workflowType);
    const taskTimeout = definition.taskTimeoutSeconds ?? definitionDefaults(workflowType).taskTimeoutSeconds;
    const prepare = actionPreparer(defaults, taskTimeout, handlerRootOf(args.handlerRoot));
    return {
        steps,
        workflowType,
        actions: steps.flatMap((step) =>
            actionsOf(step).map(({ role, action }) => ({
                ...prepare(`Step "${step.name}" \`${role}\``, action),
                step: step.name,
                role,
                stateName: stateNameOf(step, role),
            })),
        ),
        start: prepare("`start`", args.start),
        status: status && { path: status.path, handler: prepare("`status.handler`", status.handler) },
        definition,
        logRetentionDays: defaults.logRetentionDays,
        api: resolveApiSettings(args.api),
        testing: resolveTesting(args.testing),
        repair: resolveRepair(args.repair, steps.length, taskTimeout, defaults, workflowType),
    };
}

/** The package's own handlers of the repair, bundled like a caller's modules, with the saga's function defaults. */
export const REPAIR_HANDLERS = {
    start: "handlers/lib/repair-start.ts",
    outcome: "handlers/lib/repair-outcome.ts",
    sweep: "handlers/lib/sweep.ts",
} as const;

/** The sweep's own timeout: it pages through the open sagas, under a minute so that two sweeps seldom overlap. */
export const SWEEP_TIMEOUT_SECONDS = 50;

function resolveRepair(options: SagaRepairOptions | undefined, stepCount: number, taskTimeout: number, defaults: FunctionSettings, workflowType: WorkflowType): RepairSettings {
    if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
        throw new SagaValidationError("`repair` must be an object: { horizonSeconds }.");
    }
    const horizonSeconds = options?.horizonSeconds ?? DEFAULT_REPAIR_HORIZON_SECONDS;
    validateRepairHorizon("repair.horizonSeconds", horizonSeconds, stepCount, taskTimeout);
    const builtin = (label: string, relative: string, tableAccess: TableAccess[], own: Partial<SagaAction> = {}) => {
        const { root, file } = packageFile(relative);
        // The sweep is no Task of a machine: the rule that a function's timeout stays under the task's is not its.
        return actionPreparer(defaults, Math.max(taskTimeout, (own.timeoutSeconds ?? 0) + 1), { root, mustBeAbsolute: false })(label, { module: file, export: "handler", tableAccess, ...own });
    };
    return {
        horizonSeconds,
        start: builtin("The repair's start function", REPAIR_HANDLERS.start, []),
        outcome: builtin("The repair's outcome function", REPAIR_HANDLERS.outcome, ["PutItem"]),
        ...(workflowType === WorkflowType.EXPRESS
            ? // Its grants on the table are the sweep's own (an index Query, one update): see components/sweep.ts.
              { sweep: builtin("The sweep of open sagas", REPAIR_HANDLERS.sweep, [], { timeoutSeconds: SWEEP_TIMEOUT_SECONDS }) }
            : {}),
    };
}

/**
 * A file of this package, found from this module: in the repository (components/) or as
 * built and installed by another program (dist/components/), whose package ships
 * handlers/lib (package.json "files"). Answers the package's root too: the bundle's paths are
 * relative to it, so it is the same wherever the package is installed.
 */
function packageFile(relative: string): { root: string; file: string } {
    let dir = __dirname;
    for (let depth = 0; depth < 4; depth++, dir = path.dirname(dir)) {
        const file = path.join(dir, relative);
        if (fs.existsSync(file)) return { root: dir, file };
    }
    throw new Error(`This package's own handler ${relative} is missing: the package must ship handlers/lib (package.json "files").`);
}

/** Checks the component name: AWS resource names derive from it. */
function validateComponentName(name: string, steps: SagaStep[], withStatus: boolean): void {
    if (!COMPONENT_NAME.test(name)) {
        throw new SagaValidationError(
            `The component name "${name}" must consist of letters, digits, '-' and '_', starting with a letter or digit: AWS resource names derive from it.`,
        );
    }
    const names = limitedNames(name, steps, withStatus);
    const maximum = Math.min(...names.map((n) => n.limit - AUTONAME_SUFFIX_LENGTH - (n.name.length - name.length)));
    const tooLong = names.find((n) => n.name.length + AUTONAME_SUFFIX_LENGTH > n.limit);
    if (tooLong) {
        throw new SagaValidationError(
            `The component name "${name}" is too long: ${tooLong.what} would be named "${tooLong.name}" plus Pulumi's ` +
                `${AUTONAME_SUFFIX_LENGTH}-character random suffix, ${tooLong.name.length + AUTONAME_SUFFIX_LENGTH} characters, ` +
                `over the AWS limit of ${tooLong.limit}. With these steps the component name can have at most ${maximum} characters.`,
        );
    }
}

/**
 * Checks the status route: a GET on `path` reports a saga, so the path needs exactly one parameter,
 * the saga id, and a fixed first segment (a parameter first would take GET on every path of that
 * depth from the start handler). Its handler may only Query the saga's partition.
 */
function validateStatus(status: unknown): SagaStatusOptions | undefined {
    if (status === undefined) return undefined;
    if (typeof status !== "object" || status === null) {
        throw new SagaValidationError("`status` must be an object with the `path` of the status route and its `handler`.");
    }
    const { path: route, handler } = status as Partial<SagaStatusOptions>;
    const segments = typeof route === "string" && route.startsWith("/") ? route.slice(1).split("/") : [];
    if (segments.length === 0 || !segments.every((segment) => PATH_SEGMENT.test(segment))) {
        throw new SagaValidationError(
            `\`status.path\` must be an API path such as ${STATUS_PATH_EXAMPLE}: fixed segments of letters, digits, '.', '_' or '-', ` +
                `and one \`{parameter}\` segment for the saga id; got ${JSON.stringify(route) ?? String(route)}.`,
        );
    }
    const parameters = segments.filter((segment) => segment.startsWith("{")).length;
    if (parameters !== 1) {
        const found = parameters === 0 ? "no path parameter" : `${parameters} path parameters`;
        throw new SagaValidationError(
            `\`status.path\` "${route}" has ${found}: it needs exactly one, the saga id, as in ${STATUS_PATH_EXAMPLE}.`,
        );
    }
    if (segments[0].startsWith("{")) {
        throw new SagaValidationError(
            `\`status.path\` "${route}" must start with a fixed segment, as in ${STATUS_PATH_EXAMPLE}: a parameter first would ` +
                "take GET requests on every path of that depth from the start handler.",
        );
    }
    validateAction("`status.handler`", handler, NOT_EXISTING);
    const write = handler!.tableAccess?.find((access) => access !== "Query");
    if (write !== undefined) {
        throw new SagaValidationError(
            `\`status.handler\` asks for table access "${write}"; a status handler only reads the saga's records, so the only allowed value is Query.`,
        );
    }
    return status as SagaStatusOptions;
}

/**
 * The directory relative `module` paths resolve against. A program in another language runs the
 * component inside a plugin process, whose directory is the plugin's, not the program's: there a
 * relative root would silently mean the wrong place, so it must be absolute.
 */
function handlerRootOf(handlerRoot: unknown): HandlerRoot {
    if (handlerRoot !== undefined && (typeof handlerRoot !== "string" || handlerRoot.trim() === "")) {
        throw new SagaValidationError("`handlerRoot` must be a directory path.");
    }
    const absolute = typeof handlerRoot === "string" && path.isAbsolute(handlerRoot);
    return { root: path.resolve(process.cwd(), (handlerRoot as string | undefined) ?? "."), mustBeAbsolute: runsAsPlugin() && !absolute };
}

interface HandlerRoot {
    root: string;
    /** Relative modules are ambiguous here (see `handlerRootOf`). */
    mustBeAbsolute: boolean;
}

/** Whether this process is the component's plugin, started by the Pulumi engine for a program in another language. */
export function runsAsPlugin(): boolean {
    return /[\\/]cmd[\\/]run-plugin([\\/]|$)/.test(require.main?.filename ?? process.argv[1] ?? "");
}

/** Checks and resolves one action: its code (bundled now: a missing export fails at preview), settings and grants. */
function actionPreparer(defaults: FunctionSettings, taskTimeout: number, roots: HandlerRoot) {
    return (label: string, action: SagaAction): PreparedAction => {
        const settings = resolveActionSettings(label, action, defaults, taskTimeout);
        const base = {
            label,
            settings,
            tableAccess: action.tableAccess ?? [],
            environment: action.environment ?? {},
            policyStatements: action.policyStatements ?? [],
        };
        switch (sourceOf(action)) {
            case "functionArn":
                return { ...base, functionArn: action.functionArn };
            case "code":
                return { ...base, code: { archive: action.code!, handler: action.handler!, runtime: action.runtime! } };
            case "module":
                return { ...base, code: bundledCode(label, action, roots) };
        }
    };
}

/** The runtime of the functions bundled from a `module`. */
export const BUNDLED_RUNTIME = "nodejs22.x";

function bundledCode(label: string, action: SagaAction, roots: HandlerRoot): FunctionCode {
    const module = action.module!;
    const described = `${label} handler module "${module}"`;
    if (roots.mustBeAbsolute && !path.isAbsolute(module)) {
        throw new SagaValidationError(
            `${described} is a relative path, and the component runs as a plugin for a program in another language, whose ` +
                'directory it cannot know: set `handlerRoot` to an absolute path (Python: os.path.abspath("."); YAML: ${pulumi.cwd}), ' +
                "give `module` as an absolute path, or pass `code` archives.",
        );
    }
    const { root } = roots;
    const file = path.resolve(root, module);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
        throw new SagaValidationError(
            `${described} does not exist: looked for ${file} (a relative \`module\` resolves against \`handlerRoot\`, here ${root}).`,
        );
    }
    let bundle;
    try {
        bundle = bundleHandler(file, root);
    } catch (error) {
        if (!(error instanceof BundleError)) throw error;
        throw new SagaValidationError(`${described} could not be bundled: ${error.message}`);
    }
    const exportName = action.export ?? "handler";
    if (!bundle.exports.includes(exportName)) {
        const available = bundle.exports.length ? `it exports ${bundle.exports.join(", ")}` : "it exports nothing";
        if (bundle.opaqueExports) {
            throw new SagaValidationError(
                `${described} has no export "${exportName}" that can be read before it runs (${available} that can; module.exports is replaced by ` +
                    `${bundle.opaqueExports}): assign \`exports.${exportName} = ...\` or \`module.exports = { ${exportName} }\`, or set \`export\` to the handler's name.`,
            );
        }
        throw new SagaValidationError(`${described} has no export "${exportName}" (${available}): set \`export\` to the handler's name.`);
    }
    const archive = new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) });
    return { archive, handler: `index.${exportName}`, runtime: BUNDLED_RUNTIME };
}

/** The functions' default timeout on EXPRESS: under its 4-second task timeout (definition.ts). */
export const EXPRESS_FUNCTION_TIMEOUT_SECONDS = 3;

function resolveWorkflowType(workflowType: unknown): WorkflowType {
    if (workflowType === undefined) return WorkflowType.STANDARD;
    if (!(Object.values(WorkflowType) as unknown[]).includes(workflowType)) {
        throw new SagaValidationError(`\`workflowType\` must be "STANDARD" or "EXPRESS"; got ${JSON.stringify(workflowType) ?? String(workflowType)}.`);
    }
    return workflowType as WorkflowType;
}

/** Resolves the saga-wide `lambda` defaults. */
function resolveFunctionSettings(options: SagaLambdaOptions | undefined, workflowType: WorkflowType): FunctionSettings {
    const base = workflowType === WorkflowType.EXPRESS ? { ...DEFAULT_FUNCTION_SETTINGS, timeoutSeconds: EXPRESS_FUNCTION_TIMEOUT_SECONDS } : DEFAULT_FUNCTION_SETTINGS;
    const settings = { ...base, ...options };
    checkFunctionSettings("lambda.", settings);
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(settings.logRetentionDays)) {
        throw new SagaValidationError(`\`lambda.logRetentionDays\` must be one of ${LOG_RETENTION_DAYS.join(", ")}.`);
    }
    return settings;
}

/** One action's settings: its own over the saga's defaults, its timeout under the task's. */
function resolveActionSettings(label: string, action: SagaAction, defaults: FunctionSettings, taskTimeout: number): FunctionSettings {
    const own: Partial<FunctionSettings> = {};
    if (action.memorySize !== undefined) own.memorySize = action.memorySize;
    if (action.timeoutSeconds !== undefined) own.timeoutSeconds = action.timeoutSeconds;
    if (action.architecture !== undefined) own.architecture = action.architecture;
    try {
        checkFunctionSettings("", own);
    } catch (error) {
        throw new SagaValidationError(`${label}: ${(error as Error).message}`);
    }
    const settings = { ...defaults, ...own };
    if (action.functionArn === undefined && settings.timeoutSeconds >= taskTimeout) {
        const which = own.timeoutSeconds !== undefined ? `${label} \`timeoutSeconds\`` : "`lambda.timeoutSeconds`";
        throw new SagaValidationError(
            `${which} (${settings.timeoutSeconds}) must be less than \`definition.taskTimeoutSeconds\` (${taskTimeout}): ` +
                "a task that timed out while its Lambda still ran would start the compensation alongside it.",
        );
    }
    return settings;
}

/** Checks the function settings that are given; `prefix` places them in the arguments, e.g. "lambda.". */
function checkFunctionSettings(prefix: string, settings: Partial<FunctionSettings>): void {
    if (settings.memorySize !== undefined) inRange(`${prefix}memorySize`, settings.memorySize, { min: 128, max: 10240, whole: true });
    if (settings.timeoutSeconds !== undefined) inRange(`${prefix}timeoutSeconds`, settings.timeoutSeconds, { min: 1, max: 900, whole: true });
    if (settings.architecture !== undefined && !Object.values(Architecture).includes(settings.architecture)) {
        throw new SagaValidationError(`\`${prefix}architecture\` must be "arm64" or "x86_64".`);
    }
}

function resolveTesting(testing: SagaTestingOptions | undefined): TestingSettings {
    if (testing !== undefined && (typeof testing !== "object" || testing === null)) {
        throw new SagaValidationError("`testing` must be an object: { failureInjection, compensationFailureRate, chaos }.");
    }
    return {
        failureInjection: testing?.failureInjection ?? false,
        compensationFailureRate: checkedInput(testing?.compensationFailureRate ?? 0, (n) =>
            inRange("testing.compensationFailureRate", n, { min: 0, max: 1 }),
        ),
        chaos: resolveChaos(testing?.chaos, "testing.chaos"),
    };
}

/** Renders the definition once with placeholder ARNs: the builder checks the options (on EXPRESS, its 5 minutes too). */
function checkDefinition(steps: SagaStep[], options: SagaDefinitionOptions, workflowType: WorkflowType): void {
    const placeholders = Object.fromEntries(
        steps.flatMap((step) => actionsOf(step).map(({ role }) => [stateNameOf(step, role), "arn:placeholder"])),
    );
    try {
        buildSagaDefinition({ steps, functionArns: placeholders, failureQueueUrl: "placeholder", options, workflowType, tableName: "placeholder" });
    } catch (error) {
        const express = workflowType === WorkflowType.EXPRESS ? " for the EXPRESS workflow type" : "";
        throw new SagaValidationError(`\`definition\` is invalid${express}: ${(error as Error).message}`);
    }
}

function resolveApiSettings(options: SagaApiOptions | undefined): ApiSettings {
    const defaults = DEFAULT_API_SETTINGS;
    return {
        stageName: options?.stageName ?? defaults.stageName,
        iamAuth: options?.iamAuth ?? defaults.iamAuth,
        rateLimit: checkedInput(options?.throttle?.rateLimit ?? defaults.rateLimit, (n) =>
            inRange("api.throttle.rateLimit", n, { min: 0 }),
        ),
        burstLimit: checkedInput(options?.throttle?.burstLimit ?? defaults.burstLimit, (n) =>
            inRange("api.throttle.burstLimit", n, { min: 0, whole: true }),
        ),
    };
}

/** A plain value is checked now; a value known only at deployment, once it is known. */
function checkedInput<T>(value: pulumi.Input<T>, check: (value: T) => void): pulumi.Input<T> {
    if (!pulumi.Output.isInstance(value) && !(value instanceof Promise)) {
        check(value as T);
        return value;
    }
    return pulumi.output(value).apply((known) => {
        check(known as T);
        return known;
    }) as pulumi.Input<T>;
}
