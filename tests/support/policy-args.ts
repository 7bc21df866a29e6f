// Calls policies directly, as the policy SDK's server would: resources in, violation messages
// out. Props go through the SDK's own unknown-checking proxy, so a sentinel value behaves as an
// unknown value does under the Pulumi CLI.
import * as policy from "@pulumi/policy";
import { resourceUrn } from "../../policy-pack/ci/capture";

export interface TestResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

export const urnOf = (r: Pick<TestResource, "type" | "name">) => resourceUrn({ project: "saga", stack: "test" }, r);

const OPTIONS: policy.PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

class NotApplicable extends Error {}

const typeOf = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType;
const proxied = (props: Record<string, unknown>) => policy.unknownCheckingProxy(structuredClone(props)) as Record<string, unknown>;

/** What every policy sees of a resource: its identity, its props (unknown-aware), its type checks. */
function resourceView(r: TestResource) {
    const props = proxied(r.props);
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r),
        props,
        opts: OPTIONS,
        isType: (cls: unknown) => typeOf(cls) === r.type,
        asType: (cls: unknown) => (typeOf(cls) === r.type ? props : undefined) as never,
    };
}

/** Configuration and the way out a policy takes when it does not apply. */
function policyContext(config: object) {
    return {
        stackTags: new Map<string, string>(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

export function resourceArgs(r: TestResource, config: object = {}): policy.ResourceValidationArgs {
    return { ...resourceView(r), ...policyContext(config) };
}

export function stackArgs(resources: TestResource[], config: object = {}): policy.StackValidationArgs {
    return {
        resources: resources.map((r) => ({ ...resourceView(r), dependencies: [], propertyDependencies: {} })),
        ...policyContext(config),
    };
}

export interface Violation {
    message: string;
    urn?: string;
}

/** The violations a resource policy reports for each of the resources it applies to. */
export async function resourceViolations(p: policy.ResourceValidationPolicy, resources: TestResource[], config: object = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    for (const r of resources) {
        for (const validate of validations) {
            try {
                await validate?.(resourceArgs(r, config), (message) => violations.push({ message, urn: urnOf(r) }));
            } catch (error) {
                if (!(error instanceof NotApplicable)) throw error;
            }
        }
    }
    return violations;
}

export async function stackViolations(p: policy.StackValidationPolicy, resources: TestResource[], config: object = {}): Promise<Violation[]> {
    const violations: Violation[] = [];
    try {
        await p.validateStack(stackArgs(resources, config), (message, urn) => violations.push({ message, urn }));
    } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
    }
    return violations;
}

/** Violation messages of any policy over a stack. */
export function violations(p: policy.ResourceValidationPolicy | policy.StackValidationPolicy, resources: TestResource[], config: object = {}) {
    return "validateStack" in p ? stackViolations(p, resources, config) : resourceViolations(p, resources, config);
}

export const messages = async (found: Promise<Violation[]>) => (await found).map((v) => v.message);

/**
 * Runs a stack policy that may stop on an unknown value: what it reported before, and the error
 * it threw (the SDK turns an UnknownValueError into an advisory "can't run policy ...").
 */
export async function stackOutcome(p: policy.StackValidationPolicy, resources: TestResource[], config: object = {}) {
    const reported: string[] = [];
    try {
        await p.validateStack(stackArgs(resources, config), (message) => reported.push(message));
        return { reported, error: undefined };
    } catch (error) {
        return { reported, error: error as Error };
    }
}
