// What `npm run chaos` prints: the faults injected, how the sagas ended (late rollbacks apart), each
// invariant with how many sagas it was checked on and how many broke it, then every offending saga.
import { formatTable } from "../bench/table";
import { SagaOutcomes } from "../components/model/outcomes";
import { Faults } from "../handlers/lib/chaos";
import { FAULT_KINDS } from "./faults";
import { CHAOS_STACK, ChaosReport, passed } from "./run";
import { repairAttempts } from "../components/model/repair";

const OUTCOME_MEANINGS: Record<string, string> = {
    [SagaOutcomes.succeeded]: "every step reserved and confirmed",
    [SagaOutcomes.rolledBack]: "every compensation succeeded: only the audit trail is left",
    [`${SagaOutcomes.rolledBack} (late, from ${SagaOutcomes.compensationFailed})`]: "a compensation failed all its retries; the repair rolled the saga back",
    [`${SagaOutcomes.rolledBack} (late, from ${SagaOutcomes.aborted})`]: "stopped while it ran; the repair rolled it back",
    [`${SagaOutcomes.rolledBack} (late, from ${SagaOutcomes.timedOut})`]: "ran past its time limit; the repair rolled it back",
    [`${SagaOutcomes.needsAttention} (from ${SagaOutcomes.compensationFailed})`]: "a compensation failed all its retries, and in the repair past the horizon",
    [`${SagaOutcomes.needsAttention} (from ${SagaOutcomes.aborted})`]: "stopped; a compensation failed in the repair past the horizon",
    [`${SagaOutcomes.needsAttention} (from ${SagaOutcomes.timedOut})`]: "timed out; a compensation failed in the repair past the horizon",
};

/** How many offending sagas are listed per invariant; the counts are always complete. */
const LISTED = 20;

const WRITES = ["reserve", "confirm", "cancel", "refund"];

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The sagas whose execution ran past its time limit, repaired or not. */
const timedOut = (outcomes: Record<string, number>) =>
    Object.entries(outcomes)
        .filter(([outcome]) => outcome === SagaOutcomes.timedOut || outcome.endsWith(`from ${SagaOutcomes.timedOut})`))
        .reduce((sum, [, count]) => sum + count, 0);

/** What the restarts did: how many, what they resumed, how long the cloud was down. */
function restartLine(report: ChaosReport): string {
    const { signal, every, restarts, resumed, downtimeMs } = report.restarts!;
    const mean = downtimeMs.length > 0 ? downtimeMs.reduce((sum, ms) => sum + ms, 0) / downtimeMs.length / 1000 : 0;
    const longest = downtimeMs.length > 0 ? Math.max(...downtimeMs) / 1000 : 0;
    return (
        `Restarts: ${restarts}, each after ${signal} once ${every} more sagas had started (the cloud in its own process, with a data folder); ` +
        `executions resumed by the restarted clouds: ${resumed}; down ${mean.toFixed(1)} s per restart on average (longest ${longest.toFixed(1)} s), from the signal until it served again`
    );
}

export function formatReport(report: ChaosReport): string {
    const { rates, faults, check, timings } = report;
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0);
    const writeFaults = FAULT_KINDS.filter((kind) => kind !== Faults.compensationFailure);
    const faultRows = writeFaults.map((kind) => [kind, sum(faults.byKind[kind]), ...WRITES.map((write) => faults.byKind[kind][write] ?? 0)]);
    const compensationFailures = faults.byKind[Faults.compensationFailure];
    const byAction = Object.entries(compensationFailures)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([action, count]) => `${action} ${count}`)
        .join(", ");
    const outcomeRows = Object.entries(check.outcomes)
        .sort(([, a], [, b]) => b - a)
        .map(([outcome, count]) => [`${outcome}: ${OUTCOME_MEANINGS[outcome] ?? "NOT A SAGA OUTCOME"}`, count]);
    const invariantRows = check.invariants.map((invariant) => [invariant.name, invariant.checked, invariant.violations.length]);
    const violations = check.invariants.flatMap((invariant) => {
        if (invariant.violations.length === 0) return [];
        const listed = invariant.violations.slice(0, LISTED).map((v) => `  ${v.tripId}: ${v.message}`);
        const more = invariant.violations.length - listed.length;
        return [`Violated: ${invariant.name}`, ...listed, ...(more > 0 ? [`  ... and ${more} more`] : [])];
    });
    return [
        `Chaos run: ${report.sagas} sagas, seed ${report.seed}, concurrency ${report.concurrency}; at every write: fail before ${rates.failBeforeWrite}, ` +
            `fail after ${rates.failAfterWrite}, duplicate ${rates.duplicateDelivery}; compensation failure rate ${rates.compensationFailureRate}; ` +
            `stopped at random ${rates.stopExecution}; time limit ${CHAOS_STACK.executionTimeoutSeconds} s, repair horizon ${CHAOS_STACK.repairHorizonSeconds} s ` +
            `(${repairAttempts(CHAOS_STACK.repairHorizonSeconds)} retries), retries ${CHAOS_STACK.retryIntervalMs} ms apart`,
        "",
        formatTable("Faults injected into the writes (counted from the functions' log lines)", ["fault", "total", ...WRITES], faultRows),
        `Compensation failures (random, and every one during the outage): ${sum(compensationFailures)} (${byAction || "none"})`,
        `Outage: every compensation failed from ${seconds(report.outageWindowMs.from)} s to ${seconds(report.outageWindowMs.to)} s into the run`,
        `Executions stopped while they ran (StopExecution): ${report.stopped}; timed out: ${timedOut(check.outcomes)}`,
        "",
        formatTable("Outcomes", ["outcome", "sagas"], outcomeRows),
        `Failure-queue records: ${check.failureRecords} (each a compensation that failed all its retries in the saga's execution; the repair took over); ` +
            `needs-attention messages: ${check.needsAttention} (each a compensation whose fault outlasted the repair horizon)`,
        "",
        formatTable("Invariants", ["invariant", "sagas checked", "violations"], invariantRows),
        ...(violations.length > 0 ? ["", ...violations] : []),
        ...(report.restarts ? ["", restartLine(report)] : []),
        ...(report.driveErrors.length > 0 ? ["", "Sagas not driven to their end:", ...report.driveErrors.map((e) => `  ${e}`)] : []),
        ...(faults.functionErrors.length > 0 ? ["", "Error lines the functions logged:", ...faults.functionErrors.slice(0, LISTED).map((e) => `  ${e}`)] : []),
        "",
        `Time: deploy ${seconds(timings.bootMs)} s, sagas ${seconds(timings.sagasMs)} s (${(report.sagas / (timings.sagasMs / 1000)).toFixed(1)} per s), ` +
            `settle ${seconds(timings.settleMs)} s, check ${seconds(timings.checkMs)} s`,
        passed(report) ? "PASSED: no invariant violated." : "FAILED: invariants violated (above).",
    ].join("\n");
}
