// The package entry point: `import { SagaComponent } from "saga"`.
export { SagaComponent, SAGA_COMPONENT_TYPE } from "./sagaComponent";
export type { SagaApiOptions, SagaComponentArgs, SagaLambdaOptions, SagaStatusOptions } from "./sagaComponent";
export { CHAOS_FAULTS } from "./chaos";
export type { ChaosSettings, SagaChaosOptions } from "./chaos";
export { TABLE_ACCESS } from "./types";
export type { RetryPolicy, SagaAction, SagaStep, TableAccess } from "./types";
export {
    afterFailedCompensation,
    buildSagaDefinition,
    DEFAULT_DEFINITION_OPTIONS,
    recordFailureStateName,
    SagaPaths,
} from "./definition";
export type { AslDefinition, AslState, DefinitionOptions, SagaDefinitionInput } from "./definition";
export { Env, executionArnOf, SAGA_STATE_KEY, SagaErrors, START_ROLE, STATUS_ROLE, Tags, TRANSIENT_LAMBDA_ERRORS } from "./conventions";
export type { ActionRole } from "./conventions";
export { FixedStates, SagaValidationError, stateNameOf, validateSteps } from "./steps";
