// What a repair costs: a saga whose compensations failed all their retries (compensation_failed)
// and was then rolled back by its repair, and a saga stopped while it ran (StopExecution) and then
// compensated by its repair. Each run the same way every time, so the counts are exact: the fault
// (every compensation fails, switched through PUT /_local/faults) is ended while an attempt is
// waiting for its retry, which retries wait long enough for.
//   - repaired: failPayment with the fault on, so the saga's 3 compensations fail 4 attempts each;
//     the repair's first attempt at its first cancel fails too, then the fault ends: 1 retry.
//   - stopped: failPayment with the fault on, stopped once its first compensation's first attempt
//     has failed (the fault ended first): the repair compensates every step at once.
// The common paths are unchanged: the saga's own machine is the same, and a clean rollback or a
// success starts no repair.
import { executionArnOf } from "../components/model/arns";
import type { Booted } from "../local/client";
import type { MetricsSnapshot } from "../local/metrics";
import { costPerSaga, SagaCost } from "./cost";
import { withLocalCloud } from "./local-cloud";
import { progress } from "./table";

export type RepairPath = "compensation failed, then repaired" | "stopped while compensating, then repaired";

export interface RepairCost extends SagaCost {
    path: RepairPath;
    runs: number;
    /** Per saga: the transitions of the saga's own execution, and of its repair. */
    sagaTransitions: number;
    repairTransitions: number;
    repairRetries: number;
}

/** Long enough that the fault is switched while an attempt waits for its retry. */
const RETRY_MS = 300;

type Drive = (booted: Booted, tripId: string) => Promise<void>;

const DRIVES: Record<RepairPath, Drive> = {
    async "compensation failed, then repaired"(booted, tripId) {
        await setFault(booted, 1);
        await start(booted, tripId);
        // The repair's first attempt at its first cancel.
        await failedAttempts(booted, executionArnOf(String(booted.cloud.outputs.repairMachineArn), tripId), 1);
        await setFault(booted, 0);
    },
    async "stopped while compensating, then repaired"(booted, tripId) {
        await setFault(booted, 1);
        const executionArn = await start(booted, tripId);
        // The payment's failure, then the first attempt of its first compensation.
        await failedAttempts(booted, executionArn, 2);
        await setFault(booted, 0);
        const stopped = await booted.client.stepFunctions("StopExecution", { executionArn });
        if (stopped.status !== 200) throw new Error(`StopExecution answered ${stopped.status}: ${JSON.stringify(stopped.body)}`);
    },
};

export async function measureRepairCosts(runs = 3): Promise<RepairCost[]> {
    return withLocalCloud({ retryIntervalMs: RETRY_MS, config: { "saga:compensationFailureRate": "0" } }, async (booted) => {
        const costs: RepairCost[] = [];
        for (const [path, drive] of Object.entries(DRIVES) as [RepairPath, Drive][]) {
            booted.cloud.resetMetrics();
            for (let i = 0; i < runs; i++) {
                await drive(booted, `repair-${path.split(" ")[0]}-${i}`);
                await booted.cloud.idle();
            }
            const metrics = booted.cloud.metrics();
            const [saga, repair] = machines(metrics, booted);
            costs.push({
                path,
                runs,
                ...costPerSaga(metrics, runs),
                sagaTransitions: saga.stateTransitions / runs,
                repairTransitions: repair.stateTransitions / runs,
                repairRetries: repair.retries / runs,
            });
            progress(`repairs: ${path}: ${metrics.stepFunctions.stateTransitions / runs} transitions per saga`);
        }
        return costs;
    });
}

/** The saga's machine's counts and its repair machine's. */
function machines(metrics: MetricsSnapshot, booted: Booted) {
    const of = (output: string) => metrics.stepFunctions.byStateMachine[String(booted.cloud.outputs[output]).split(":").pop()!];
    return [of("stateMachineArn"), of("repairMachineArn")];
}

async function setFault(booted: Booted, rate: number): Promise<void> {
    const { status, body } = await booted.client.setCompensationFailureRate(rate);
    if (status !== 200) throw new Error(`PUT /_local/faults answered ${status}: ${JSON.stringify(body)}`);
}

async function start(booted: Booted, tripId: string): Promise<string> {
    const { status, body } = await booted.client.start({ tripID: tripId, runType: "failPayment" });
    if (status !== 202) throw new Error(`Starting the saga ${tripId} answered ${status}: ${JSON.stringify(body)}`);
    return body.executionArn;
}

/** Waits until the execution (once it exists) has `count` failed Task attempts: the last now waits RETRY_MS for its retry. */
async function failedAttempts(booted: Booted, executionArn: string, count: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
        const { status, body } = await booted.client.stepFunctions("GetExecutionHistory", { executionArn, maxResults: 1000 });
        if (status === 200 && (body.events as { type: string }[]).filter((event) => event.type === "TaskFailed").length >= count) return;
        if (Date.now() > deadline) throw new Error(`${executionArn} had not failed ${count} attempt(s) after 30 s.`);
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
}
