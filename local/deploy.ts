// Runs the Pulumi program in this process, as `pulumi up` would but with no engine: Pulumi's mock
// monitor hands every resource registration to `newResource`, which provisions it locally and
// answers its outputs. The program module is evaluated afresh on each deployment.
import * as pulumi from "@pulumi/pulumi";
import type { ProjectSettings } from "./config";

export type NewResource = (args: pulumi.runtime.MockResourceArgs) => Promise<{ id: string | undefined; state: Record<string, unknown> }>;

export class DeploymentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DeploymentError";
    }
}

// Pulumi's runtime settings (config, mocks, stack) are global to the process: one deployment at a time.
let previous: Promise<unknown> = Promise.resolve();

/** Deploys the program; answers its stack outputs (its exports), resolved. */
export function deployProgram(settings: ProjectSettings, newResource: NewResource): Promise<Record<string, unknown>> {
    const deployment = previous.catch(() => undefined).then(() => deploy(settings, newResource));
    previous = deployment;
    return deployment;
}

async function deploy(settings: ProjectSettings, newResource: NewResource): Promise<Record<string, unknown>> {
    // The SDK logs a failed registration instead of throwing it to the program: keep them to throw.
    const failures: string[] = [];
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
                const message = `the provider function ${args.token} cannot be called locally`;
                failures.push(message);
                throw new Error(message);
            },
        },
        settings.project,
        settings.stack,
        false,
    );
    // Pulumi formats a full stack trace for every resource, each frame source-mapped under
    // ts-node; plain V8 traces make a deployment take a fraction of the time.
    const prepareStackTrace = Error.prepareStackTrace;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    // Pulumi runs a program in its project directory; relative paths in it (handler modules) mean that.
    const cwd = process.cwd();
    process.chdir(settings.programDir);
    try {
        const exports = evaluateAfresh(settings.programFile);
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        if (failures.length > 0) throw new DeploymentError(`Deploying the program failed:\n  ${failures.join("\n  ")}`);
        return await resolveOutputs(exports);
    } finally {
        process.chdir(cwd);
        Error.prepareStackTrace = prepareStackTrace;
    }
}

/**
 * Evaluates the program module anew (a module evaluates once per process), then puts back what
 * the module cache held: code in the same process that requires the program for its own
 * purposes (tests under their own mocks) gets what it would have got without us.
 */
function evaluateAfresh(programFile: string): Record<string, unknown> {
    const program = require.resolve(programFile);
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

async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
        Object.entries(exports).map(async ([name, value]) => {
            const resolved = pulumi.Output.isInstance(value) ? await new Promise((resolve) => value.apply(resolve)) : value;
            return [name, resolved] as const;
        }),
    );
    return Object.fromEntries(entries);
}
