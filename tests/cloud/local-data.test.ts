// `npm start -- --data <dir>`: the table's records, the finished executions and the failure
// queue's messages survive a restart of the local cloud, so the status route still reports an
// earlier trip, its trip id stays taken, as it would on AWS, and its failures stay recorded. A
// stop lets the running sagas end, then closes the port. Over HTTP only.
import "../support/aws-env";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { bootCloud, summaryOf } from "../../local/client";

function assertPortClosed(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        socket.on("connect", () => reject(new Error(`port ${port} still accepts connections`)));
        socket.on("error", () => resolve());
    });
}

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
            assert.equal((await first.client.outcome("broken-trip")).error, "Saga.CompensationFailed");
            // Its repair fails as well (every compensation does) up to the horizon: needs_attention.
            await first.cloud.idle();
            // Stopped while a saga runs: the saga ends within the grace period, then the port closes.
            assert.equal((await first.client.start({ tripID: "running-at-stop" })).status, 202);
        } finally {
            await first.cloud.stop({ graceMs: 10_000 });
        }
        await assert.rejects(fetch(first.cloud.url));
        await assertPortClosed(Number(new URL(first.cloud.url).port));

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
            const broken = (await second.client.status("broken-trip")).body as unknown as Record<string, unknown>;
            assert.deepEqual([broken.outcome, broken.repairedFrom], ["needs_attention", "compensation_failed"]);
            assert.deepEqual(second.cloud.resumed, [], "the saga running at the stop had ended");
            assert.equal((await second.client.status("running-at-stop")).body.outcome, "succeeded");
            // Each queue kept its messages: the failure records, and what the repair sent for a person.
            for (const output of ["failureQueueUrl", "needsAttentionQueueUrl"]) {
                const { body } = await second.client.get(`${second.cloud.url}/_local/queues/${String(second.cloud.outputs[output]).split("/").pop()}`);
                const kept = (body.messages as { json: Record<string, string> }[]).map(({ json }) => [json.sagaId, json.step]);
                assert.deepEqual(kept, [["broken-trip", "Payment"], ["broken-trip", "Flight"], ["broken-trip", "Hotel"]], output);
            }
        } finally {
            await second.cloud.stop();
        }
    });
});
