// The program's IAM resources, read into the policies each role has (policies.ts), with the
// outputs the AWS provider computes (ARNs; a role's and a policy's path is part of its ARN).
// What locally cannot grant what it grants on AWS is a start-up warning: a policy document AWS
// refuses (not JSON, or invalid as @cloud-copilot/iam-policy checks it), an AWS managed policy
// (its document is AWS's, not the program's).
import { validateIdentityPolicy } from "@cloud-copilot/iam-policy";
import { parsePolicy, RolePolicies } from "./policies";

type Inputs = Record<string, any>;

export class IamResources {
    constructor(
        private readonly policies: RolePolicies,
        private readonly account: string,
        private readonly warn: (warning: string) => void,
    ) {}

    /** A role: its inline policies and attached managed policy ARNs. */
    role(name: string, inputs: Inputs): { arn: string; local: string } {
        for (const inline of (inputs.inlinePolicies ?? []) as Inputs[]) {
            if (inline?.name !== undefined) this.putInline(name, String(inline.name), inline.policy);
        }
        for (const arn of (inputs.managedPolicyArns ?? []) as string[]) this.attach(name, arn);
        const arn = `arn:aws:iam::${this.account}:role${pathOf(inputs)}${name}`;
        return { arn, local: `IAM role ${name}: its policies decide what its functions (or state machine) may do` };
    }

    /** An inline policy of a role, by the role's name. */
    rolePolicy(roleName: string, policyName: string, policy: unknown): string {
        this.putInline(roleName, policyName, policy);
        return `inline policy ${policyName} of the role ${roleName}`;
    }

    attachment(roleName: string, policyArn: string): string {
        this.attach(roleName, policyArn);
        return `${policyArn} attached to the role ${roleName}`;
    }

    /** A customer managed policy: attachable by its ARN. */
    policy(name: string, inputs: Inputs): { arn: string; local: string } {
        const arn = `arn:aws:iam::${this.account}:policy${pathOf(inputs)}${name}`;
        const document = this.checked(`The policy ${name}`, inputs.policy);
        this.policies.defineManaged(arn, { name, policy: document ?? { Version: "2012-10-17", Statement: [] } });
        return { arn, local: `IAM policy ${name}` };
    }

    private putInline(roleName: string, policyName: string, policy: unknown): void {
        const document = this.checked(`The inline policy ${policyName} of the role ${roleName}`, policy);
        if (document !== undefined) this.policies.putInline(roleName, policyName, document);
    }

    /** The policy document, parsed; undefined (and a warning) when AWS would refuse it. */
    private checked(what: string, policy: unknown): unknown {
        const document = parsePolicy(policy);
        const problems = document === undefined ? ["not JSON"] : validateIdentityPolicy(document).map((error) => `${error.path}: ${error.message}`);
        if (problems.length === 0) return document;
        this.warn(`${what} is not a valid policy document (${problems.join("; ")}): AWS refuses it (MalformedPolicyDocument); locally it grants nothing.`);
        return undefined;
    }

    private attach(roleName: string, policyArn: string): void {
        if (policyArn.startsWith("arn:aws:iam::aws:policy/")) {
            this.warn(
                `The role ${roleName} attaches the AWS managed policy ${policyArn}, whose document is AWS's: locally it grants nothing, so calls only it allows are refused (AccessDenied). Grant them in a policy of the program.`,
            );
        }
        this.policies.attach(roleName, policyArn);
    }
}

/** A role's or policy's path, e.g. `/service-role/`: `/` when none. */
const pathOf = (inputs: Inputs) => (typeof inputs.path === "string" && inputs.path.startsWith("/") && inputs.path.endsWith("/") ? inputs.path : "/");
