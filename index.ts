// The default stack: the travel booking saga of the original pattern (Hotel, Flight, Payment).
import * as pulumi from "@pulumi/pulumi";
import { SagaChaosOptions, SagaComponent, WorkflowType } from "./components";
import { travelStart, travelStatus, travelSteps } from "./handlers/travel/steps";
import { RUN_TYPES, TRIP_ID_PARAMETER } from "./handlers/travel/trip";

const config = new pulumi.Config();
// STANDARD or EXPRESS (docs/express.md); the component refuses any other value.
const workflowType = (config.get("workflowType") ?? WorkflowType.STANDARD) as WorkflowType;
// Test stacks may shorten the execution's time limit and the repair horizon (chaos runs do); unset
// (or 0), the component's defaults: 900 seconds on STANDARD, 300 on EXPRESS.
const executionTimeoutSeconds = config.getNumber("executionTimeoutSeconds", { min: 0 }) || undefined;
const repairHorizonSeconds = config.getNumber("repairHorizonSeconds", { min: 60 });
const failureInjection = config.getBoolean("failureInjection") ?? false;

const booking = new SagaComponent("booking", {
    steps: travelSteps,
    start: travelStart,
    workflowType,
    // GET /trips/{tripId} reports a booking; GET or POST on any path outside /trips starts one.
    status: { path: "/trips/{tripId}", handler: travelStatus },
    alarmActions: config.getObject<string[]>("alarmActions") ?? [],
    api: { iamAuth: !(config.getBoolean("publicApi") ?? false) },
    tags: { project: pulumi.getProject(), stack: pulumi.getStack() },
    ...(executionTimeoutSeconds !== undefined ? { definition: { timeoutSeconds: executionTimeoutSeconds } } : {}),
    ...(repairHorizonSeconds !== undefined ? { repair: { horizonSeconds: repairHorizonSeconds } } : {}),
    // Demo and test stacks only (Pulumi.dev.yaml turns injection on); all off by default.
    testing: {
        failureInjection,
        compensationFailureRate: config.getNumber("compensationFailureRate", { min: 0, max: 1 }) ?? 0,
        chaos: config.getObject<SagaChaosOptions>("chaos"),
    },
});

export const apiUrl = booking.apiUrl;
export const stateMachineArn = booking.stateMachineArn;
export const tableName = booking.tableName;
export const failureQueueUrl = booking.failureQueueUrl;
export const needsAttentionQueueUrl = booking.needsAttentionQueueUrl;
export const repairMachineArn = booking.repairMachineArn;
// What a start request takes, for the tools that offer to send one (the local cloud's console):
// the query parameter of the trip id, and the run types failure injection accepts (none when off).
export const startRequest = pulumi.output({ idParameter: TRIP_ID_PARAMETER, runTypes: failureInjection ? RUN_TYPES : [] });
