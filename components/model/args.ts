// The arguments of SagaComponent: plain data and Pulumi Inputs, no resource. The definition
// builder, the validation, the handlers' tests, the policy pack and the local cloud read them.
//
// Shaped for Pulumi's schema inference, so the component can be a package for every language:
// named interfaces only (no anonymous object types, unions or intersections), enums as
// `as const` objects, Inputs where a value may be known only at deployment.
import type * as pulumi from "@pulumi/pulumi";

/**
 * DynamoDB actions an action may be granted on the saga's table. Scan is deliberately absent:
 * every record of a saga lives under one partition key, so a Query always suffices.
 */
export const TableAccess = {
    GetItem: "GetItem",
    PutItem: "PutItem",
    UpdateItem: "UpdateItem",
    DeleteItem: "DeleteItem",
    Query: "Query",
} as const;
export type TableAccess = (typeof TableAccess)[keyof typeof TableAccess];
export const TABLE_ACCESS: readonly TableAccess[] = Object.values(TableAccess);

/**
 * The kind of Step Functions workflow the saga's machine is. STANDARD: exactly-once steps, a year
 * per execution, 90 days of history, billed per state transition. EXPRESS: at-least-once steps,
 * at most 5 minutes, no history but its CloudWatch log, billed per request and duration (about a
 * hundredth of STANDARD's price for a short saga). See docs/express.md.
 */
export const WorkflowType = { STANDARD: "STANDARD", EXPRESS: "EXPRESS" } as const;
export type WorkflowType = (typeof WorkflowType)[keyof typeof WorkflowType];

/** The instruction set of a function. arm64 is cheaper per GB-second for the same work. */
export const Architecture = { arm64: "arm64", x86_64: "x86_64" } as const;
export type Architecture = (typeof Architecture)[keyof typeof Architecture];

/** An extra IAM permission of one action's role: Allow `actions` on `resources`. */
export interface SagaPolicyStatement {
    /** IAM actions, e.g. `sqs:SendMessage`. No wildcard: the policy pack rejects `*`. */
    actions: string[];
    /** ARNs of the resources, e.g. a queue's `arn`. No `*`. */
    resources: pulumi.Input<string>[];
}

/**
 * One action of a saga: a function and what it may do. Its code comes from exactly one of
 * `module` (a TypeScript or JavaScript file the component bundles), `code` (an archive for any
 * Lambda runtime, with `handler` and `runtime`) or `functionArn` (an existing function).
 */
export interface SagaAction {
    /**
     * Path of the handler's source file (TypeScript or JavaScript), bundled with esbuild. A relative
     * path resolves against the component's `handlerRoot` (by default the Pulumi program's directory).
     */
    module?: string;
    /** With `module`: the exported function. Default `handler`. */
    export?: string;
    /** The function's code as an archive (a zip, a folder, or assets), for any runtime. Needs `handler` and `runtime`. */
    code?: pulumi.asset.Archive;
    /** With `code`: the handler as its runtime names it, e.g. `app.handler` for Python's `app.py`. */
    handler?: string;
    /** With `code`: the Lambda runtime, e.g. `python3.13`, `java21`, `nodejs22.x`. */
    runtime?: string;
    /**
     * An existing function (a step action only): the saga creates no function for it, and its
     * state machine may invoke exactly this ARN. Its role, environment and settings are its owner's.
     */
    functionArn?: pulumi.Input<string>;
    /** Name of the action's state in the state machine. Defaults to `<Role> <step>`, e.g. `Reserve Hotel`. */
    stateName?: string;
    /** The table actions this action needs; its role allows exactly these, on the saga's table only. */
    tableAccess?: TableAccess[];
    /** Extra environment variables. A secret Output stays secret in the state. */
    environment?: Record<string, pulumi.Input<string>>;
    /** Extra permissions of this action's role only, e.g. `sqs:SendMessage` on one queue. */
    policyStatements?: SagaPolicyStatement[];
    /** Memory in MB (128 to 10240), over `lambda.memorySize`. */
    memorySize?: number;
    /** Timeout in seconds, over `lambda.timeoutSeconds`; less than `definition.taskTimeoutSeconds`. */
    timeoutSeconds?: number;
    /** Over `lambda.architecture`. */
    architecture?: Architecture;
}

/** One step of a saga: a forward action, an optional second phase and its compensation. */
export interface SagaStep {
    /** Unique in the saga; used in state, resource and tag names. Letters and digits, starting with a letter. */
    name: string;
    /** The forward action: tentative work (e.g. a pending booking). */
    reserve: SagaAction;
    /** The second phase, run once every step has reserved. */
    confirm?: SagaAction;
    /** The compensating action: undoes `reserve` and `confirm`. Must be idempotent. */
    cancel: SagaAction;
}

/** Retry policy of a group of tasks. */
export interface RetryPolicy {
    /** Retries after the first attempt. */
    maxAttempts: number;
    intervalSeconds: number;
    backoffRate: number;
}

/** Retries and timeouts of the state machine; each has a default. */
export interface SagaDefinitionOptions {
    /** Retries of a compensation, on every error, before it is recorded as failed. Default 3, from 1 s, doubling. */
    compensationRetry?: RetryPolicy;
    /** Retries of a forward action on transient Lambda service errors (never on the action's own errors). Default 2, from 1 s, doubling. */
    forwardRetry?: RetryPolicy;
    /** Upper bound of one task (one Lambda invocation), in seconds. Default 30 (EXPRESS: 4). */
    taskTimeoutSeconds?: number;
    /** Upper bound of a whole execution, in seconds. Default 900 (EXPRESS: 300, its most). */
    timeoutSeconds?: number;
    /** The machine's Comment. */
    comment?: string;
}

/** The definition options with every default filled in, as the builder renders them. */
export type DefinitionOptions = Required<SagaDefinitionOptions>;

/** Defaults of every function the saga creates; an action may override its own. */
export interface SagaLambdaOptions {
    /** Memory in MB (128 to 10240). Default 256. */
    memorySize?: number;
    /** Timeout in seconds; less than `definition.taskTimeoutSeconds`. Default 10 (EXPRESS: 3). */
    timeoutSeconds?: number;
    /** How long the functions' and the state machine's logs are kept, in days. Default 14. */
    logRetentionDays?: number;
    /** Default arm64. */
    architecture?: Architecture;
}

/** Requests per second across the API's stage, and the burst above it. */
export interface SagaApiThrottle {
    rateLimit: pulumi.Input<number>;
    burstLimit: pulumi.Input<number>;
}

/**
 * Lets the web pages of one origin call the API from a browser (CORS): API Gateway answers the
 * browser's preflight (OPTIONS) itself, and every response names the origin.
 */
export interface SagaCorsOptions {
    /**
     * The origin allowed, as a browser sends it: scheme, host and optional port, without a path,
     * e.g. "https://app.example.com"; or "*" for any origin.
     */
    allowOrigin: string;
}

export interface SagaApiOptions {
    /** The stage, the first segment of the API's paths. Default "v1". */
    stageName?: pulumi.Input<string>;
    /** Default 50 requests per second, burst 100. */
    throttle?: SagaApiThrottle;
    /**
     * Require SigV4-signed requests (AWS_IAM authorization). Default true: the API starts sagas,
     * which change data and are billed per transition, so it is not public unless you say so
     * (false: anyone can call it, within the throttle).
     */
    iamAuth?: boolean;
    /**
     * Browser access from another origin. Default: none, and an OPTIONS request gets 405 like any
     * method but GET and POST. The preflight needs no signature (browsers never sign one).
     */
    cors?: SagaCorsOptions;
}

/** A read-only route of the API that reports one saga: its outcome and its records. */
export interface SagaStatusOptions {
    /**
     * The route's path below the stage, with exactly one path parameter, the saga id, after a
     * fixed first segment: e.g. "/trips/{tripId}". Only GET on it reports (another method: 405);
     * no other path under its first segment starts a saga (404).
     */
    path: string;
    /** Reads the id from the path parameter, e.g. built with `createStatusHandler` of `handlers/lib/status.ts`. */
    handler: SagaAction;
}

/** An existing table to share (keys `pk` and `sk`, both strings). */
export interface SagaSharedTable {
    name: pulumi.Input<string>;
    arn: pulumi.Input<string>;
}

/** Chaos testing: faults the step functions inject at random into their record writes. */
export interface SagaChaosOptions {
    /** Seeds every random draw: the same seed injects the same faults into the same sagas. Default: unseeded. */
    seed?: number;
    /** Probability (0 to 1) that a write fails before it is made. */
    failBeforeWrite?: number;
    /** Probability that a write is made and then fails, as a timeout after the work would: the caller cannot tell it was done. */
    failAfterWrite?: number;
    /** Probability that a write is delivered twice (at least once delivery): at the same time, or late, after the action has answered. */
    duplicateDelivery?: number;
    /** The latest a late duplicate arrives, in milliseconds. Default 200. */
    maxDuplicateDelayMs?: number;
}

/**
 * Switches for demo and test stacks, NEVER for production: each makes the saga fail on purpose.
 * The policy pack flags a stack whose functions have any of them on.
 */
export interface SagaTestingOptions {
    /** Lets a request's `runType` choose a step to fail. Default false. */
    failureInjection?: pulumi.Input<boolean>;
    /** Probability (0 to 1) that a compensation fails on purpose, to show its retries at work. Default 0. */
    compensationFailureRate?: pulumi.Input<number>;
    /** Faults the step functions inject into their writes (see `npm run chaos`). Plain: checked up front. Default: off. */
    chaos?: SagaChaosOptions;
}

/**
 * The repair of sagas that ended without being rolled back: a compensation that failed all its
 * retries, or an execution that was stopped (ABORTED), ran past its time limit (TIMED_OUT) or
 * failed with an error of its own. A second, generated state machine runs every compensation
 * again, newest first, each retried with growing delays until the horizon; a compensation that
 * still fails then is sent to the needs-attention queue, whose alarm notifies `alarmActions`.
 */
export interface SagaRepairOptions {
    /**
     * How long each compensation is retried in a repair before a person is told, in seconds: from
     * 60 to a year, and short enough that every step's fits in one execution (at most a year).
     * Default 86400 (24 hours).
     */
    horizonSeconds?: number;
}

export interface SagaComponentArgs {
    /**
     * The saga's steps, in order. Plain data, not Inputs: they decide which resources exist (one
     * function per action, the states of the machine), so they must be known before any is created.
     */
    steps: SagaStep[];
    /** The handler behind the API: it reads the request and starts an execution. */
    start: SagaAction;
    /**
     * The kind of workflow the saga's machine is. Default STANDARD. EXPRESS costs far less per
     * saga but runs steps at least once and at most 5 minutes: the saga's record in the table then
     * decides one saga per id, says its outcome, and a sweep every minute repairs the sagas whose
     * execution ended without recording one (docs/express.md). The repair machine is STANDARD either way.
     */
    workflowType?: WorkflowType;
    /**
     * The directory relative handler `module` paths resolve against. Default: the current
     * directory, i.e. the Pulumi program's. Programs in other languages use the component as a
     * plugin, whose directory is not theirs: they give an absolute path here (or absolute modules).
     */
    handlerRoot?: string;
    /** An existing table to share. Default: the saga creates one. */
    table?: SagaSharedTable;
    /** Defaults of the functions the saga creates. */
    lambda?: SagaLambdaOptions;
    /** Retries and timeouts of the state machine. Plain: they shape the definition and are checked up front. */
    definition?: SagaDefinitionOptions;
    api?: SagaApiOptions;
    /** A status route on the API (GET), with its own read-only function. Default: none. */
    status?: SagaStatusOptions;
    /**
     * Where the alarm that needs a person notifies, e.g. SNS topic ARNs: the alarm on the
     * needs-attention queue, which receives a compensation only once it has failed past the repair
     * horizon (see `repair`).
     */
    alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
    /** The repair of failed compensations and of stopped, timed-out or failed executions. Default: a 24-hour horizon. */
    repair?: SagaRepairOptions;
    /** Tags for every taggable child, besides the saga's own (`saga:name`, `saga:step`, `saga:role`). */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Failure injection and chaos, for demo and test stacks only. Default: all off. */
    testing?: SagaTestingOptions;
}
