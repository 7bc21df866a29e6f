// One Lambda per saga action (and one for the start handler), each with its own role, policy and
// log group, so every function can do exactly what its action needs and nothing else.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, functionPolicy, PolicyStatement } from "./iam";
import { ChildContext, ownedNames } from "./naming";

/** Settings shared by all of a saga's functions (validated up front). */
export interface FunctionSettings {
    memorySize: number;
    timeoutSeconds: number;
    logRetentionDays: number;
    architecture: "arm64" | "x86_64";
}

export interface FunctionSpec {
    /** The child name; the role, policy and log group derive theirs from it. */
    name: string;
    /** The bundled `index.js`. */
    code: string;
    /** The exported handler function, e.g. `reserve`. */
    exportName: string;
    environment: Record<string, pulumi.Input<string>>;
    /** The function's own grants beyond writing its logs and traces. */
    grants: pulumi.Input<PolicyStatement[]>;
    /** Tags beyond the saga's own, e.g. the step and role. */
    tags: Record<string, string>;
}

/** A CloudWatch log group with a retention: the default one Lambda creates keeps logs forever. */
export function createLogGroup(
    ctx: ChildContext,
    name: string,
    retentionInDays: number,
    tags: Record<string, string> = {},
    namePrefix?: string,
): aws.cloudwatch.LogGroup {
    return new aws.cloudwatch.LogGroup(name, { namePrefix, retentionInDays, tags: ctx.tags(tags) }, { parent: ctx.parent });
}

/** A role that `service` assumes, with one inline policy. */
export function createServiceRole(
    ctx: ChildContext,
    owner: string,
    service: string,
    policy: pulumi.Input<string>,
    tags: Record<string, string> = {},
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
    const names = ownedNames(owner);
    const role = new aws.iam.Role(
        names.role,
        { assumeRolePolicy: JSON.stringify(assumeRolePolicy(service)), tags: ctx.tags(tags) },
        { parent: ctx.parent },
    );
    return { role, policy: new aws.iam.RolePolicy(names.policy, { role: role.name, policy }, { parent: ctx.parent }) };
}

export function createFunction(ctx: ChildContext, spec: FunctionSpec, settings: FunctionSettings): aws.lambda.Function {
    const logGroup = createLogGroup(ctx, ownedNames(spec.name).logs, settings.logRetentionDays, spec.tags);
    const policy = pulumi
        .all([spec.grants, logGroup.arn])
        .apply(([grants, logGroupArn]) => JSON.stringify(functionPolicy(grants, logGroupArn)));
    const access = createServiceRole(ctx, spec.name, "lambda.amazonaws.com", policy, spec.tags);
    return new aws.lambda.Function(
        spec.name,
        {
            code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(spec.code) }),
            handler: `index.${spec.exportName}`,
            runtime: aws.lambda.Runtime.NodeJS22dX,
            architectures: [settings.architecture],
            memorySize: settings.memorySize,
            timeout: settings.timeoutSeconds,
            role: access.role.arn,
            tracingConfig: { mode: "Active" },
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            environment: { variables: spec.environment },
            tags: ctx.tags(spec.tags),
        },
        // Created after its policy, so no invocation right after a deployment meets a role
        // that cannot yet write its logs or reach the table.
        { parent: ctx.parent, dependsOn: [access.policy] },
    );
}
