// Every policy of the pack. Importing this module starts no server, so tests can use it.
import { Policies } from "@pulumi/policy";
import { apiRequiresAuthorization } from "./api-authorization";
import { apiStageThrottling } from "./api-throttling";
import { sagaCompensationFailuresRecorded } from "./compensation-failures";
import { sagaCompensationsRetry } from "./compensation-retries";
import { sagaStepsHaveCompensators } from "./compensators";
import { sagaExpressMachineSafe } from "./express";
import { lambdaRuntimeSupported } from "./lambda-runtime";
import { sagaExistingFunctionsInStack, sagaLeastPrivilege } from "./least-privilege";
import { logGroupRetention } from "./log-retention";
import { sagaCompensationFailuresRepaired, sagaStoppedExecutionsCompensated } from "./repair";
import { stateMachineLoggingAndTracing } from "./state-machine-observability";
import { dynamodbTableProtected } from "./table-protection";
import { sagaTestingSwitchesOff } from "./testing-switches";

export {
    apiRequiresAuthorization,
    apiStageThrottling,
    dynamodbTableProtected,
    lambdaRuntimeSupported,
    logGroupRetention,
    sagaCompensationFailuresRecorded,
    sagaCompensationFailuresRepaired,
    sagaCompensationsRetry,
    sagaExistingFunctionsInStack,
    sagaExpressMachineSafe,
    sagaLeastPrivilege,
    sagaStepsHaveCompensators,
    sagaStoppedExecutionsCompensated,
    sagaTestingSwitchesOff,
    stateMachineLoggingAndTracing,
};

/** The name the pack is served and reported under. */
export const POLICY_PACK_NAME = "saga-policies";

export const policies: Policies = [
    // Mandatory: the saga's guarantees and its blast radius.
    sagaStepsHaveCompensators,
    sagaCompensationsRetry,
    sagaCompensationFailuresRecorded,
    sagaCompensationFailuresRepaired,
    sagaExpressMachineSafe,
    sagaLeastPrivilege,
    lambdaRuntimeSupported,
    // Advisory: the saga's reach beyond its own failures, and operational basics.
    sagaStoppedExecutionsCompensated,
    sagaExistingFunctionsInStack,
    stateMachineLoggingAndTracing,
    logGroupRetention,
    dynamodbTableProtected,
    apiStageThrottling,
    apiRequiresAuthorization,
    sagaTestingSwitchesOff,
];
