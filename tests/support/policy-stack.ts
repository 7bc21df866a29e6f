// The stack of the real program (index.ts) as the Pulumi CLI hands it to a policy pack, captured
// by policy-pack/ci/capture.ts (what `npm run policy` runs) on the tests' project and stack.
import * as path from "node:path";
import type { AnalyzedResource } from "../../policy-pack/ci/analyzer";
import { captureProgram } from "../../policy-pack/ci/capture";
import { BASE_CONFIG } from "./mocks";
import { TestResource } from "./policy-args";

export type CapturedResource = AnalyzedResource;

const PROJECT_ROOT = path.join(__dirname, "..", "..");

/** The resources index.ts registers with `config` (over `aws:region`), on project "saga", stack "test". */
export function captureIndexStack(config: Record<string, string> = {}): Promise<CapturedResource[]> {
    return captureProgram({
        project: "saga",
        stack: "test",
        config: { ...BASE_CONFIG, ...config },
        programDir: PROJECT_ROOT,
        programFile: path.join(PROJECT_ROOT, "index.ts"),
    });
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
