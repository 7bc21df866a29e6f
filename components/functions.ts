// One Lambda per saga action the saga creates (and one for the start and status handlers), each
// with its own role, policy and log group, so every function can do exactly what its action needs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SagaPolicyStatement } from "./model/args";
import { assumeRolePolicy, extraStatements, functionPolicy, PolicyStatement, tableStatements } from "./model/iam";
import { ownedNames } from "./model/names";
import { PreparedAction } from "./prepare";
import { ChildContext } from "./naming";

export interface FunctionSpec {
    /** The child name; the role, policy and log group derive theirs from it. */
    name: string;
    /** The action, checked: its code, settings, environment and grants. */
    action: PreparedAction;
    /** What the saga gives the function beside the action's own environment. */
    environment: Record<string, pulumi.Input<string>>;
    /** What the saga grants beside the action's table access and statements (e.g. starting executions). */
    grants?: pulumi.Input<PolicyStatement[]>;
    /** The saga's table. */
    tableArn: pulumi.Input<string>;
    logRetentionDays: number;
    /** Tags beyond the saga's own, e.g. the step and role. */
    tags: Record<string, string>;
}

/** A function with the role that runs it. */
export interface SagaFunction {
    function: aws.lambda.Function;
    role: aws.iam.Role;
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

export function createFunction(ctx: ChildContext, spec: FunctionSpec): SagaFunction {
    const { action } = spec;
    const code = action.code;
    if (!code) throw new Error(`${action.label} is an existing function: the saga creates none for it.`);
    const logGroup = createLogGroup(ctx, ownedNames(spec.name).logs, spec.logRetentionDays, spec.tags);
    const policy = pulumi
        .all([spec.grants ?? [], spec.tableArn, resolvedStatements(action.policyStatements), logGroup.arn])
        .apply(([grants, tableArn, extra, logGroupArn]) =>
            JSON.stringify(functionPolicy([...grants, ...tableStatements(tableArn, action.tableAccess), ...extraStatements(extra)], logGroupArn)),
        );
    const access = createServiceRole(ctx, spec.name, "lambda.amazonaws.com", policy, spec.tags);
    const fn = new aws.lambda.Function(
        spec.name,
        {
            code: code.archive,
            handler: code.handler,
            runtime: code.runtime,
            architectures: [action.settings.architecture],
            memorySize: action.settings.memorySize,
            timeout: action.settings.timeoutSeconds,
            role: access.role.arn,
            tracingConfig: { mode: "Active" },
            loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
            // The saga's variables last: validation has already refused an action that sets one.
            environment: { variables: { ...action.environment, ...spec.environment } },
            tags: ctx.tags(spec.tags),
        },
        // Created after its policy, so no invocation right after a deployment meets a role
        // that cannot yet write its logs or reach the table.
        { parent: ctx.parent, dependsOn: [access.policy] },
    );
    return { function: fn, role: access.role };
}

/** The action's own statements with their resources known. */
function resolvedStatements(statements: SagaPolicyStatement[]): pulumi.Output<{ actions: string[]; resources: string[] }[]> {
    return pulumi.all(statements.map((s) => pulumi.all(s.resources).apply((resources) => ({ actions: s.actions, resources }))));
}
