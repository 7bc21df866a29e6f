// `npm start -- --data <dir>`: the table's records, the finished executions and the failure
// queue's messages survive a restart of the local cloud, so the status route still reports an
// earlier trip, its trip id stays taken, as it would on AWS, and its failures stay recorded.
// Over HTTP only.
import "./support/aws-env";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bootCloud, summaryOf } from "../local/client";

describe("the local cloud with a data folder", function () {
    let dataDir: string;
    before(() => {
        dataDir = mkdtempSync(path.join(tmpdir(), "saga-local-"));
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    it("keeps a booking, its execution and the recorded compensation failures across a restart", async () => {
        const first = await bootCloud({ dataDir, config: { "saga:compensationFailureRate": "1" } });
        try {
            assert.equal((await first.client.start({ tripID: "kept-trip" })).status, 202);
            assert.equal((await first.client.outcome("kept-trip")).outcome, "succeeded");
            await first.client.start({ tripID: "broken-trip", runType: "failPayment" });
            assert.equal((await first.client.outcome("broken-trip")).outcome, "compensation_failed");
        } finally {
            await first.cloud.stop();
        }

        const second = await bootCloud({ dataDir });
        try {
            assert.equal(second.cloud.outputs.tableName, first.cloud.outputs.tableName, "the same physical names on every start");
            const { status, body } = await second.client.status("kept-trip");
            assert.deepEqual([status, body.outcome], [200, "succeeded"]);
            assert.deepEqual(summaryOf(body.records), [
                { type: "Flight", transaction_status: "confirmed" },
                { type: "Hotel", transaction_status: "confirmed" },
                { type: "Payment", transaction_status: "confirmed" },
            ]);
            assert.equal((await second.client.start({ tripID: "kept-trip" })).status, 409);
            assert.equal((await second.client.status("broken-trip")).body.outcome, "compensation_failed");
            const kept = (await second.client.queueMessages()).map((message) => [message.sagaId, message.step]);
            assert.deepEqual(kept, [["broken-trip", "Payment"], ["broken-trip", "Flight"], ["broken-trip", "Hotel"]]);
        } finally {
            await second.cloud.stop();
        }
    });
});
