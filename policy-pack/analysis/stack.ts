// An index over a stack's resources, as a stack policy receives them: the saga Lambdas by their
// tags, what their ARNs and roles are, which policies each role has. Values are plain data (see
// values.ts); an unknown value is UNKNOWN and the callers decide what it means.
import type { PolicyResource } from "@pulumi/policy";
import { Env, REPAIR_OUTCOME_ROLE, REPAIR_ROLE, REPAIR_START_ROLE, START_ROLE, STATUS_ROLE, Tags } from "../../components/model/conventions";
import { Props, UNKNOWN, Unknown, obj, plainProps, str, tagsOf } from "./values";
import { ResourceTypes } from "../../components/model/resource-types";

/** The resource types the saga policies read. */
export interface StackResource {
    type: string;
    name: string;
    urn: string;
    props: Props;
}

export const fromPolicyResources = (resources: readonly PolicyResource[]): StackResource[] =>
    resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: plainProps(r.props) }));

export interface LambdaInfo {
    resource: StackResource;
    saga?: string;
    step?: string;
    role?: string;
    arn?: string;
    functionName?: string;
    roleArn: string | Unknown | undefined;
    environment: Record<string, string>;
}

/** How a Lambda is named in messages: `step Lambda "x" (saga "travel", step "Hotel", reserve)`, `the start Lambda "y" (saga "travel")`, `the repair's start Lambda "z" (saga "travel")`. */
export function describeLambda(lambda: LambdaInfo): string {
    if (lambda.role === START_ROLE || lambda.role === STATUS_ROLE) return `the ${lambda.role} Lambda "${lambda.resource.name}" (saga "${lambda.saga}")`;
    if (lambda.role === REPAIR_START_ROLE || lambda.role === REPAIR_OUTCOME_ROLE) {
        return `the repair's ${lambda.role === REPAIR_START_ROLE ? "start" : "outcome"} Lambda "${lambda.resource.name}" (saga "${lambda.saga}")`;
    }
    if (lambda.saga === undefined) return `Lambda "${lambda.resource.name}"`;
    const step = lambda.step !== undefined ? `, step "${lambda.step}"` : "";
    return `step Lambda "${lambda.resource.name}" (saga "${lambda.saga}"${step}${lambda.role ? `, ${lambda.role}` : ""})`;
}

/** A policy document attached to a role, and where it comes from. */
export interface AttachedPolicy {
    /** The resource to report a violation on. */
    resource: StackResource;
    /** How the policy is named in messages. */
    label: string;
    /** The document (JSON text or object), UNKNOWN, or undefined for a managed policy outside the stack. */
    document: unknown;
    /** The ARN of a managed policy the stack does not define. */
    managedArn?: string;
}

export class StackIndex {
    readonly lambdas: LambdaInfo[];

    constructor(readonly resources: readonly StackResource[]) {
        this.lambdas = this.ofType(ResourceTypes.function).map((resource) => {
            const tags = tagsOf(resource.props);
            const variables = obj(obj(resource.props.environment)?.variables) ?? {};
            return {
                resource,
                saga: tags[Tags.saga],
                step: tags[Tags.step],
                role: tags[Tags.role],
                arn: str(resource.props.arn),
                functionName: str(resource.props.name),
                roleArn: resource.props.role === UNKNOWN ? UNKNOWN : str(resource.props.role),
                environment: Object.fromEntries(
                    Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === "string"),
                ),
            };
        });
    }

    ofType(type: string): StackResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** Lambdas tagged as part of a saga. */
    get sagaLambdas(): LambdaInfo[] {
        return this.lambdas.filter((l) => l.saga !== undefined);
    }

    /** The Lambda a definition refers to by ARN (with or without a qualifier) or by name. */
    lambdaFor(reference: string): LambdaInfo | undefined {
        return this.lambdas.find(
            (l) =>
                (l.arn !== undefined && (reference === l.arn || reference.startsWith(`${l.arn}:`))) ||
                (l.functionName !== undefined && reference === l.functionName),
        );
    }

    /** Resources of a type tagged with a saga's name. */
    taggedWith(type: string, saga: string): StackResource[] {
        return this.ofType(type).filter((r) => tagsOf(r.props)[Tags.saga] === saga);
    }

    roleByArn(arn: string): StackResource | undefined {
        return this.ofType(ResourceTypes.role).find((r) => r.props.arn === arn);
    }

    /** Every policy the stack attaches to a role: its inline policies, RolePolicies and attachments. */
    policiesOf(role: StackResource): AttachedPolicy[] {
        const keys = new Set([role.props.name, role.props.id, role.props.arn, role.props.uniqueId].filter((k) => typeof k === "string"));
        const attached = (r: StackResource) => typeof r.props.role === "string" && keys.has(r.props.role);
        const inline = Array.isArray(role.props.inlinePolicies) ? (role.props.inlinePolicies as Props[]) : [];
        const managedArns = [
            ...(Array.isArray(role.props.managedPolicyArns) ? role.props.managedPolicyArns : []),
            ...this.ofType(ResourceTypes.rolePolicyAttachment)
                .filter(attached)
                .map((a) => a.props.policyArn),
        ].filter((arn): arn is string => typeof arn === "string");
        return [
            ...inline.map((p) => ({ resource: role, label: `inline policy "${str(p.name) ?? "?"}" of role "${role.name}"`, document: p.policy })),
            ...this.ofType(ResourceTypes.rolePolicy)
                .filter(attached)
                .map((p) => ({ resource: p, label: `IAM policy "${p.name}"`, document: p.props.policy })),
            ...managedArns.map((arn) => {
                const defined = this.ofType(ResourceTypes.policy).find((p) => p.props.arn === arn);
                return defined
                    ? { resource: defined, label: `IAM policy "${defined.name}"`, document: defined.props.policy }
                    : { resource: role, label: `role "${role.name}"`, document: undefined, managedArn: arn };
            }),
        ];
    }

    /** The saga's table ARNs, and the names its Lambdas are told to use. */
    tablesOf(saga: string): { arns: Set<string>; names: Set<string> } {
        const names = new Set(
            this.sagaLambdas
                .filter((l) => l.saga === saga && l.environment[Env.tableName] !== undefined)
                .map((l) => l.environment[Env.tableName]),
        );
        const tables = this.ofType(ResourceTypes.table).filter((t) => tagsOf(t.props)[Tags.saga] === saga || names.has(str(t.props.name) ?? ""));
        return { arns: new Set(tables.map((t) => str(t.props.arn)).filter((a): a is string => a !== undefined)), names };
    }

    /** The state machines of a saga: tagged with its name, or named in its Lambdas' environment. */
    stateMachineArnsOf(saga: string): Set<string> {
        const fromEnv = this.sagaLambdas.filter((l) => l.saga === saga).map((l) => l.environment[Env.stateMachineArn]);
        const tagged = this.taggedWith(ResourceTypes.stateMachine, saga).map((m) => str(m.props.arn));
        return new Set([...fromEnv, ...tagged].filter((a): a is string => a !== undefined));
    }

    /** A saga's repair machines: tagged `saga:role=repair`, or named in the environment of its repair's start Lambda. */
    repairMachineArnsOf(saga: string): Set<string> {
        const fromEnv = this.sagaLambdas.filter((l) => l.saga === saga && l.role === REPAIR_START_ROLE).map((l) => l.environment[Env.stateMachineArn]);
        const tagged = this.taggedWith(ResourceTypes.stateMachine, saga)
            .filter((m) => tagsOf(m.props)[Tags.role] === REPAIR_ROLE)
            .map((m) => str(m.props.arn));
        return new Set([...fromEnv, ...tagged].filter((a): a is string => a !== undefined));
    }

    /** The saga's own machines: its state machines but its repair machines. */
    sagaMachineArnsOf(saga: string): Set<string> {
        const repairs = this.repairMachineArnsOf(saga);
        return new Set([...this.stateMachineArnsOf(saga)].filter((arn) => !repairs.has(arn)));
    }
}
