// Plain provisioning: the `newResource` of ./harness.ts for runs that provision nothing (tests,
// `npm run policy`, `npm run bench`). Every resource is recorded with its inputs and gets the
// outputs only the AWS provider would compute (ARNs, URLs, generated names), so interpolations in
// the program see real-looking values. A resource type it does not know fails its registration,
// and so the run, instead of resolving those outputs to `undefined`.
import type * as pulumi from "@pulumi/pulumi";
import { ArnContext, eventRuleArn, executeApiArn, genericArn, lambdaArn, lambdaInvokeArn, queueArn, stateMachineArn } from "../components/model/arns";
import { ResourceTypes } from "../components/model/resource-types";
import { idOf, installMocks, run, StackSettings } from "./harness";

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
/** What Pulumi auto-naming appends to a resource's name, here fixed so that it can be predicted. */
export const AUTONAME_SUFFIX = "-a1b2c3d";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Undefined for a component. */
    id?: string;
    /** Its outputs: the inputs, the physical name and what the provider computes. */
    state: Record<string, any>;
    /** The IDs of the resources passed as inputs (`restApi`, `function`), resolved. */
    references?: { restApiId: unknown; functionId: unknown };
}

type Computed = (ctx: ArnContext, name: string, inputs: Record<string, any>) => Record<string, unknown>;

const apiId = (name: string) => `${name.replace(/[^a-z0-9]/g, "").slice(0, 10)}id`;

/** The provider-computed outputs of each known type, from its physical name and inputs. */
const COMPUTED: Record<string, Computed> = {
    [ResourceTypes.function]: (ctx, name) => ({ arn: lambdaArn(ctx, name), invokeArn: lambdaInvokeArn(ctx, name) }),
    [ResourceTypes.permission]: () => ({}),
    [ResourceTypes.role]: (ctx, name) => ({ arn: genericArn(ctx, ResourceTypes.role, name) }),
    [ResourceTypes.rolePolicy]: () => ({}),
    [ResourceTypes.logGroup]: (ctx, name) => ({ arn: genericArn(ctx, ResourceTypes.logGroup, name) }),
    [ResourceTypes.metricAlarm]: (ctx, name) => ({ arn: genericArn(ctx, ResourceTypes.metricAlarm, name) }),
    [ResourceTypes.queue]: (ctx, name) => ({
        arn: queueArn(ctx, name),
        url: `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${name}`,
    }),
    [ResourceTypes.stateMachine]: (ctx, name) => ({ arn: stateMachineArn(ctx, name) }),
    [ResourceTypes.table]: (ctx, name) => ({ arn: genericArn(ctx, ResourceTypes.table, name) }),
    [ResourceTypes.restApi]: (ctx, name) => ({
        rootResourceId: "rootresource",
        executionArn: executeApiArn(ctx, apiId(name)),
    }),
    [ResourceTypes.deployment]: () => ({}),
    [ResourceTypes.restApiStage]: (ctx, _name, inputs) => ({
        invokeUrl: `https://${inputs.restApiId}.execute-api.${ctx.region}.amazonaws.com/${inputs.stageName}`,
    }),
    [ResourceTypes.methodSettings]: () => ({}),
    [ResourceTypes.eventRule]: (ctx, name) => ({ arn: eventRuleArn(ctx, name) }),
    [ResourceTypes.eventTarget]: () => ({}),
    [ResourceTypes.invokeConfig]: () => ({}),
    [ResourceTypes.queuePolicy]: () => ({}),
};

/** The resource types plain provisioning answers (besides components and providers). */
export const PLAIN_TYPES = Object.keys(COMPUTED);

/** The physical name Pulumi (or the provider, for a `namePrefix`) would give the resource. */
function physicalName(args: pulumi.runtime.MockResourceArgs): string {
    return args.inputs.name ?? (args.inputs.namePrefix ? `${args.inputs.namePrefix}generated` : `${args.name}${AUTONAME_SUFFIX}`);
}

export class PlainProvisioner {
    /** Every resource registered since the last `reset()`, in registration order. */
    readonly recorded: RecordedResource[] = [];

    constructor(private readonly ctx: ArnContext = { region: REGION, account: ACCOUNT }) {}

    reset(): void {
        this.recorded.length = 0;
    }

    /** Installs the harness's mocks with this provisioning. */
    install(settings: StackSettings): void {
        installMocks(settings, this.newResource);
    }

    /** Runs `create` under the installed mocks on fresh records (see the harness's `run`). */
    deploy<T>(create: () => T): Promise<T> {
        return run(() => {
            this.reset();
            return create();
        });
    }

    /** For ./harness.ts. */
    readonly newResource = async (args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> => {
        // A component (no provider behind it) or a provider resource: nothing to compute.
        if (args.custom === false || args.type.startsWith("pulumi:providers:")) {
            const id = args.custom === false ? undefined : args.name;
            this.recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id, state: {} });
            return { id, state: {} };
        }
        const compute = COMPUTED[args.type];
        if (!compute) throw new Error(`plain provisioning does not know the type ${args.type}: add its computed outputs to harness/plain.ts.`);
        const name = physicalName(args);
        const id = args.type === ResourceTypes.restApi ? apiId(name) : name;
        const references = { restApiId: await idOf(args.inputs.restApi), functionId: await idOf(args.inputs.function) };
        const state = { ...args.inputs, name, ...compute(this.ctx, name, { ...args.inputs, ...references }) };
        this.recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id, state, references });
        return { id, state };
    };
}
