// SagaComponent: the saga pattern on AWS, generated from a list of steps. The class is a shell:
// it checks its arguments, then creates the children in dependency order through the named
// functions of the neighbouring modules.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createApi } from "./api";
import { SagaChaosOptions } from "./chaos";
import { Env, START_ROLE, STATUS_ROLE, Tags } from "./conventions";
import { DefinitionOptions } from "./definition";
import { createFailureQueue } from "./failureQueue";
import { createFunction, FunctionSpec } from "./functions";
import { describeExecutionsStatement, startExecutionStatement, tableStatements } from "./iam";
import { ChildContext, childContext, sagaNames } from "./naming";
import { createStateMachine } from "./stateMachine";
import { actionsOf, SagaValidationError, stateNameOf } from "./steps";
import { createTable, SagaTable } from "./table";
import { SagaAction, SagaStep } from "./types";
import { PreparedSaga, prepareSaga } from "./validation";

export const SAGA_COMPONENT_TYPE = "saga:index:SagaComponent";

export interface SagaLambdaOptions {
    /** Memory of every function, in MB (128 to 10240). Default 256. */
    memorySize?: number;
    /** Timeout of every function, in seconds; less than `definition.taskTimeoutSeconds`. Default 10. */
    timeoutSeconds?: number;
    /** How long the functions' and the state machine's logs are kept, in days. Default 14. */
    logRetentionDays?: number;
    /** Default "arm64" (cheaper per GB-second for the same work). */
    architecture?: "arm64" | "x86_64";
}

export interface SagaApiOptions {
    /** The stage, the first segment of the API's paths. Default "v1". */
    stageName?: pulumi.Input<string>;
    /** Requests per second across the stage, and the burst above it. Default 50 and 100. */
    throttle?: { rateLimit: pulumi.Input<number>; burstLimit: pulumi.Input<number> };
    /**
     * Require SigV4-signed requests (AWS_IAM authorization). Default true: the API starts sagas,
     * which change data and are billed per transition, so it is not public unless you say so
     * (false: anyone can call it, within the throttle).
     */
    iamAuth?: boolean;
}

/** A read-only route of the API that reports one saga: its outcome and its records. */
export interface SagaStatusOptions {
    /**
     * The route's path below the stage, with exactly one path parameter, the saga id, after a
     * fixed first segment: e.g. "/trips/{tripId}". Only GET on it reports; every other request
     * still starts a saga.
     */
    path: string;
    /** Reads the id from the path parameter, e.g. built with `createStatusHandler` of `handlers/lib/status.ts`. */
    handler: SagaAction;
}

export interface SagaComponentArgs {
    /**
     * The saga's steps, in order. Plain data, not Inputs: they decide which resources exist (one
     * Lambda per action, the states of the machine), so they must be known before any is created.
     */
    steps: SagaStep[];
    /** The handler behind the API: it reads the request and starts an execution. */
    start: SagaAction;
    /**
     * The directory relative handler `module` paths resolve against. Default: the current
     * directory, i.e. the Pulumi program's, so paths are relative to the calling program.
     */
    handlerRoot?: string;
    /** An existing table to share (keys `pk` and `sk`, both strings). Default: the saga creates one. */
    table?: { name: pulumi.Input<string>; arn: pulumi.Input<string> };
    lambda?: SagaLambdaOptions;
    /** Retries and timeouts of the state machine. Plain: they shape the definition and are checked up front. */
    definition?: Partial<DefinitionOptions>;
    /** Lets a request choose a failure to inject (demo and test stacks only). Default false. */
    failureInjection?: pulumi.Input<boolean>;
    /** Probability (0 to 1) that a compensation fails on purpose, to show its retries at work. Default 0. */
    compensationFailureRate?: pulumi.Input<number>;
    /**
     * Chaos testing: faults the step Lambdas inject at random into their record writes (see
     * `npm run chaos`). Plain: checked up front. Default: off. Never on a production stack.
     */
    chaos?: SagaChaosOptions;
    api?: SagaApiOptions;
    /** A status route on the API (GET), with its own read-only Lambda. Default: none. */
    status?: SagaStatusOptions;
    /** Where the alarm on failed compensations notifies, e.g. SNS topic ARNs. */
    alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
    /** Tags for every taggable child, besides the saga's own (`saga:name`, `saga:step`, `saga:role`). */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export class SagaComponent extends pulumi.ComponentResource {
    /** The URL that starts a saga (any method, any path below it but the `status` route's GET). */
    public readonly apiUrl: pulumi.Output<string>;
    public readonly stateMachineArn: pulumi.Output<string>;
    public readonly tableName: pulumi.Output<string>;
    public readonly tableArn: pulumi.Output<string>;
    /** Each message records a compensation that failed all its retries. */
    public readonly failureQueueUrl: pulumi.Output<string>;
    public readonly failureQueueArn: pulumi.Output<string>;
    /** The alarm raised as soon as a compensation failure is recorded. */
    public readonly compensationAlarmArn: pulumi.Output<string>;

    constructor(name: string, args: SagaComponentArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SAGA_COMPONENT_TYPE, name, {}, opts);
        const saga = prepareOrThrow(name, args, this);
        const ctx = childContext(name, this, args.tags);
        const table: SagaTable = args.table
            ? { name: pulumi.output(args.table.name), arn: pulumi.output(args.table.arn) }
            : createTable(ctx);
        const failures = createFailureQueue(ctx, args.alarmActions);
        const failureInjection = pulumi.output(args.failureInjection ?? false).apply((on) => (on === true ? "true" : "false"));
        const stepFunctions = createStepFunctions(ctx, saga, table, failureInjection);
        const machine = createStateMachine(ctx, {
            steps: saga.steps,
            functions: stepFunctions,
            failureQueue: failures.queue,
            options: saga.definition,
            logRetentionDays: saga.functions.logRetentionDays,
        });
        const start = createStartFunction(ctx, saga, table, machine, failureInjection);
        const status = saga.status && { path: saga.status.path, handler: createStatusFunction(ctx, saga, table, machine) };
        const { api } = createApi(ctx, { start, status }, saga.api);

        this.apiUrl = api.url;
        this.stateMachineArn = machine.arn;
        this.tableName = table.name;
        this.tableArn = table.arn;
        this.failureQueueUrl = failures.queue.url;
        this.failureQueueArn = failures.queue.arn;
        this.compensationAlarmArn = failures.alarm.arn;
        this.registerOutputs({
            apiUrl: this.apiUrl,
            stateMachineArn: this.stateMachineArn,
            tableName: this.tableName,
            tableArn: this.tableArn,
            failureQueueUrl: this.failureQueueUrl,
            failureQueueArn: this.failureQueueArn,
            compensationAlarmArn: this.compensationAlarmArn,
        });
    }
}

/** Checks the arguments, reporting a mistake against the component. */
function prepareOrThrow(name: string, args: SagaComponentArgs, component: SagaComponent): PreparedSaga {
    try {
        return prepareSaga(name, args);
    } catch (error) {
        if (error instanceof SagaValidationError) throw new pulumi.ResourceError(error.message, component);
        throw error;
    }
}

/** One function per action of every step, keyed by the action's state name. */
function createStepFunctions(
    ctx: ChildContext,
    saga: PreparedSaga,
    table: SagaTable,
    failureInjection: pulumi.Output<string>,
): Record<string, aws.lambda.Function> {
    const names = sagaNames(ctx.saga);
    const compensationFailureRate = pulumi.output(saga.compensationFailureRate).apply(String);
    return Object.fromEntries(
        saga.steps.flatMap((step) =>
            actionsOf(step).map(({ role, action }) => {
                const fn = createSagaFunction(ctx, saga, action, {
                    name: names.action(step.name, role),
                    environment: {
                        [Env.tableName]: table.name,
                        [Env.failureInjection]: failureInjection,
                        ...(role === "cancel" ? { [Env.compensationFailureRate]: compensationFailureRate } : {}),
                        ...(saga.chaos ? { [Env.chaos]: JSON.stringify(saga.chaos) } : {}),
                    },
                    grants: table.arn.apply((arn) => tableStatements(arn, action.tableAccess)),
                    tags: { [Tags.step]: step.name, [Tags.role]: role },
                });
                return [stateNameOf(step, role), fn] as const;
            }),
        ),
    );
}

/** The function behind the API: it may start executions of this saga's machine, nothing more. */
function createStartFunction(
    ctx: ChildContext,
    saga: PreparedSaga,
    table: SagaTable,
    machine: aws.sfn.StateMachine,
    failureInjection: pulumi.Output<string>,
): aws.lambda.Function {
    const tableAccess = saga.start.tableAccess ?? [];
    return createSagaFunction(ctx, saga, saga.start, {
        name: sagaNames(ctx.saga).start,
        environment: {
            [Env.stateMachineArn]: machine.arn,
            [Env.failureInjection]: failureInjection,
            ...(tableAccess.length > 0 ? { [Env.tableName]: table.name } : {}),
        },
        grants: pulumi
            .all([machine.arn, table.arn])
            .apply(([machineArn, tableArn]) => [startExecutionStatement(machineArn), ...tableStatements(tableArn, tableAccess)]),
        tags: { [Tags.role]: START_ROLE },
    });
}

/**
 * The function behind the status route: it may Query the saga's table and describe executions of
 * this saga's machine, nothing more (no writes, no other machine's executions).
 */
function createStatusFunction(ctx: ChildContext, saga: PreparedSaga, table: SagaTable, machine: aws.sfn.StateMachine): aws.lambda.Function {
    return createSagaFunction(ctx, saga, saga.status!.handler, {
        name: sagaNames(ctx.saga).status,
        environment: { [Env.tableName]: table.name, [Env.stateMachineArn]: machine.arn },
        grants: pulumi
            .all([machine.arn, table.arn])
            .apply(([machineArn, tableArn]) => [describeExecutionsStatement(machineArn), ...tableStatements(tableArn, ["Query"])]),
        tags: { [Tags.role]: STATUS_ROLE },
    });
}

/** A function running one of the saga's bundled handlers, with the saga's function settings. */
function createSagaFunction(
    ctx: ChildContext,
    saga: PreparedSaga,
    action: SagaAction,
    spec: Omit<FunctionSpec, "code" | "exportName">,
): aws.lambda.Function {
    return createFunction(ctx, { ...spec, ...saga.handlers.get(action)! }, saga.functions);
}
