// Runs a Pulumi program under the mock harness (harness/harness.ts) with plain provisioning
// and captures every registered resource as the Pulumi CLI would hand it to a policy pack:
// resource policies see its inputs, stack policies its outputs (inputs plus what only the
// provider computes).
import * as pulumi from "@pulumi/pulumi";
import { deployProgram, ProgramSettings, valueOf } from "../../harness/harness";
import { ACCOUNT, PlainProvisioner, RecordedResource, REGION } from "../../harness/plain";
import type { AnalyzedResource } from "./analyzer";

/** The URN the engine gives a resource (without its parents' types: the mocks do not see them). */
export const resourceUrn = (stack: { project: string; stack: string }, r: { type: string; name: string }) =>
    `urn:pulumi:${stack.stack}::${stack.project}::${r.type}::${r.name}`;

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

async function capture(settings: ProgramSettings, r: RecordedResource): Promise<AnalyzedResource> {
    return {
        type: r.type,
        name: r.name,
        urn: resourceUrn(settings, r),
        inputs: (await toPlain(r.inputs)) as Record<string, unknown>,
        outputs: (await toPlain({ ...r.inputs, ...r.state })) as Record<string, unknown>,
    };
}

/**
 * Deploys the program (evaluated afresh, in its directory) with plain provisioning and answers
 * every resource it registered, in registration order. With no `aws:region` in its config, the
 * program gets us-east-1, as the provider would need one.
 */
export async function captureProgram(settings: ProgramSettings): Promise<AnalyzedResource[]> {
    const region = settings.config["aws:region"] ?? REGION;
    const plain = new PlainProvisioner({ region, account: ACCOUNT });
    await deployProgram({ ...settings, config: { ...settings.config, "aws:region": region } }, plain.newResource);
    return Promise.all(plain.recorded.map((r) => capture(settings, r)));
}
