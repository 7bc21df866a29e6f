// Runs a Pulumi program under the mocks of ./mocks.ts and captures every registered resource as
// the Pulumi CLI would hand it to a policy pack: resource policies see its inputs, stack
// policies its outputs (the mocks' state: inputs plus what only the provider computes).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, recorded, resetRecords, settle, setupMocks, valueOf } from "./mocks";
import { TestResource, urnOf } from "./policy-args";

export interface CapturedResource {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
}

/** Plain JSON as the engine sends it: a resource reference becomes its ID; assets are left out. */
async function toPlain(value: unknown): Promise<unknown> {
    if (Array.isArray(value)) return Promise.all(value.map(toPlain));
    if (pulumi.CustomResource.isInstance(value)) return valueOf(value.id);
    if (pulumi.Resource.isInstance(value)) return undefined;
    if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) return undefined;
    if (typeof value === "object" && value !== null) {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await toPlain(v)] as const));
        return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
    }
    return value;
}

async function capture(r: RecordedResource): Promise<CapturedResource> {
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        inputs: (await toPlain(r.inputs)) as Record<string, unknown>,
        outputs: (await toPlain({ ...r.inputs, ...r.state })) as Record<string, unknown>,
    };
}

/** Runs `program` (which registers resources) under the mocks and returns what it registered. */
export async function captureStack(program: () => void, config: Record<string, string> = {}): Promise<CapturedResource[]> {
    setupMocks(config);
    resetRecords();
    program();
    await settle();
    return Promise.all([...recorded].map(capture));
}

const PROJECT_ROOT = path.join(__dirname, "..", "..");

/**
 * The real program, index.ts. A module evaluates once per process, so it is evaluated afresh:
 * other tests may have run it already.
 */
export function captureIndexStack(config: Record<string, string> = {}): Promise<CapturedResource[]> {
    return captureStack(() => {
        const program = require.resolve(path.join(PROJECT_ROOT, "index.ts"));
        delete require.cache[program];
        // Handler modules resolve against the working directory, as under `pulumi up`.
        const cwd = process.cwd();
        process.chdir(PROJECT_ROOT);
        try {
            require(program);
        } finally {
            process.chdir(cwd);
        }
    }, config);
}

/** The resources as resource policies see them (inputs) and as stack policies see them (outputs). */
export const asInputs = (stack: CapturedResource[]): TestResource[] => stack.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
export const asOutputs = (stack: CapturedResource[]): TestResource[] => stack.map((r) => ({ type: r.type, name: r.name, props: r.outputs }));

let travel: Promise<CapturedResource[]> | undefined;

/** The stack of index.ts, captured once per process (callers get their own copy). */
export async function travelStack(): Promise<CapturedResource[]> {
    travel ??= captureIndexStack();
    return structuredClone(await travel);
}
