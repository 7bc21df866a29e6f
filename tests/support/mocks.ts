// Pulumi mocks for the component tests: every resource is recorded with its inputs, and gets the
// outputs only the AWS provider would compute (ARNs, URLs, generated names). A resource type or
// a provider function nobody mocked fails loudly instead of resolving to `undefined`.
import * as pulumi from "@pulumi/pulumi";

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
/** What Pulumi auto-naming appends to a resource's name, here fixed so tests can predict it. */
export const AUTONAME_SUFFIX = "-a1b2c3d";

export interface RecordedResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    id?: string;
    state: Record<string, any>;
    /** The IDs of the resources passed as inputs (`restApi`, `function`), resolved. */
    references?: { restApiId: unknown; functionId: unknown };
}

/** Every resource registered since the last `resetRecords()`, in registration order. */
export const recorded: RecordedResource[] = [];

export function resetRecords(): void {
    recorded.length = 0;
}

const COMPONENTS = new Set(["saga:index:SagaComponent", "aws:apigateway:x:API"]);

const lambdaArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const apiId = (name: string) => `${name.replace(/[^a-z0-9]/g, "").slice(0, 10)}id`;

/** The provider-computed outputs of each mocked type, from its physical name and inputs. */
const COMPUTED: Record<string, (name: string, inputs: Record<string, any>) => Record<string, unknown>> = {
    "aws:lambda/function:Function": (name) => ({
        arn: lambdaArn(name),
        invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${lambdaArn(name)}/invocations`,
    }),
    "aws:lambda/permission:Permission": () => ({}),
    "aws:iam/role:Role": (name) => ({ arn: `arn:aws:iam::${ACCOUNT}:role/${name}` }),
    "aws:iam/rolePolicy:RolePolicy": () => ({}),
    "aws:cloudwatch/logGroup:LogGroup": (name) => ({ arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}` }),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (name) => ({ arn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}` }),
    "aws:sqs/queue:Queue": (name) => ({
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
    }),
    "aws:sfn/stateMachine:StateMachine": (name) => ({ arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}` }),
    "aws:dynamodb/table:Table": (name) => ({ arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}` }),
    "aws:apigateway/restApi:RestApi": (name) => ({
        rootResourceId: "rootresource",
        executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId(name)}`,
    }),
    "aws:apigateway/deployment:Deployment": () => ({}),
    "aws:apigateway/stage:Stage": (_name, inputs) => ({
        invokeUrl: `https://${inputs.restApiId}.execute-api.${REGION}.amazonaws.com/${inputs.stageName}`,
    }),
    "aws:apigateway/methodSettings:MethodSettings": () => ({}),
};

/** The physical name Pulumi (or the provider, for a `namePrefix`) would give the resource. */
function physicalName(args: pulumi.runtime.MockResourceArgs): string {
    return args.inputs.name ?? (args.inputs.namePrefix ? `${args.inputs.namePrefix}generated` : `${args.name}${AUTONAME_SUFFIX}`);
}

/** The ID behind an input that references a resource (the mocks receive the resource itself). */
async function idOf(value: unknown): Promise<unknown> {
    return pulumi.CustomResource.isInstance(value) ? valueOf(value.id) : value;
}

// The SDK logs a failed registration instead of throwing it to the program, so the failures are
// also kept here, and `deploy` throws them.
const unmocked: string[] = [];
function notMocked(what: string): never {
    const message = `Mock not implemented: ${what}`;
    unmocked.push(message);
    throw new Error(message);
}

const mocks: pulumi.runtime.Mocks = {
    async newResource(args) {
        if (COMPONENTS.has(args.type)) {
            recorded.push({ type: args.type, name: args.name, inputs: args.inputs, state: {} });
            return { id: undefined, state: {} };
        }
        const compute = COMPUTED[args.type];
        if (!compute) notMocked(`resource type ${args.type} (${args.name})`);
        const name = physicalName(args);
        const id = args.type === "aws:apigateway/restApi:RestApi" ? apiId(name) : name;
        const references = { restApiId: await idOf(args.inputs.restApi), functionId: await idOf(args.inputs.function) };
        const state = { ...args.inputs, name, ...compute(name, { ...args.inputs, ...references }) };
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, id, state, references });
        return { id, state };
    },
    call(args) {
        notMocked(`call ${args.token}`);
    },
};

export const BASE_CONFIG: Record<string, string> = { "aws:region": REGION };

/** Installs the mocks; config first, since awsx reads `aws:region` when it builds the API. */
export function setupMocks(config: Record<string, string> = {}): void {
    pulumi.runtime.setAllConfig({ ...BASE_CONFIG, ...config });
    pulumi.runtime.setMocks(mocks, "saga", "test", false);
}

/** The value of an output (mocks run as an update, so every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Waits until every registration in flight has reached the mocks. */
export function settle(): Promise<void> {
    // Internal to @pulumi/pulumi (the program runner calls it before exiting), hence the cast.
    return (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

export const byType = (type: string) => recorded.filter((r) => r.type === type);

export function find(type: string, name: string): RecordedResource {
    const found = recorded.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`No ${type} named ${name} was created; got ${recorded.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    return found;
}

export const Types = {
    component: "saga:index:SagaComponent",
    awsxApi: "aws:apigateway:x:API",
    function: "aws:lambda/function:Function",
    permission: "aws:lambda/permission:Permission",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    queue: "aws:sqs/queue:Queue",
    stateMachine: "aws:sfn/stateMachine:StateMachine",
    table: "aws:dynamodb/table:Table",
    restApi: "aws:apigateway/restApi:RestApi",
    deployment: "aws:apigateway/deployment:Deployment",
    stage: "aws:apigateway/stage:Stage",
    methodSettings: "aws:apigateway/methodSettings:MethodSettings",
} as const;

/**
 * Creates resources on fresh records and waits until the mocks have seen all of them.
 *
 * Meanwhile stack traces are V8's plain ones: Pulumi formats a full stack trace for every
 * resource and for every internal promise, and under ts-node each frame is mapped through
 * source maps (@pulumi/aws ships large ones), which made a stack take seconds instead of a
 * fraction. The traces only feed engine diagnostics, which the mocks ignore.
 */
export async function deploy<T>(create: () => T): Promise<T> {
    resetRecords();
    const prepare = Error.prepareStackTrace;
    (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
    try {
        unmocked.length = 0;
        const result = create();
        await settle();
        if (unmocked.length > 0) throw new Error(unmocked.join("\n"));
        return result;
    } finally {
        Error.prepareStackTrace = prepare;
    }
}

/** The parsed policy document of an inline role policy. */
export const policyOf = (policyName: string) => JSON.parse(find(Types.rolePolicy, policyName).inputs.policy);

/** The text of each file of a Lambda's AssetArchive, as the function would be deployed. */
export async function archiveText(code: { assets: Promise<Record<string, { text: Promise<string> }>> }) {
    const assets = await code.assets;
    return Object.fromEntries(await Promise.all(Object.entries(assets).map(async ([file, asset]) => [file, await asset.text])));
}
