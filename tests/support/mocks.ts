// The component tests' Pulumi mocks: the one harness (harness/harness.ts) with plain
// provisioning (harness/plain.ts): every resource is recorded with its inputs and gets the
// outputs only the AWS provider would compute (ARNs, URLs, generated names). A resource type or a
// provider function nobody mocked fails the deployment instead of resolving to `undefined`.
import { PlainProvisioner, RecordedResource, REGION } from "../../harness/plain";
import { ResourceTypes } from "../../components/model/resource-types";

export { ACCOUNT, AUTONAME_SUFFIX, REGION } from "../../harness/plain";
export type { RecordedResource } from "../../harness/plain";
export { valueOf } from "../../harness/harness";
/** The same provisioning, fresh, for a resource monitor outside the mocks (tests/support/plugin.ts). */
export { PlainProvisioner } from "../../harness/plain";

const plain = new PlainProvisioner();

/** Every resource registered since the last `resetRecords()` (or `deploy`), in registration order. */
export const recorded: RecordedResource[] = plain.recorded;

export function resetRecords(): void {
    plain.reset();
}

export const BASE_CONFIG: Record<string, string> = { "aws:region": REGION };

/** Installs the mocks for project "saga", stack "test", with `aws:region` and `config`. */
export function setupMocks(config: Record<string, string> = {}): void {
    plain.install({ project: "saga", stack: "test", config: { ...BASE_CONFIG, ...config } });
}

/**
 * Creates resources on fresh records and waits until the mocks have seen all of them; throws
 * what failed to register (an unmocked type or call, named).
 */
export function deploy<T>(create: () => T): Promise<T> {
    return plain.deploy(create);
}

export const byType = (type: string) => recorded.filter((r) => r.type === type);

export function find(type: string, name: string): RecordedResource {
    const found = recorded.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`No ${type} named ${name} was created; got ${recorded.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    return found;
}

/** The parsed policy document of an inline role policy. */
export const policyOf = (policyName: string) => JSON.parse(find(ResourceTypes.rolePolicy, policyName).inputs.policy);

/** The text of each file of a Lambda's AssetArchive, as the function would be deployed. */
export async function archiveText(code: { assets: Promise<Record<string, { text: Promise<string> }>> }) {
    const assets = await code.assets;
    return Object.fromEntries(await Promise.all(Object.entries(assets).map(async ([file, asset]) => [file, await asset.text])));
}
