// The plain-data core of a saga: arguments, conventions, the definition builder and the checks.
// No Pulumi resource here: the component, the handlers, the policy pack and the local cloud share it.
export { Architecture, TABLE_ACCESS, TableAccess, WorkflowType } from "./args";
export type {
    DefinitionOptions,
    RetryPolicy,
    SagaAction,
    SagaApiOptions,
    SagaApiThrottle,
    SagaChaosOptions,
    SagaComponentArgs,
    SagaCorsOptions,
    SagaLambdaOptions,
    SagaPolicyStatement,
    SagaRepairOptions,
    SagaStatusOptions,
    SagaStep,
    SagaSharedTable,
    SagaTestingOptions,
} from "./args";
export { CODE_SOURCES, validateAction } from "./actions";
export { CHAOS_FAULTS } from "./chaos";
export type { ChaosSettings } from "./chaos";
export {
    ACTION_ROLES,
    Env,
    ExpressOutcomes,
    OPEN_SHARDS,
    OpenSagaIndex,
    openShardOf,
    SagaRecordFields,
    SWEEP_ROLE,
    SWEEP_SCHEDULE,
    OUTCOME_RECORD_SK,
    OUTCOME_RECORD_TYPE,
    parseTaskComment,
    REPAIR_OUTCOME_ROLE,
    REPAIR_ROLE,
    REPAIR_START_ROLE,
    RepairOutcomes,
    SAGA_STATE_KEY,
    SagaErrors,
    START_ROLE,
    STATUS_CHANGE_EVENT,
    STATUS_ROLE,
    Tags,
    taskComment,
    TRANSIENT_LAMBDA_ERRORS,
} from "./conventions";
export type { ActionRole, ExpressOutcome, RepairOutcome } from "./conventions";
export { executionArnOf } from "./arns";
export {
    afterFailedCompensation,
    buildSagaDefinition,
    CONDITIONAL_CHECK_FAILED,
    DEFAULT_DEFINITION_OPTIONS,
    definitionDefaults,
    EXPRESS_DEFINITION_DEFAULTS,
    recordFailureStateName,
    SagaPaths,
} from "./definition";
export { EXPRESS_MAX_SECONDS, stateWorstCaseSeconds, worstCaseDuration } from "./duration";
export type { WorstCase } from "./duration";
export type { Asl, AslState } from "./asl";
export type { AslDefinition, SagaDefinitionInput } from "./definition";
export { SagaValidationError } from "./errors";
export {
    afterFailedRepair,
    buildRepairDefinition,
    DEFAULT_REPAIR_HORIZON_SECONDS,
    recordNeedsAttentionStateName,
    repairAttempts,
    RepairPaths,
    statusChangePattern,
} from "./repair";
export type { RepairDefinitionInput } from "./repair";
export { ExpressStates, FixedStates, RepairStates, stateNameOf, validateSteps } from "./steps";
