// The default stack: the travel booking saga of the original pattern (Hotel, Flight, Payment).
import * as pulumi from "@pulumi/pulumi";
import { SagaChaosOptions, SagaComponent } from "./components";
import { travelStart, travelStatus, travelSteps } from "./handlers/travel/steps";

const config = new pulumi.Config();

const booking = new SagaComponent("booking", {
    steps: travelSteps,
    start: travelStart,
    // GET /trips/{tripId} reports a booking; GET or POST on any path outside /trips starts one.
    status: { path: "/trips/{tripId}", handler: travelStatus },
    alarmActions: config.getObject<string[]>("alarmActions") ?? [],
    api: { iamAuth: !(config.getBoolean("publicApi") ?? false) },
    tags: { project: pulumi.getProject(), stack: pulumi.getStack() },
    // Demo and test stacks only (Pulumi.dev.yaml turns injection on); all off by default.
    testing: {
        failureInjection: config.getBoolean("failureInjection") ?? false,
        compensationFailureRate: config.getNumber("compensationFailureRate", { min: 0, max: 1 }) ?? 0,
        chaos: config.getObject<SagaChaosOptions>("chaos"),
    },
});

export const apiUrl = booking.apiUrl;
export const stateMachineArn = booking.stateMachineArn;
export const tableName = booking.tableName;
export const failureQueueUrl = booking.failureQueueUrl;
