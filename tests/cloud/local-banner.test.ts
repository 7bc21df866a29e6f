// What `npm start` prints once the cloud serves: by default at most 25 lines (the endpoint, the
// console, the outputs a user reads, three requests, how to stop); with --verbose every resource
// provisioned or not and every output, which GET /_local also serves (the console reads it). The
// requests it prints work when pasted into a shell, with this machine's curl: curl before 8.x
// signs query parameters in the order written, so the banner writes them sorted.
import "../support/aws-env";
import assert from "node:assert/strict";
import { banner, BANNER_MAX_LINES, sortedQuery } from "../../local/banner";
import type { Booted } from "../../local/client";
import { curlLines, hasMachineCurl, MACHINE_CURL, paste } from "../support/pasted";
import { sharedCloud } from "../support/shared-cloud";

describe("npm start's banner", function () {
    let booted: Booted;
    let text: string;

    before(async () => {
        ({ booted } = await sharedCloud());
        text = banner(booted.cloud, { retryIntervalMs: 0 });
    });

    it(`fits in ${BANNER_MAX_LINES} lines: the endpoint, the console, the outputs a user reads, three requests, how to stop`, () => {
        const lines = text.split("\n");
        assert.equal(BANNER_MAX_LINES, 25);
        assert.ok(lines.length <= 25, `${lines.length} lines:\n${text}`);
        const { url, outputs } = booted.cloud;
        assert.match(text, new RegExp(`^Endpoint: ${url} `, "m"));
        assert.match(text, new RegExp(`^Console: +${url}/_console/ `, "m"));
        assert.match(text, new RegExp(`^API URL: +${outputs.apiUrl}$`, "m"));
        assert.match(text, new RegExp(`^State machine: +${outputs.stateMachineArn}$`, "m"));
        assert.match(text, new RegExp(`^Table: +${outputs.tableName}$`, "m"));
        assert.equal(curlLines(text).length, 3, text);
        assert.match(text, /^Ctrl-C stops: /m);
        // The lists are behind --verbose: counted here, never listed.
        assert.ok(!text.includes("Provisioned locally:"));
        assert.match(text, new RegExp(`^Resources: ${booted.cloud.resources.provisioned.length} provisioned locally, ${booted.cloud.resources.notProvisioned.length} with no local effect`, "m"));
    });

    it("with --verbose lists every resource provisioned and not, every output and every route", () => {
        const verbose = banner(booted.cloud, { retryIntervalMs: 0, verbose: true });
        const { provisioned, notProvisioned, warnings } = booted.cloud.resources;
        assert.ok(provisioned.length > 0 && notProvisioned.length > 0);
        for (const entry of provisioned) assert.ok(verbose.includes(`      ${entry.name}: ${entry.local}`), `${entry.type} ${entry.name}`);
        for (const entry of notProvisioned) assert.ok(verbose.includes(entry.name), `${entry.type} ${entry.name}`);
        for (const warning of warnings) assert.ok(verbose.includes(warning));
        // A string as it is, data (the startRequest output) as JSON.
        for (const [name, value] of Object.entries(booted.cloud.outputs)) assert.ok(verbose.includes(`  ${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`), name);
        for (const url of Object.keys(booted.cloud.routes)) assert.ok(verbose.includes(`  ${url}: `), url);
        assert.ok(curlLines(verbose).length > 3, "more requests than by default");
    });

    it("GET /_local serves the same lists, for the console", async () => {
        const { status, body } = await booted.client.get(`${booted.cloud.url}/_local`);
        assert.equal(status, 200);
        const { provisioned, notProvisioned, warnings } = booted.cloud.resources;
        assert.deepEqual([body.provisioned, body.notProvisioned, body.warnings], [provisioned, notProvisioned, warnings]);
    });

    it("writes query parameters in sorted order, which every curl signs as AWS checks them", () => {
        assert.equal(sortedQuery({ tripID: "trip-2", runType: "failPayment" }), "?runType=failPayment&tripID=trip-2");
        assert.equal(sortedQuery({ b: "x y", A: "1" }), "?A=1&b=x%20y", "code-point order, as SigV4 sorts: upper case first");
        assert.equal(sortedQuery({}), "");
    });

    it("prints requests that work when pasted into a shell, with this machine's curl", async function () {
        if (!hasMachineCurl()) {
            console.log(`      skipped: no ${MACHINE_CURL} on this machine to paste the requests into`);
            this.skip();
        }
        const [start, failing, status] = curlLines(text);
        // Trip ids are the banner's own; no other test of the shared cloud uses them.
        assert.match(start, /# books a trip/);
        const started = JSON.parse(await paste(start));
        assert.equal(started.id, "trip-1", JSON.stringify(started));
        assert.match(started.executionArn, /:execution:.*:trip-1$/);

        assert.match(failing, /\?runType=failPayment&tripID=trip-2'.*# the payment fails: the saga rolls back/);
        const failed = JSON.parse(await paste(failing));
        assert.deepEqual([failed.id, failed.runType], ["trip-2", "failPayment"], JSON.stringify(failed));

        await booted.cloud.idle();
        assert.match(status, /trips\/trip-2'.*# trip-2's outcome and records/);
        const report = JSON.parse(await paste(status));
        assert.equal(report.outcome, "rolled_back", JSON.stringify(report));
        assert.deepEqual(
            report.records.map((r: { type: string; transaction_status: string }) => `${r.type} ${r.transaction_status}`).sort(),
            ["Flight cancelled", "Hotel cancelled", "Payment cancelled"],
        );
        // And trip-1, the first request's saga, succeeded.
        assert.equal((await booted.client.status("trip-1")).body.outcome, "succeeded");
    });
});
