// The identity policies of each role, as the program declares them: a Role's inline policies and
// managed policy ARNs, RolePolicy resources (inline, by role name), RolePolicyAttachments and the
// Policy resources they attach. Filled in by the provisioner as resources register. Pure.

export interface NamedPolicy {
    name: string;
    /** The policy document, parsed. */
    policy: unknown;
}

export class RolePolicies {
    /** Inline policies by role name, then policy name (a RolePolicy replaces a same-named one). */
    private readonly inline = new Map<string, Map<string, unknown>>();
    /** Attached policy ARNs by role name. */
    private readonly attached = new Map<string, Set<string>>();
    private readonly managed = new Map<string, NamedPolicy>();
    /** Grows with every change: decisions computed before a change are stale. */
    version = 0;

    putInline(roleName: string, policyName: string, policy: unknown): void {
        if (!this.inline.has(roleName)) this.inline.set(roleName, new Map());
        this.inline.get(roleName)!.set(policyName, policy);
        this.version++;
    }

    attach(roleName: string, policyArn: string): void {
        if (!this.attached.has(roleName)) this.attached.set(roleName, new Set());
        this.attached.get(roleName)!.add(policyArn);
        this.version++;
    }

    defineManaged(policyArn: string, policy: NamedPolicy): void {
        this.managed.set(policyArn, policy);
        this.version++;
    }

    /** Every identity policy of the role whose document the program declares (not AWS managed policies: AWS has those). */
    of(roleName: string): NamedPolicy[] {
        const inline = [...(this.inline.get(roleName) ?? new Map<string, unknown>())].map(([name, policy]) => ({ name, policy }));
        const attached = [...(this.attached.get(roleName) ?? [])].flatMap((arn) => this.managed.get(arn) ?? []);
        return [...inline, ...attached];
    }
}

/** A policy input as the provider takes it: JSON text or an object. Undefined when it is neither (AWS: MalformedPolicyDocument). */
export function parsePolicy(value: unknown): unknown {
    if (typeof value === "object" && value !== null) return value;
    if (typeof value !== "string") return undefined;
    try {
        const parsed: unknown = JSON.parse(value);
        return typeof parsed === "object" && parsed !== null ? parsed : undefined;
    } catch {
        return undefined;
    }
}
