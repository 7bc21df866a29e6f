// SagaComponent: the saga pattern on AWS, generated from a list of steps. The class is a shell:
// it checks its arguments, then creates the children in dependency order through the named
// functions of the neighbouring modules.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { apiEnvironment, createApi } from "./api";
import { createFailureQueue } from "./failureQueue";
import { createFunction, SagaFunction } from "./functions";
import { SagaComponentArgs, WorkflowType } from "./model/args";
import { definitionDefaults } from "./model/definition";
import { Env, START_ROLE, STATUS_ROLE, Tags } from "./model/conventions";
import { describeExecutionsStatement, startExecutionStatement } from "./model/iam";
import { sagaNames } from "./model/names";
import { SagaValidationError } from "./model/steps";
import { PreparedSaga, prepareSaga } from "./prepare";
import { ChildContext, childContext } from "./naming";
import { createRepair } from "./repair";
import { createStateMachine } from "./stateMachine";
import { createSweep, SagaSweep } from "./sweep";
import { createTable, SagaTable } from "./table";

export const SAGA_COMPONENT_TYPE = "saga:index:SagaComponent";

/**
 * The saga pattern on AWS: one Lambda per action, a generated Step Functions state machine that
 * runs the compensations newest first when an action fails, a single-table DynamoDB table, an API
 * that starts sagas, a queue recording compensations that failed all their retries, and the
 * repair: a second machine that runs the compensations of every execution that ended without a
 * clean rollback again, until they succeed or a horizon passes, then tells a person.
 */
export class SagaComponent extends pulumi.ComponentResource {
    /** The URL that starts a saga: GET or POST on it, or on any path below it outside the `status` route's first segment. */
    public readonly apiUrl: pulumi.Output<string>;
    /** The ARN of the saga's state machine; its executions are named by saga id. */
    public readonly stateMachineArn: pulumi.Output<string>;
    /** The name of the table every record of the saga is in (created, or shared with `table`). */
    public readonly tableName: pulumi.Output<string>;
    /** The ARN of that table. */
    public readonly tableArn: pulumi.Output<string>;
    /** The URL of the queue where each message records a compensation that failed all its retries in the saga's machine (the repair then retries it). */
    public readonly failureQueueUrl: pulumi.Output<string>;
    /** The ARN of that queue. */
    public readonly failureQueueArn: pulumi.Output<string>;
    /**
     * The ARN of the alarm that tells a person: on the needs-attention queue, raised when a
     * compensation still failed after the repair horizon (or a repair could not run). Before the
     * repair existed it was on the failure queue; a failed compensation alone no longer pages.
     */
    public readonly compensationAlarmArn: pulumi.Output<string>;
    /** The URL of the needs-attention queue: one message per saga step a person must see to (and per repair that could not run). */
    public readonly needsAttentionQueueUrl: pulumi.Output<string>;
    /** The ARN of that queue. */
    public readonly needsAttentionQueueArn: pulumi.Output<string>;
    /** The ARN of the repair machine; a repair execution is named after the saga id, as the saga's own. */
    public readonly repairMachineArn: pulumi.Output<string>;
    /** The functions the saga created for step actions, by state name (e.g. "Reserve Hotel"); existing functions are not among them. */
    public readonly functions: Record<string, aws.lambda.Function>;
    /** The role of each of those functions, by the same state names. */
    public readonly functionRoles: Record<string, aws.iam.Role>;
    /** The function behind the API that starts sagas. */
    public readonly startFunction: aws.lambda.Function;
    /** The role of the start function: it may start executions of this machine. */
    public readonly startRole: aws.iam.Role;
    /** The function behind the status route, when the saga has one. */
    public readonly statusFunction?: aws.lambda.Function;
    /** The role of the status function: it may Query the table and describe this machine's executions. */
    public readonly statusRole?: aws.iam.Role;
    /** The generated state machine. */
    public readonly stateMachine: aws.sfn.StateMachine;
    /** The role of the state machine: it may invoke exactly the step functions and record failures. */
    public readonly stateMachineRole: aws.iam.Role;
    /** The table, when the saga created it (not when `table` shares an existing one). */
    public readonly table?: aws.dynamodb.Table;
    /** The REST API that starts sagas (and reports them on the status route). */
    public readonly restApi: aws.apigateway.RestApi;
    /** The API's stage, whose URL is `apiUrl`. */
    public readonly stage: aws.apigateway.Stage;
    /** The queue where compensations that failed all their retries in the saga's machine are recorded. */
    public readonly failureQueue: aws.sqs.Queue;
    /** The alarm that tells a person, the same as `needsAttentionAlarm` (it was on the failure queue before the repair existed). */
    public readonly failureAlarm: aws.cloudwatch.MetricAlarm;
    /** The compensation-only machine that repairs an execution that ended without a clean rollback. */
    public readonly repairMachine: aws.sfn.StateMachine;
    /** Its role: it may invoke exactly the cancel functions and the outcome function, and send to the needs-attention queue. */
    public readonly repairMachineRole: aws.iam.Role;
    /** The function EventBridge invokes on the saga machine's status changes: it starts the repair. */
    public readonly repairStarter: aws.lambda.Function;
    /** Its role: it may start the repair machine and send to the needs-attention queue (its failure destination). */
    public readonly repairStarterRole: aws.iam.Role;
    /** The function through which the repair machine writes the saga's outcome record. */
    public readonly repairOutcomeFunction: aws.lambda.Function;
    /** Its role: it may put items in the saga's table. */
    public readonly repairOutcomeRole: aws.iam.Role;
    /** Where a saga a person must see to is sent. */
    public readonly needsAttentionQueue: aws.sqs.Queue;
    /** The alarm on that queue, notifying `alarmActions`. */
    public readonly needsAttentionAlarm: aws.cloudwatch.MetricAlarm;
    /** The EventBridge rule on the saga machine's status changes that calls for a repair. */
    public readonly statusChangeRule: aws.cloudwatch.EventRule;
    /** The EventBridge rule on the repair machine's unexpected endings, sent to the needs-attention queue. */
    public readonly repairFailureRule: aws.cloudwatch.EventRule;
    /** The workflow type of the saga's machine. */
    public readonly workflowType: pulumi.Output<string>;
    /**
     * EXPRESS only: the function that, every minute, hands each open saga past its deadline (or
     * that recorded a failed compensation) to the repair machine. EXPRESS sends no status-change events.
     */
    public readonly sweepFunction?: aws.lambda.Function;
    /** Its role: it may Query the open-saga index, update the saga's record and start the repair machine. */
    public readonly sweepRole?: aws.iam.Role;
    /** EXPRESS only: the EventBridge schedule (every minute) that runs the sweep. */
    public readonly sweepRule?: aws.cloudwatch.EventRule;

    constructor(name: string, args: SagaComponentArgs, opts?: pulumi.ComponentResourceOptions) {
        super(SAGA_COMPONENT_TYPE, name, {}, opts);
        const saga = prepareOrThrow(name, args, this);
        const ctx = childContext(name, this, args.tags);
        const apiEnv = apiEnvironment(ctx, saga.status?.path, args.api?.cors);
        const table = args.table ? undefined : createTable(ctx, saga.workflowType);
        const tableRef = table ?? { name: pulumi.output(args.table!.name), arn: pulumi.output(args.table!.arn) };
        const failureQueue = createFailureQueue(ctx);
        const steps = createStepFunctions(ctx, saga, tableRef);
        const functionArns = Object.fromEntries(
            saga.actions.map((action) => [action.stateName, steps[action.stateName]?.function.arn ?? action.functionArn!]),
        );
        const machine = createStateMachine(ctx, {
            steps: saga.steps,
            functionArns,
            failureQueue,
            options: saga.definition,
            logRetentionDays: saga.logRetentionDays,
            workflowType: saga.workflowType,
            table: tableRef,
        });
        const repair = createRepair(ctx, {
            steps: saga.steps,
            functionArns,
            stateMachine: machine.machine,
            table: tableRef,
            settings: saga.repair,
            taskTimeoutSeconds: saga.definition.taskTimeoutSeconds ?? definitionDefaults(saga.workflowType).taskTimeoutSeconds,
            logRetentionDays: saga.logRetentionDays,
            alarmActions: args.alarmActions,
        });
        const sweep: SagaSweep | undefined = saga.repair.sweep && createSweep(ctx, { action: saga.repair.sweep, table: tableRef, repairMachine: repair.machine, logRetentionDays: saga.logRetentionDays });
        const start = createStartFunction(ctx, saga, tableRef, machine.machine, apiEnv.start);
        const status = saga.status && createStatusFunction(ctx, saga, tableRef, machine.machine, apiEnv.status);
        const { api } = createApi(ctx, { start: start.function, status: status && { path: saga.status!.path, handler: status.function } }, saga.api, args.api?.cors);

        this.apiUrl = api.url;
        this.stateMachineArn = machine.machine.arn;
        this.tableName = tableRef.name;
        this.tableArn = tableRef.arn;
        this.failureQueueUrl = failureQueue.url;
        this.failureQueueArn = failureQueue.arn;
        this.compensationAlarmArn = repair.needsAttention.alarm.arn;
        this.needsAttentionQueueUrl = repair.needsAttention.queue.url;
        this.needsAttentionQueueArn = repair.needsAttention.queue.arn;
        this.repairMachineArn = repair.machine.arn;
        this.functions = Object.fromEntries(Object.entries(steps).map(([state, fn]) => [state, fn.function]));
        this.functionRoles = Object.fromEntries(Object.entries(steps).map(([state, fn]) => [state, fn.role]));
        this.startFunction = start.function;
        this.startRole = start.role;
        this.statusFunction = status?.function;
        this.statusRole = status?.role;
        this.stateMachine = machine.machine;
        this.stateMachineRole = machine.role;
        this.table = table;
        this.restApi = api.restAPI;
        this.stage = api.stage;
        this.failureQueue = failureQueue;
        this.failureAlarm = repair.needsAttention.alarm;
        this.repairMachine = repair.machine;
        this.repairMachineRole = repair.machineRole;
        this.repairStarter = repair.start.function;
        this.repairStarterRole = repair.start.role;
        this.repairOutcomeFunction = repair.outcome.function;
        this.repairOutcomeRole = repair.outcome.role;
        this.needsAttentionQueue = repair.needsAttention.queue;
        this.needsAttentionAlarm = repair.needsAttention.alarm;
        this.statusChangeRule = repair.statusChangeRule;
        this.repairFailureRule = repair.repairFailureRule;
        this.workflowType = pulumi.output(saga.workflowType);
        this.sweepFunction = sweep?.function.function;
        this.sweepRole = sweep?.function.role;
        this.sweepRule = sweep?.rule;
        this.registerOutputs({
            apiUrl: this.apiUrl,
            stateMachineArn: this.stateMachineArn,
            tableName: this.tableName,
            tableArn: this.tableArn,
            failureQueueUrl: this.failureQueueUrl,
            failureQueueArn: this.failureQueueArn,
            compensationAlarmArn: this.compensationAlarmArn,
            needsAttentionQueueUrl: this.needsAttentionQueueUrl,
            needsAttentionQueueArn: this.needsAttentionQueueArn,
            repairMachineArn: this.repairMachineArn,
            functions: this.functions,
            functionRoles: this.functionRoles,
            startFunction: this.startFunction,
            startRole: this.startRole,
            statusFunction: this.statusFunction,
            statusRole: this.statusRole,
            stateMachine: this.stateMachine,
            stateMachineRole: this.stateMachineRole,
            table: this.table,
            restApi: this.restApi,
            stage: this.stage,
            failureQueue: this.failureQueue,
            failureAlarm: this.failureAlarm,
            repairMachine: this.repairMachine,
            repairMachineRole: this.repairMachineRole,
            repairStarter: this.repairStarter,
            repairStarterRole: this.repairStarterRole,
            repairOutcomeFunction: this.repairOutcomeFunction,
            repairOutcomeRole: this.repairOutcomeRole,
            needsAttentionQueue: this.needsAttentionQueue,
            needsAttentionAlarm: this.needsAttentionAlarm,
            statusChangeRule: this.statusChangeRule,
            repairFailureRule: this.repairFailureRule,
            workflowType: this.workflowType,
            sweepFunction: this.sweepFunction,
            sweepRole: this.sweepRole,
            sweepRule: this.sweepRule,
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

/** The testing switches as the functions read them; a production stack has them all off. */
function testingEnvironment(saga: PreparedSaga) {
    const { testing } = saga;
    return {
        failureInjection: pulumi.output(testing.failureInjection).apply((on) => (on === true ? "true" : "false")),
        compensationFailureRate: pulumi.output(testing.compensationFailureRate).apply(String),
        chaos: testing.chaos ? JSON.stringify(testing.chaos) : undefined,
    };
}

/** One function per action of every step that is not an existing function, keyed by the action's state name. */
function createStepFunctions(ctx: ChildContext, saga: PreparedSaga, table: SagaTable): Record<string, SagaFunction> {
    const names = sagaNames(ctx.saga);
    const testing = testingEnvironment(saga);
    const created = saga.actions.filter((action) => action.code !== undefined);
    return Object.fromEntries(
        created.map((action) => {
            const fn = createFunction(ctx, {
                name: names.action(action.step, action.role),
                action,
                environment: {
                    [Env.tableName]: table.name,
                    [Env.failureInjection]: testing.failureInjection,
                    ...(action.role === "cancel" ? { [Env.compensationFailureRate]: testing.compensationFailureRate } : {}),
                    ...(testing.chaos ? { [Env.chaos]: testing.chaos } : {}),
                },
                tableArn: table.arn,
                logRetentionDays: saga.logRetentionDays,
                tags: { [Tags.step]: action.step, [Tags.role]: action.role },
            });
            return [action.stateName, fn] as const;
        }),
    );
}

/**
 * The function behind the API: it may start executions of this saga's machine, nothing more; on
 * EXPRESS it also writes (PutItem) and reads back (GetItem) the saga's record, which decides one saga per id.
 */
function createStartFunction(ctx: ChildContext, saga: PreparedSaga, table: SagaTable, machine: aws.sfn.StateMachine, apiEnv: Record<string, string>): SagaFunction {
    const express = saga.workflowType === WorkflowType.EXPRESS;
    const tableAccess = express ? [...new Set([...saga.start.tableAccess, "GetItem" as const, "PutItem" as const])] : saga.start.tableAccess;
    const timeoutSeconds = saga.definition.timeoutSeconds ?? definitionDefaults(saga.workflowType).timeoutSeconds;
    return createFunction(ctx, {
        name: sagaNames(ctx.saga).start,
        action: { ...saga.start, tableAccess },
        environment: {
            [Env.stateMachineArn]: machine.arn,
            [Env.failureInjection]: testingEnvironment(saga).failureInjection,
            ...(tableAccess.length > 0 ? { [Env.tableName]: table.name } : {}),
            ...(express ? { [Env.workflowType]: saga.workflowType, [Env.executionTimeoutSeconds]: String(timeoutSeconds) } : {}),
            ...apiEnv,
        },
        grants: machine.arn.apply((arn) => [startExecutionStatement(arn)]),
        tableArn: table.arn,
        logRetentionDays: saga.logRetentionDays,
        tags: { [Tags.role]: START_ROLE },
    });
}

/**
 * The function behind the status route: it may Query the saga's table and describe executions of
 * this saga's machine, nothing more (no writes, no other machine's executions). On EXPRESS, whose
 * executions cannot be described, the table alone answers: it may only Query.
 */
function createStatusFunction(ctx: ChildContext, saga: PreparedSaga, table: SagaTable, machine: aws.sfn.StateMachine, apiEnv: Record<string, string>): SagaFunction {
    const express = saga.workflowType === WorkflowType.EXPRESS;
    return createFunction(ctx, {
        name: sagaNames(ctx.saga).status,
        // Validation allows it no other table access.
        action: { ...saga.status!.handler, tableAccess: ["Query"] },
        environment: { [Env.tableName]: table.name, [Env.stateMachineArn]: machine.arn, ...(express ? { [Env.workflowType]: saga.workflowType } : {}), ...apiEnv },
        grants: express ? [] : machine.arn.apply((arn) => [describeExecutionsStatement(arn)]),
        tableArn: table.arn,
        logRetentionDays: saga.logRetentionDays,
        tags: { [Tags.role]: STATUS_ROLE },
    });
}
