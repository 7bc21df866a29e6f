// Checks one action of a saga (a step's reserve, confirm or cancel, the start or status handler)
// before anything is created. Pure: the definition builder and the component share it.
import { Architecture, SagaAction, TABLE_ACCESS } from "./args";
import { Env } from "./conventions";
import { SagaValidationError } from "./errors";

const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// Lambda's rule for environment variable names.
const ENV_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;
// The runtime families Lambda offers (`nodejs22.x`, `python3.13`, `java21`, `dotnet8`, `ruby3.4`, `provided.al2023`).
const RUNTIME = /^(nodejs\d+\.x|python3\.\d+|java\d+(\.al2)?|dotnet\d+|ruby\d\.\d+|provided(\.al2|\.al2023)?)$/;
const IAM_ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;

/** Variables Lambda sets itself (it rejects them), and those the saga gives its functions. */
const RESERVED_ENVIRONMENT = new Set<string>([
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
    ...Object.values(Env),
]);

/** The ways an action's code can be given; exactly one per action. */
export const CODE_SOURCES = ["module", "code", "functionArn"] as const;
export type CodeSource = (typeof CODE_SOURCES)[number];

/** What configures a function the saga creates: meaningless on an existing function. */
const OWN_FUNCTION_SETTINGS = ["tableAccess", "environment", "policyStatements", "memorySize", "timeoutSeconds", "architecture"] as const;

/** The one source of an action's code (checked by `validateAction`). */
export function sourceOf(action: SagaAction): CodeSource {
    return CODE_SOURCES.find((source) => action[source] !== undefined)!;
}

/**
 * Checks one action; `label` names it in the message, e.g. Step "Hotel" `reserve`. `existing`
 * says whether an existing function may stand for it (not for the start and status handlers: the
 * saga must give them its machine's ARN and the right to use it).
 */
export function validateAction(label: string, action: unknown, existing: { allowed: boolean; why?: string } = { allowed: true }): void {
    if (typeof action !== "object" || action === null || Array.isArray(action)) {
        throw new SagaValidationError(`${label} must be an object with one source of code: ${describeSources()}.`);
    }
    const given = action as Partial<Record<keyof SagaAction, unknown>>;
    const sources = CODE_SOURCES.filter((source) => given[source] !== undefined);
    if (sources.length !== 1) {
        const found = sources.length === 0 ? "has none" : `has ${sources.map((s) => `\`${s}\``).join(" and ")}`;
        throw new SagaValidationError(`${label} needs exactly one source of code and ${found}: ${describeSources()}.`);
    }
    const source = sources[0];
    if (source === "module") validateModule(label, given);
    else if (given.export !== undefined) throw new SagaValidationError(`${label} sets \`export\`, which only applies to \`module\`.`);
    if (source === "code") validateArchive(label, given);
    else {
        for (const key of ["handler", "runtime"] as const) {
            if (given[key] !== undefined) throw new SagaValidationError(`${label} sets \`${key}\`, which only applies to \`code\`.`);
        }
    }
    if (source === "functionArn") {
        if (!existing.allowed) throw new SagaValidationError(`${label} cannot be an existing function (\`functionArn\`): ${existing.why}`);
        validateExisting(label, given);
        return;
    }
    validateTableAccess(label, given.tableAccess);
    validateEnvironment(label, given.environment);
    validatePolicyStatements(label, given.policyStatements);
    if (given.architecture !== undefined && !Object.values(Architecture).includes(given.architecture as Architecture)) {
        throw new SagaValidationError(`${label} has an invalid \`architecture\` ${JSON.stringify(given.architecture)}: use ${quoted(Object.values(Architecture))}.`);
    }
}

const describeSources = () =>
    "`module` (a file the saga bundles), `code` with `handler` and `runtime` (an archive for any runtime), or `functionArn` (an existing function)";
const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(" or ");

function validateModule(label: string, action: Partial<Record<keyof SagaAction, unknown>>): void {
    if (typeof action.module !== "string" || action.module.trim() === "") {
        throw new SagaValidationError(`${label} must name its handler's source file in \`module\`.`);
    }
    if (action.export !== undefined && (typeof action.export !== "string" || !EXPORT_NAME.test(action.export))) {
        throw new SagaValidationError(`${label} has an invalid \`export\` ${JSON.stringify(action.export)}: it must be a JavaScript identifier.`);
    }
}

function validateArchive(label: string, action: Partial<Record<keyof SagaAction, unknown>>): void {
    if (typeof action.code !== "object" || action.code === null) {
        throw new SagaValidationError(`${label} has a \`code\` that is not an archive: use e.g. new pulumi.asset.FileArchive("./app").`);
    }
    if (typeof action.handler !== "string" || action.handler.trim() === "") {
        throw new SagaValidationError(`${label} has \`code\` but no \`handler\`: name the entry point as its runtime does, e.g. "app.handler".`);
    }
    if (typeof action.runtime !== "string" || !RUNTIME.test(action.runtime)) {
        throw new SagaValidationError(
            `${label} has \`code\` with ${action.runtime === undefined ? "no `runtime`" : `the unknown \`runtime\` ${JSON.stringify(action.runtime)}`}: ` +
                'name a Lambda runtime, e.g. "python3.13", "nodejs22.x", "java21".',
        );
    }
}

function validateExisting(label: string, action: Partial<Record<keyof SagaAction, unknown>>): void {
    const arn = action.functionArn;
    // An Output or a promise is known only at deployment; the ARN's owner vouches for it.
    if (typeof arn === "string" && !LAMBDA_ARN.test(arn)) {
        throw new SagaValidationError(
            `${label} has a \`functionArn\` that is not a Lambda function's ARN: "${arn}" (expected arn:aws:lambda:<region>:<account>:function:<name>).`,
        );
    }
    if (typeof arn !== "string" && (typeof arn !== "object" || arn === null)) {
        throw new SagaValidationError(`${label} has a \`functionArn\` that is not a string: ${JSON.stringify(arn)}.`);
    }
    const configured = OWN_FUNCTION_SETTINGS.find((key) => action[key] !== undefined);
    if (configured !== undefined) {
        throw new SagaValidationError(
            `${label} is an existing function (\`functionArn\`), so \`${configured}\` cannot be set on it: the saga creates no function ` +
                "or role for it. Configure that function where it is defined.",
        );
    }
}

function validateTableAccess(label: string, access: unknown): void {
    if (access === undefined) return;
    if (!Array.isArray(access)) throw new SagaValidationError(`${label} has a \`tableAccess\` that is not a list: use e.g. ["GetItem", "PutItem"].`);
    for (const name of access) {
        if (!(TABLE_ACCESS as readonly unknown[]).includes(name)) {
            throw new SagaValidationError(`${label} asks for table access "${name}"; allowed values are ${TABLE_ACCESS.join(", ")}.`);
        }
    }
}

function validateEnvironment(label: string, environment: unknown): void {
    if (environment === undefined) return;
    if (typeof environment !== "object" || environment === null || Array.isArray(environment)) {
        throw new SagaValidationError(`${label} has an \`environment\` that is not an object of variables, e.g. { "API_URL": "https://..." }.`);
    }
    for (const [name, value] of Object.entries(environment)) {
        if (!ENV_NAME.test(name)) {
            throw new SagaValidationError(
                `${label} has an invalid \`environment\` variable name "${name}": use letters, digits and '_', starting with a letter.`,
            );
        }
        if (RESERVED_ENVIRONMENT.has(name)) {
            throw new SagaValidationError(`${label} sets the \`environment\` variable ${name}, which ${(Object.values(Env) as string[]).includes(name) ? "the saga" : "Lambda"} sets itself: choose another name.`);
        }
        if (value === undefined || value === null || (typeof value !== "string" && typeof value !== "object")) {
            throw new SagaValidationError(`${label} sets the \`environment\` variable ${name} to ${JSON.stringify(value) ?? "undefined"}: values are strings.`);
        }
    }
}

function validatePolicyStatements(label: string, statements: unknown): void {
    if (statements === undefined) return;
    if (!Array.isArray(statements)) {
        throw new SagaValidationError(`${label} has \`policyStatements\` that are not a list of { actions, resources }.`);
    }
    statements.forEach((statement, index) => {
        const where = `${label} \`policyStatements[${index}]\``;
        const { actions, resources } = (statement ?? {}) as { actions?: unknown; resources?: unknown };
        if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => typeof a === "string" && IAM_ACTION.test(a))) {
            throw new SagaValidationError(`${where} needs \`actions\`: a non-empty list of IAM actions such as "sqs:SendMessage".`);
        }
        if (!Array.isArray(resources) || resources.length === 0) {
            throw new SagaValidationError(`${where} needs \`resources\`: a non-empty list of ARNs, e.g. a queue's \`arn\`.`);
        }
        const notArn = resources.find((r) => typeof r === "string" ? !(r === "*" || r.startsWith("arn:")) : typeof r !== "object" || r === null);
        if (notArn !== undefined) {
            throw new SagaValidationError(`${where} has a resource that is not an ARN: ${JSON.stringify(notArn)}.`);
        }
    });
}
