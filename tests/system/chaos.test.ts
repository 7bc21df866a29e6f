// `npm run chaos`, small and seeded: 40 sagas on the local cloud with faults at every action, some
// stopped while they run, some past their time limit, and an outage of every compensation; then
// every invariant over the table, the executions, their repairs and both queues. It must find
// nothing, and it must have had something to find: every kind of fault fired, and the sagas ended
// in every outcome, late rollbacks and the needs-attention queue included, so the run cannot pass
// for lack of chaos.
import assert from "node:assert/strict";
import { FAULT_KINDS } from "../../chaos/faults";
import { formatReport } from "../../chaos/report";
import { ChaosReport, passed, runChaos } from "../../chaos/run";
import { SagaOutcomes } from "../../components/model/outcomes";

// The seed is fixed so the faults are the same on every run; these 40 sagas meet them all.
const SEED = 11;

describe("the chaos run (npm run chaos), 40 seeded sagas", function () {
    let report: ChaosReport;
    before(async () => {
        report = await runChaos({ sagas: 40, seed: SEED, concurrency: 8 });
    });

    it("violates no invariant and drives every saga to its end", () => {
        assert.ok(passed(report), formatReport(report));
        assert.equal(report.check.invariants.length, 9);
        for (const invariant of report.check.invariants) assert.deepEqual(invariant.violations, [], invariant.name);
        assert.deepEqual(report.driveErrors, []);
    });

    it("injected every kind of fault, at more than one kind of write", () => {
        for (const kind of FAULT_KINDS) {
            const total = Object.values(report.faults.byKind[kind]).reduce((sum, count) => sum + count, 0);
            assert.ok(total > 0, `no ${kind} was injected:\n${formatReport(report)}`);
        }
        assert.deepEqual(Object.keys(report.faults.byKind.failAfterWrite).sort(), ["cancel", "confirm", "refund", "reserve"]);
        assert.deepEqual(report.faults.functionErrors, []);
    });

    it("stopped sagas while they ran, timed some out, and had an outage of every compensation", () => {
        assert.ok(report.stopped > 0, formatReport(report));
        assert.ok(report.outageWindowMs.to - report.outageWindowMs.from >= report.outage.lastsMs);
        const from = (own: string) => Object.entries(report.check.outcomes).filter(([outcome]) => outcome.endsWith(`from ${own})`)).length;
        for (const own of [SagaOutcomes.aborted, SagaOutcomes.timedOut, SagaOutcomes.compensationFailed]) assert.ok(from(own) > 0, `no saga repaired from ${own}:\n${formatReport(report)}`);
    });

    it("ended every saga succeeded, rolled back (late ones too), or past the horizon on the needs-attention queue", () => {
        const { outcomes, failureRecords, needsAttention } = report.check;
        const ended = (outcome: string) => Object.entries(outcomes).filter(([label]) => label === outcome || label.startsWith(`${outcome} (`)).reduce((sum, [, n]) => sum + n, 0);
        assert.equal(ended(SagaOutcomes.succeeded) + ended(SagaOutcomes.rolledBack) + ended(SagaOutcomes.needsAttention), 40, JSON.stringify(outcomes));
        for (const outcome of [SagaOutcomes.succeeded, SagaOutcomes.rolledBack, `${SagaOutcomes.rolledBack} (late`, SagaOutcomes.needsAttention]) {
            assert.ok(Object.keys(outcomes).some((label) => label.startsWith(outcome)), `no saga ended ${outcome}: ${JSON.stringify(outcomes)}`);
        }
        assert.ok(failureRecords > 0 && needsAttention > 0, JSON.stringify({ failureRecords, needsAttention }));
    });

    it("checked every saga's compensation order and the whole table", () => {
        const checked = (name: string) => report.check.invariants.find((invariant) => invariant.name.startsWith(name))?.checked;
        assert.equal(checked("compensations ran newest first"), 40);
        assert.equal(checked("no duplicate records"), 40);
    });
});
