// A synthetic saga stack, as a stack policy would receive it: the resources SagaComponent
// creates, with the definition and the IAM documents from the same pure builders the component
// uses. Tests start from it (the happy path) and break one property at a time. And the stack the
// real SagaComponent registers for any plain-data arguments (`componentStack`).
import { Env, START_ROLE, STATUS_ROLE, Tags } from "../../components/model/conventions";
import { AslDefinition, buildSagaDefinition } from "../../components/model/definition";
import { describeExecutionsStatement, functionPolicy, startExecutionStatement, stateMachinePolicy, tableStatements } from "../../components/model/iam";
import { actionsOf, stateNameOf } from "../../components/model/steps";
import * as path from "node:path";
import { SagaComponentArgs, SagaStep } from "../../components/model/args";
import type { AnalyzedResource } from "../../policy-pack/ci/analyzer";
import { captureProgram } from "../../policy-pack/ci/capture";
import { BASE_CONFIG } from "./mocks";
import { TestResource } from "./policy-args";
import { ResourceTypes } from "../../components/model/resource-types";

export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
export const arn = {
    lambda: (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    role: (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`,
    table: (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
    queue: (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
    machine: (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
    logGroup: (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`,
};
export const queueUrl = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;

const handler = (name: string, role: string) => ({ module: `${name.toLowerCase()}.ts`, export: role });

/** A step with the travel booking's table access; `confirm` optional. */
export function step(name: string, withConfirm = false): SagaStep {
    return {
        name,
        reserve: { ...handler(name, "reserve"), tableAccess: ["PutItem", "GetItem"] },
        ...(withConfirm ? { confirm: { ...handler(name, "confirm"), tableAccess: ["UpdateItem"] } } : {}),
        cancel: { ...handler(name, "cancel"), tableAccess: ["DeleteItem"] },
    };
}

/** Two steps without confirms: each breaking case then changes exactly one path. */
export const TWO_STEPS = [step("Hotel"), step("Flight")];

export const names = (saga: string) => ({
    action: (stepName: string, role: string) => `${saga}-${stepName.toLowerCase()}-${role}`,
    start: `${saga}-start`,
    status: `${saga}-status`,
    machine: `${saga}-machine`,
    table: `${saga}-table`,
    queue: `${saga}-compensation-failures`,
    stage: `${saga}-api`,
});

/** A Lambda with its log group, role and role policy, tagged like the component's. */
function lambda(
    name: string,
    tags: Record<string, string>,
    environment: Record<string, string>,
    grants: ReturnType<typeof tableStatements>,
): TestResource[] {
    const logs = `${name}-logs`;
    return [
        { type: ResourceTypes.logGroup, name: logs, props: { name: logs, retentionInDays: 14, arn: arn.logGroup(logs), tags } },
        { type: ResourceTypes.role, name: `${name}-role`, props: { name: `${name}-role`, arn: arn.role(`${name}-role`), tags } },
        {
            type: ResourceTypes.rolePolicy,
            name: `${name}-policy`,
            props: { role: `${name}-role`, policy: JSON.stringify(functionPolicy(grants, arn.logGroup(logs))) },
        },
        {
            type: ResourceTypes.function,
            name,
            props: {
                name,
                arn: arn.lambda(name),
                role: arn.role(`${name}-role`),
                runtime: "nodejs22.x",
                handler: "index.handler",
                environment: { variables: environment },
                tracingConfig: { mode: "Active" },
                tags,
            },
        },
    ];
}

export function sagaStack(steps: SagaStep[] = TWO_STEPS, saga = "travel"): TestResource[] {
    const n = names(saga);
    const tableArn = arn.table(n.table);
    const machineArn = arn.machine(n.machine);
    const sagaTags = { [Tags.saga]: saga };
    const functionArns: Record<string, string> = {};
    const resources: TestResource[] = [];
    for (const s of steps) {
        for (const { role, action } of actionsOf(s)) {
            const name = n.action(s.name, role);
            functionArns[stateNameOf(s, role)] = arn.lambda(name);
            resources.push(
                ...lambda(name, { ...sagaTags, [Tags.step]: s.name, [Tags.role]: role }, { [Env.tableName]: n.table }, tableStatements(tableArn, action.tableAccess)),
            );
        }
    }
    resources.push(
        ...lambda(n.start, { ...sagaTags, [Tags.role]: START_ROLE }, { [Env.stateMachineArn]: machineArn }, [startExecutionStatement(machineArn)]),
        ...lambda(n.status, { ...sagaTags, [Tags.role]: STATUS_ROLE }, { [Env.tableName]: n.table, [Env.stateMachineArn]: machineArn }, [
            describeExecutionsStatement(machineArn),
            ...tableStatements(tableArn, ["Query"]),
        ]),
    );
    const definition = buildSagaDefinition({ steps, functionArns, failureQueueUrl: queueUrl(n.queue) });
    resources.push(
        { type: ResourceTypes.queue, name: n.queue, props: { name: n.queue, arn: arn.queue(n.queue), url: queueUrl(n.queue), tags: sagaTags } },
        {
            type: ResourceTypes.table,
            name: n.table,
            props: { name: n.table, arn: tableArn, pointInTimeRecovery: { enabled: true }, serverSideEncryption: { enabled: true }, tags: sagaTags },
        },
        { type: ResourceTypes.logGroup, name: `${n.machine}-logs`, props: { retentionInDays: 14, arn: arn.logGroup(`${n.machine}-logs`), tags: sagaTags } },
        { type: ResourceTypes.role, name: `${n.machine}-role`, props: { name: `${n.machine}-role`, arn: arn.role(`${n.machine}-role`), tags: sagaTags } },
        {
            type: ResourceTypes.rolePolicy,
            name: `${n.machine}-policy`,
            props: { role: `${n.machine}-role`, policy: JSON.stringify(stateMachinePolicy(Object.values(functionArns), arn.queue(n.queue))) },
        },
        {
            type: ResourceTypes.stateMachine,
            name: n.machine,
            props: {
                name: n.machine,
                arn: machineArn,
                type: "STANDARD",
                roleArn: arn.role(`${n.machine}-role`),
                definition: JSON.stringify(definition),
                loggingConfiguration: { level: "ERROR", includeExecutionData: true, logDestination: `${arn.logGroup(`${n.machine}-logs`)}:*` },
                tracingConfiguration: { enabled: true },
                tags: sagaTags,
            },
        },
        { type: ResourceTypes.restApiStage, name: n.stage, props: { restApi: "api123", stageName: "v1", tags: sagaTags } },
        {
            type: ResourceTypes.methodSettings,
            name: `${n.stage}-throttle`,
            props: { restApi: "api123", stageName: "v1", methodPath: "*/*", settings: { throttlingRateLimit: 50, throttlingBurstLimit: 100 } },
        },
    );
    return resources;
}

/** A copy of the stack in which `change` edits one resource's props (found by name). */
export function changed(resources: TestResource[], name: string, change: (props: Record<string, any>) => void): TestResource[] {
    const copy = structuredClone(resources);
    const found = copy.find((r) => r.name === name);
    if (!found) throw new Error(`No resource named ${name}; got ${copy.map((r) => r.name).join(", ")}`);
    change(found.props);
    return copy;
}

/** A copy of the stack whose state machine definition `change` edits. */
export function withDefinition(resources: TestResource[], change: (asl: AslDefinition & { States: Record<string, any> }) => void, machine = "travel-machine") {
    return changed(resources, machine, (props) => {
        const asl = JSON.parse(props.definition);
        change(asl);
        props.definition = JSON.stringify(asl);
    });
}

/** A copy of the stack whose named role policy document `change` edits. */
export function withPolicy(resources: TestResource[], name: string, change: (document: { Statement: any[] }) => void) {
    return changed(resources, name, (props) => {
        const document = JSON.parse(props.policy);
        change(document);
        props.policy = JSON.stringify(document);
    });
}

export const without = (resources: TestResource[], ...names: string[]) => resources.filter((r) => !names.includes(r.name));

/** The resources of one type. */
export const ofType = (resources: TestResource[], type: string) => resources.filter((r) => r.type === type);

const PROJECT_ROOT = path.join(__dirname, "..", "..");

/**
 * The resources the real SagaComponent registers for `args` (plain data: modules, existing
 * functions, grants, testing), captured as `npm run policy` captures a program: the program of
 * tests/fixtures/policy-saga, run in the project directory (handler modules resolve there).
 */
export function componentStack(name: string, args: SagaComponentArgs, config: Record<string, string> = {}): Promise<AnalyzedResource[]> {
    return captureProgram({
        project: "saga",
        stack: "test",
        config: { ...BASE_CONFIG, ...config, "fixture:name": name, "fixture:args": JSON.stringify(args) },
        programDir: PROJECT_ROOT,
        programFile: path.join(PROJECT_ROOT, "tests", "fixtures", "policy-saga", "index.ts"),
    });
}
