// `npm run chaos`, small and seeded: 40 sagas on the local cloud with faults at every action, then
// every invariant over the table, the executions and the failure queue. It must find nothing, and
// it must have had something to find: every kind of fault fired, and the sagas ended in every
// outcome, so the run cannot pass for lack of chaos.
import assert from "node:assert/strict";
import { FAULT_KINDS } from "../chaos/faults";
import { formatReport } from "../chaos/report";
import { ChaosReport, passed, runChaos } from "../chaos/run";
import { SagaOutcomes } from "../handlers/lib/status";

// The seed is fixed so the faults are the same on every run; these 40 sagas meet them all.
const SEED = 11;

describe("the chaos run (npm run chaos), 40 seeded sagas", function () {
    let report: ChaosReport;
    before(async () => {
        report = await runChaos({ sagas: 40, seed: SEED, concurrency: 8 });
    });

    it("violates no invariant and drives every saga to its end", () => {
        assert.ok(passed(report), formatReport(report));
        assert.equal(report.check.invariants.length, 8);
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

    it("ended sagas in each outcome, with failure records that left data and some that left nothing", () => {
        const { outcomes, failureRecords } = report.check;
        assert.deepEqual(Object.keys(outcomes).sort(), [SagaOutcomes.compensationFailed, SagaOutcomes.rolledBack, SagaOutcomes.succeeded].sort());
        assert.equal(Object.values(outcomes).reduce((sum, count) => sum + count, 0), 40);
        assert.ok(failureRecords.leftData > 0 && failureRecords.leftNothing > 0, JSON.stringify(failureRecords));
    });

    it("checked every saga's compensation order and the whole table", () => {
        const byName = Object.fromEntries(report.check.invariants.map((invariant) => [invariant.name, invariant.checked]));
        assert.equal(byName["compensations ran newest first, from the failed step down to the first"], 40);
        assert.equal(byName["no duplicate records: at most one record per step, none of no step"], 40);
    });
});
