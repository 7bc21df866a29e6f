// Runs Pulumi programs in this process with no engine, as `pulumi up` would run them: Pulumi's mock
// monitor hands every resource registration to a `newResource` that answers the resource's
// outputs. One harness for everything that does this: the local cloud (local/provision.ts
// provisions each resource on the local stand-ins), `npm run policy` and `npm run bench` (the
// plain outputs of ./plain.ts) and the tests. Pulumi's runtime settings (config, mocks, project,
// stack) are global to the process, so runs are serialized.
import * as pulumi from "@pulumi/pulumi";

/** Answers a registered resource's ID and outputs, or throws: the registration fails. */
export type NewResource = (args: pulumi.runtime.MockResourceArgs) => Promise<pulumi.runtime.MockResourceResult>;

/** What `pulumi.getProject()`, `getStack()` and `new pulumi.Config()` answer to a program. */
export interface StackSettings {
    project: string;
    stack: string;
    /** Fully qualified keys (`saga:failureInjection`, `aws:region`) to string values, as the CLI passes them. */
    config: Record<string, string>;
}

/** A program on disk: harness/config.ts `loadProjectSettings` reads these from its Pulumi.yaml. */
export interface ProgramSettings extends StackSettings {
    /** Where Pulumi.yaml is: the program runs with it as working directory. */
    programDir: string;
    /** The module Pulumi runs (Pulumi.yaml `main`, else package.json's `main`, index.js or index.ts). */
    programFile: string;
}

/** The program failed, or a resource it registered or a function it called did. */
export class DeploymentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DeploymentError";
    }
}

// The SDK logs a failed registration instead of throwing it to the program: kept here, thrown by `run`.
const failures: string[] = [];

/**
 * Installs config and mocks; registrations from then on (inside a `run` or not) go to `newResource`.
 * Config comes first: awsx reads `aws:region` when it builds an API.
 */
export function installMocks(settings: StackSettings, newResource: NewResource): void {
    skipPromiseStackTraces();
    pulumi.runtime.setAllConfig(settings.config);
    pulumi.runtime.setMocks(
        {
            async newResource(args) {
                try {
                    return await newResource(args);
                } catch (error) {
                    failures.push(`${args.type} "${args.name}": ${(error as Error).message}`);
                    throw error;
                }
            },
            call(args) {
                const message = `the provider function ${args.token} cannot be called: no provider runs under the mocks`;
                failures.push(message);
                throw new Error(message);
            },
        },
        settings.project,
        settings.stack,
        false,
    );
}

/**
 * Runs `program` under the installed mocks and waits until every resource it registered has been
 * answered; throws a DeploymentError naming each failed registration or call. An error the program
 * itself throws is passed on as it is.
 */
export function run<T>(program: () => T): Promise<T> {
    return exclusively(() => runInstalled(program));
}

/**
 * Deploys the program on disk: installs its config and `newResource`, evaluates the module afresh
 * in its directory and answers its stack outputs (its exports), resolved.
 */
export function deployProgram(settings: ProgramSettings, newResource: NewResource): Promise<Record<string, unknown>> {
    return exclusively(async () => {
        installMocks(settings, newResource);
        // Pulumi runs a program in its project directory; relative paths in it (handler modules) mean that.
        const cwd = process.cwd();
        process.chdir(settings.programDir);
        try {
            return await resolveOutputs(await runInstalled(() => evaluateAfresh(settings.programFile)));
        } finally {
            process.chdir(cwd);
        }
    });
}

let previous: Promise<unknown> = Promise.resolve();

function exclusively<T>(task: () => Promise<T>): Promise<T> {
    const next = previous.catch(() => undefined).then(task);
    previous = next;
    return next;
}

/**
 * Runs `program` with V8's plain stack traces meanwhile: Pulumi formats a full stack trace for every resource
 * and for every internal promise, and under ts-node each frame is mapped through source maps
 * (@pulumi/aws ships large ones), which made a stack take seconds instead of a fraction. The
 * traces only feed engine diagnostics, which the mocks ignore.
 */
async function runInstalled<T>(program: () => T): Promise<T> {
    const prepareStackTrace = Error.prepareStackTrace;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    failures.length = 0;
    try {
        const result = program();
        await waitForRegistrations();
        if (failures.length > 0) throw new DeploymentError(`Deploying the program failed:\n  ${failures.join("\n  ")}`);
        return result;
    } finally {
        Error.prepareStackTrace = prepareStackTrace;
    }
}

type PromiseTracking = { debugPromiseLeaks?: unknown; debuggablePromise?: (promise: Promise<unknown>, context: string) => Promise<unknown> };
let promiseTracking: PromiseTracking | undefined;

/**
 * Pulumi captures a stack trace for every promise it makes (each output of each resource) and
 * prints them only when PULUMI_DEBUG_PROMISE_LEAKS is set: that was most of a mock deployment's
 * time (the reference program: 420 ms with them, 160 ms without). Unless the variable is set, the
 * traces are captured empty; the rest of the tracking (leak detection at exit) is untouched.
 * Internal to @pulumi/pulumi, hence the checks: a version without it is left as it is.
 */
function skipPromiseStackTraces(): void {
    if (promiseTracking) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    promiseTracking = require("@pulumi/pulumi/runtime/debuggable") as PromiseTracking;
    const track = promiseTracking.debuggablePromise;
    if (promiseTracking.debugPromiseLeaks || typeof track !== "function") return;
    promiseTracking.debuggablePromise = (promise, context) => {
        const stackTraceLimit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return track(promise, context);
        } finally {
            Error.stackTraceLimit = stackTraceLimit;
        }
    };
}

/** Waits until every registration in flight has reached the mocks and been answered. */
function waitForRegistrations(): Promise<void> {
    // Internal to @pulumi/pulumi (the program runner calls it before exiting), hence the cast.
    return (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/**
 * Evaluates the program module anew (a module evaluates once per process), then puts back what
 * the module cache held: code in the same process that requires the program for its own
 * purposes (tests under their own mocks) gets what it would have got without us.
 */
function evaluateAfresh(programFile: string): Record<string, unknown> {
    let program: string;
    try {
        program = require.resolve(programFile);
    } catch {
        throw new DeploymentError(`The program ${programFile} does not exist (Pulumi.yaml \`main\` names it; without one, package.json's \`main\`, index.js or index.ts).`);
    }
    const cached = require.cache[program];
    delete require.cache[program];
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(program);
    } catch (error) {
        throw new DeploymentError(`The program ${programFile} failed: ${(error as Error).message}`);
    } finally {
        if (cached) require.cache[program] = cached;
        else delete require.cache[program];
    }
}

/** The value of an output (mocks run as an update, so every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** The ID behind an input that references a resource (the mocks receive the resource itself). */
export async function idOf(value: unknown): Promise<unknown> {
    return pulumi.CustomResource.isInstance(value) ? valueOf(value.id) : value;
}

/**
 * A stack output Pulumi holds as a secret (`pulumi.secret`, `config.requireSecret`, or anything
 * computed from one). Shown as Pulumi shows it, `[secret]`, wherever it is printed or served as
 * JSON; `reveal()` gives the value to code that needs it.
 */
export class SecretOutput {
    static readonly SHOWN = "[secret]";
    readonly #value: unknown;

    constructor(value: unknown) {
        this.#value = value;
    }

    reveal(): unknown {
        return this.#value;
    }

    toJSON(): string {
        return SecretOutput.SHOWN;
    }

    toString(): string {
        return SecretOutput.SHOWN;
    }

    [Symbol.for("nodejs.util.inspect.custom")](): string {
        return SecretOutput.SHOWN;
    }
}

/** A plain object or array: Pulumi resolves the Outputs inside such an export too. */
const isPlainData = (value: unknown) => Array.isArray(value) || (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype);

/**
 * A program's exports with every Output resolved, nested ones too: its stack outputs, secrets kept
 * secret (an export holding a secret anywhere is a secret as a whole, as Pulumi treats it).
 */
async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
    const resolve = async (value: unknown) => {
        if (!pulumi.Output.isInstance(value) && !isPlainData(value)) return value;
        const output = pulumi.output(value);
        const resolved = await valueOf(output);
        return (await pulumi.isSecret(output)) ? new SecretOutput(resolved) : resolved;
    };
    const entries = await Promise.all(Object.entries(exports).map(async ([name, value]) => [name, await resolve(value)] as const));
    return Object.fromEntries(entries);
}
