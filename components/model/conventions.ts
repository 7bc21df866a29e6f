// Names shared by the definition builder, the component, the handlers and the policy pack.
// Nothing here imports Pulumi or the AWS SDK, so a handler bundle can include it.

/** Error names a saga execution ends with, so callers can tell the outcomes apart. */
export const SagaErrors = {
    /** Every compensation ran and succeeded: the world is as it was before the saga. */
    RolledBack: "Saga.RolledBack",
    /** At least one compensation still failed after its retries: data may be left behind. */
    CompensationFailed: "Saga.CompensationFailed",
    /** How a repair ends when a compensation still failed past the repair horizon: a person must act. */
    NeedsAttention: "Saga.NeedsAttention",
} as const;

/**
 * Errors of the Lambda service itself (not of the function's code), safe to retry on forward
 * actions: the action either never ran or is idempotent.
 */
export const TRANSIENT_LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
] as const;

/** The key of the execution's state where the saga keeps what went wrong; callers must not use it. */
export const SAGA_STATE_KEY = "saga";

/** Tags on every step Lambda: the policy pack checks compensators from these. */
export const Tags = {
    saga: "saga:name",
    step: "saga:step",
    role: "saga:role",
} as const;

export type ActionRole = "reserve" | "confirm" | "cancel";

/** Environment variables the component gives its Lambdas. */
export const Env = {
    tableName: "TABLE_NAME",
    stateMachineArn: "STATE_MACHINE_ARN",
    /** "true" lets a request choose a failure to inject (demo and test stacks only). */
    failureInjection: "SAGA_FAILURE_INJECTION",
    /** Probability (0..1) that a compensation fails on purpose, to show retries at work. */
    compensationFailureRate: "SAGA_COMPENSATION_FAILURE_RATE",
    /**
     * Chaos testing, on step Lambdas only: one JSON object, the component's checked `chaos`
     * settings (`ChaosSettings` of chaos.ts), e.g. {"seed":7,"failBeforeWrite":0.1,...}. Absent: off.
     */
    chaos: "SAGA_CHAOS",
    /**
     * On the start function, when the saga has a status route: its path, e.g. /trips/{tripId}. A
     * request under its first segment, in any letter case, is no start request: 404.
     */
    statusPath: "SAGA_STATUS_PATH",
    /** On the API's functions, when `api.cors` is set: the origin their responses allow (`Access-Control-Allow-Origin`). */
    corsAllowOrigin: "SAGA_CORS_ALLOW_ORIGIN",
    /**
     * On the start and status functions of an EXPRESS saga: "EXPRESS". The start then records the
     * saga in the table before it starts the execution, and the status reads the outcome there.
     * Absent: STANDARD.
     */
    workflowType: "SAGA_WORKFLOW_TYPE",
    /** On the start function of an EXPRESS saga: the machine's TimeoutSeconds, which dates the saga's deadline. */
    executionTimeoutSeconds: "SAGA_EXECUTION_TIMEOUT_SECONDS",
} as const;

/** The `Tags.role` of the start Lambda behind the API: it belongs to the saga but to no step. */
export const START_ROLE = "start";

/** The `Tags.role` of the status Lambda behind the API's status route: it only reads. */
export const STATUS_ROLE = "status";

/** The `Tags.role` of the repair machine: it runs every compensation again, newest first, after an execution ended unrepaired. */
export const REPAIR_ROLE = "repair";

/** The `Tags.role` of the Lambda that starts the repair machine on an execution's status change. */
export const REPAIR_START_ROLE = "repair-start";

/** The `Tags.role` of the Lambda through which the repair machine writes the saga's outcome record. */
export const REPAIR_OUTCOME_ROLE = "repair-outcome";

/**
 * The source and detail type of the EventBridge events Step Functions sends when an execution of
 * a STANDARD machine changes status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED).
 */
export const STATUS_CHANGE_EVENT = { source: "aws.states", detailType: "Step Functions Execution Status Change" } as const;

/**
 * The record of a saga's final outcome once a repair has run, under the saga's partition key
 * (pk = the saga id, sk = this). An execution that failed stays FAILED (or ABORTED, TIMED_OUT) in
 * Step Functions whatever a repair does later, so the saga's own outcome lives in its table.
 */
export const OUTCOME_RECORD_SK = "SAGA#OUTCOME";
/** The `type` of that record, whether a repair or an EXPRESS start wrote it. */
export const OUTCOME_RECORD_TYPE = "SagaOutcome";

/** What a repair records in the outcome record's `outcome`. */
export const RepairOutcomes = {
    /** The repair machine is running the compensations again. */
    repairing: "repairing",
    /** Every compensation succeeded in the repair: the saga is rolled back, late. */
    rolledBack: "rolled_back",
    /** A compensation still failed past the repair horizon: the needs-attention queue names it. */
    needsAttention: "needs_attention",
} as const;
export type RepairOutcome = (typeof RepairOutcomes)[keyof typeof RepairOutcomes];

/** The roles a saga action plays; a Task state's `Comment` names one (see `taskComment`). */
export const ACTION_ROLES: readonly ActionRole[] = ["reserve", "confirm", "cancel"];

const TASK_COMMENT = /^saga:step=([A-Za-z][A-Za-z0-9]*) saga:role=(reserve|confirm|cancel)$/;

/**
 * The `Comment` of every Task state that runs a saga action, e.g. `saga:step=Hotel saga:role=reserve`.
 * The machine carries the saga's structure itself, so the policy pack knows each step's
 * compensator whatever function a Task invokes (one the saga created and tagged, an existing one,
 * or a hand-written machine that follows the convention).
 */
export function taskComment(step: string, role: ActionRole): string {
    return `${Tags.step}=${step} ${Tags.role}=${role}`;
}

/** The step and role a Task state's `Comment` names, if it follows the convention of `taskComment`. */
export function parseTaskComment(comment: unknown): { step: string; role: ActionRole } | undefined {
    const match = typeof comment === "string" ? TASK_COMMENT.exec(comment) : null;
    return match ? { step: match[1], role: match[2] as ActionRole } : undefined;
}

/**
 * What an EXPRESS saga's record (pk = the saga id, sk = OUTCOME_RECORD_SK) says. The start writes
 * it `running`, conditionally, before it starts the execution: the table, not Step Functions
 * (which does not deduplicate EXPRESS execution names), decides that an id is one saga. The
 * machine then records how it ended with Step Functions' own DynamoDB integration; a repair
 * replaces the record with one of RepairOutcomes.
 */
export const ExpressOutcomes = {
    running: "running",
    succeeded: "succeeded",
    rolledBack: "rolled_back",
    compensationFailed: "compensation_failed",
} as const;
export type ExpressOutcome = (typeof ExpressOutcomes)[keyof typeof ExpressOutcomes];

/** The attributes of an EXPRESS saga's record besides its key, `type` and `outcome`. */
export const SagaRecordFields = {
    /** "EXPRESS": the record decides the saga (a STANDARD saga's outcome record is written by a repair only). */
    workflowType: "workflowType",
    /** The execution input, as JSON text: what the sweep gives the repair's compensations. */
    input: "input",
    startedAt: "startedAt",
    /** startedAt plus the machine's TimeoutSeconds: no execution of the saga runs past it. */
    deadline: "deadline",
    /** The execution that recorded the outcome ($$.Execution.Id). */
    executionArn: "executionArn",
    /** With compensation_failed: the saga's state (the forward failure, each failed compensation), as JSON text. */
    sagaState: "sagaState",
} as const;

/**
 * The sparse index of open EXPRESS sagas: only a record that still waits for an outcome, or for a
 * repair, has its two attributes, so the index holds open sagas only and the sweep reads nothing
 * else. `shard` spreads the writes over a few partition values (one hot key would cap the starts
 * per second); `due` is the ISO time from which the sweep takes the saga: its deadline while it
 * runs, the execution's start once it recorded compensation_failed (at once).
 */
export const OpenSagaIndex = {
    name: "open-sagas",
    shard: "openShard",
    due: "openDue",
    shards: 4,
} as const;

/** The shard of a saga id in the open-saga index: `open#0` .. `open#<shards-1>`, from an FNV-1a hash of the id. */
export function openShardOf(sagaId: string): string {
    let hash = 0x811c9dc5;
    for (let i = 0; i < sagaId.length; i++) {
        hash ^= sagaId.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return `open#${hash % OpenSagaIndex.shards}`;
}

/** Every shard of the open-saga index, which the sweep queries one by one. */
export const OPEN_SHARDS: readonly string[] = Array.from({ length: OpenSagaIndex.shards }, (_, i) => `open#${i}`);

/** The `Comment` of an EXPRESS machine's Tasks that record the saga's outcome: the policy pack knows them as records, not compensations. */
export const OUTCOME_RECORD_COMMENT = "saga:record=outcome";

/** The `Tags.role` of the Lambda that sweeps open EXPRESS sagas past their deadline to the repair. */
export const SWEEP_ROLE = "sweep";

/** How often the sweep runs (an EventBridge schedule expression). */
export const SWEEP_SCHEDULE = "rate(1 minute)";
