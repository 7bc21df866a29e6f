// Checks a SagaComponent's arguments before any child exists, and resolves their defaults. Every
// message names the argument (in backticks) or the step, and says what to fix.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ApiSettings } from "./api";
import { BundleError, bundleHandler } from "./bundle";
import { ChaosSettings, resolveChaos } from "./chaos";
import { buildSagaDefinition, DEFAULT_DEFINITION_OPTIONS, DefinitionOptions } from "./definition";
import { FunctionSettings } from "./functions";
import { AUTONAME_SUFFIX_LENGTH, limitedNames } from "./naming";
import { actionsOf, inRange, SagaValidationError, stateNameOf, validateAction, validateSteps } from "./steps";
import type { SagaApiOptions, SagaComponentArgs, SagaLambdaOptions, SagaStatusOptions } from "./sagaComponent";
import { SagaAction, SagaStep } from "./types";

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

/** A handler ready to deploy: its bundled code and the export Lambda calls. */
export interface Handler {
    code: string;
    exportName: string;
}

/** A SagaComponent's arguments, checked, with every default filled in. */
export interface PreparedSaga {
    steps: SagaStep[];
    start: SagaAction;
    handlers: Map<SagaAction, Handler>;
    functions: FunctionSettings;
    definition: Partial<DefinitionOptions>;
    api: ApiSettings;
    compensationFailureRate: pulumi.Input<number>;
    /** Faults the step Lambdas inject, when chaos is on. */
    chaos?: ChaosSettings;
    /** The status route, when the saga has one. */
    status?: SagaStatusOptions;
}

/** Checks everything that can be checked before a child exists; throws SagaValidationError. */
export function prepareSaga(name: string, args: SagaComponentArgs): PreparedSaga {
    validateSteps(args?.steps);
    const steps = args.steps;
    const status = validateStatus(args.status);
    validateComponentName(name, steps, status !== undefined);
    if (args.table !== undefined && (!args.table?.name || !args.table?.arn)) {
        throw new SagaValidationError("`table` must have both `name` and `arn` of the table to share.");
    }
    const definition = args.definition ?? {};
    checkDefinition(steps, definition);
    const root = path.resolve(process.cwd(), args.handlerRoot ?? ".");
    return {
        steps,
        start: args.start,
        functions: resolveFunctionSettings(args.lambda, definition),
        definition,
        api: resolveApiSettings(args.api),
        compensationFailureRate: checkedInput(args.compensationFailureRate ?? 0, (n) =>
            inRange("compensationFailureRate", n, { min: 0, max: 1 }),
        ),
        chaos: resolveChaos(args.chaos),
        status,
        // Last: bundling is the slowest check.
        handlers: resolveHandlers(steps, args.start, status, root),
    };
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
    validateAction("`status.handler`", handler as Partial<SagaAction>);
    const write = handler!.tableAccess?.find((access) => access !== "Query");
    if (write !== undefined) {
        throw new SagaValidationError(
            `\`status.handler\` asks for table access "${write}"; a status handler only reads the saga's records, so the only allowed value is Query.`,
        );
    }
    return status as SagaStatusOptions;
}

/** Bundles every handler and checks that each module exists and exports its function. */
function resolveHandlers(steps: SagaStep[], start: unknown, status: SagaStatusOptions | undefined, root: string): Map<SagaAction, Handler> {
    if (typeof start !== "object" || start === null) {
        throw new SagaValidationError("`start` must name the API's start handler: an object with `module` and optionally `export`.");
    }
    validateAction("`start`", start);
    const labelled: [string, SagaAction][] = [
        ...steps.flatMap((step) => actionsOf(step).map(({ role, action }) => [`Step "${step.name}" \`${role}\``, action] as [string, SagaAction])),
        ["`start`", start as SagaAction],
        ...(status ? [["`status.handler`", status.handler] as [string, SagaAction]] : []),
    ];
    return new Map(labelled.map(([label, action]) => [action, resolveHandler(label, action, root)]));
}

function resolveHandler(label: string, action: SagaAction, root: string): Handler {
    const file = path.resolve(root, action.module);
    const described = `${label} handler module "${action.module}"`;
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
        throw new SagaValidationError(`${described} has no export "${exportName}" (${available}): set \`export\` to the handler's name.`);
    }
    return { code: bundle.code, exportName };
}

/** Resolves `lambda` options and checks them against each other and the definition. */
function resolveFunctionSettings(options: SagaLambdaOptions | undefined, definition: Partial<DefinitionOptions>): FunctionSettings {
    const settings = { ...DEFAULT_FUNCTION_SETTINGS, ...options };
    inRange("lambda.memorySize", settings.memorySize, { min: 128, max: 10240, whole: true });
    inRange("lambda.timeoutSeconds", settings.timeoutSeconds, { min: 1, max: 900, whole: true });
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(settings.logRetentionDays)) {
        throw new SagaValidationError(`\`lambda.logRetentionDays\` must be one of ${LOG_RETENTION_DAYS.join(", ")}.`);
    }
    if (settings.architecture !== "arm64" && settings.architecture !== "x86_64") {
        throw new SagaValidationError('`lambda.architecture` must be "arm64" or "x86_64".');
    }
    const taskTimeout = definition.taskTimeoutSeconds ?? DEFAULT_DEFINITION_OPTIONS.taskTimeoutSeconds;
    if (settings.timeoutSeconds >= taskTimeout) {
        throw new SagaValidationError(
            `\`lambda.timeoutSeconds\` (${settings.timeoutSeconds}) must be less than \`definition.taskTimeoutSeconds\` (${taskTimeout}): ` +
                "a task that timed out while its Lambda still ran would start the compensation alongside it.",
        );
    }
    return settings;
}

/** Renders the definition once with placeholder ARNs: the builder checks the options. */
function checkDefinition(steps: SagaStep[], options: Partial<DefinitionOptions>): void {
    const placeholders = Object.fromEntries(
        steps.flatMap((step) => actionsOf(step).map(({ role }) => [stateNameOf(step, role), "arn:placeholder"])),
    );
    try {
        buildSagaDefinition({ steps, functionArns: placeholders, failureQueueUrl: "placeholder", options });
    } catch (error) {
        throw new SagaValidationError(`\`definition\` is invalid: ${(error as Error).message}`);
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
