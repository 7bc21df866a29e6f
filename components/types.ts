// The plain-data model of a saga. No Pulumi import: the definition builder, the handlers'
// tests and the policy pack use it too.

/**
 * DynamoDB actions an action may be granted on the saga's table. Scan is deliberately absent:
 * every record of a saga lives under one partition key, so a Query always suffices.
 */
export const TABLE_ACCESS = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"] as const;
export type TableAccess = (typeof TABLE_ACCESS)[number];

/** A reference to a handler: plain data, so it can be validated, bundled and checked by policy. */
export interface SagaAction {
    /**
     * Path of the handler's source file (TypeScript or JavaScript). A relative path resolves
     * against the component's `handlerRoot` (by default the Pulumi program's directory).
     */
    module: string;
    /** Name of the exported function in that module. Defaults to `handler`. */
    export?: string;
    /** Name of the action's state in the state machine. Defaults to `<Role> <step>`, e.g. `Reserve Hotel`. */
    stateName?: string;
    /** The table actions this action needs; its IAM role allows exactly these, on the saga's table only. */
    tableAccess?: TableAccess[];
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
