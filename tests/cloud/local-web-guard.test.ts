// What keeps a web page from driving the local cloud (issue 22, item 1), seen from a plain HTTP
// client: the Host names it answers to, how the local endpoints take changes, and the nosniff
// header on everything the local endpoints and the console answer. The attacks themselves, from
// real pages in Chromium, are in tests/system/browser-attacks.test.ts.
import "../support/aws-env";
import assert from "node:assert/strict";
import type { Booted } from "../../local/client";
import { rawRequest, sendRaw } from "../support/raw-http";
import { sharedCloud } from "../support/shared-cloud";

describe("the local cloud and the web pages beside it (Host, Origin, nosniff)", function () {
    let booted: Booted;
    let port: number;
    let faultsUrl: string;
    before(async () => {
        ({ booted, port } = await sharedCloud());
        faultsUrl = `${booted.cloud.url}/_local/faults`;
    });
    const rates = async () => (await rawRequest(faultsUrl, { method: "GET" })).text;

    it("serves requests addressed to 127.0.0.1, localhost or [::1] with its port, and refuses any other Host with 403 naming them", async () => {
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LocalHost:${port}`]) {
            const answer = await rawRequest(`${booted.cloud.url}/_local`, { method: "GET", headers: { host } });
            assert.equal(answer.status, 200, host);
        }
        for (const host of [`rebind.example:${port}`, "127.0.0.1", `127.0.0.1:${port + 1}`, `localhost.:${port}`, `127.0.0.1:${port}.evil.example`]) {
            const answer = await rawRequest(`${booted.cloud.url}/_console/console.js`, { method: "GET", headers: { host } });
            assert.equal(answer.status, 403, host);
            assert.equal(answer.headers["x-content-type-options"], "nosniff");
            assert.equal(
                JSON.parse(answer.text).message,
                `The local cloud answers requests addressed to it as 127.0.0.1:${port}, localhost:${port}, [::1]:${port}, not to ${JSON.stringify(host)}: ` +
                    "a web page whose name points at 127.0.0.1 (DNS rebinding) must not reach it. Use one of those in the endpoint URL.",
            );
        }
        // The AWS services and the API are refused alike: a rebinding page could call them too.
        const api = await rawRequest(`${booted.client.apiUrl}?tripID=rebound`, { method: "GET", headers: { host: `rebind.example:${port}` } });
        assert.equal(api.status, 403);
        // HTTP/1.0 may leave the Host out: no name, no answer.
        assert.match(await sendRaw(port, "GET /_local HTTP/1.0\r\n\r\n", 2000), /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*without a Host header/);
    });

    it("takes changes to /_local by their documented method only, as JSON, from no origin or its own", async () => {
        const before = await rates();
        const set = (init: { method?: string; headers?: Record<string, string>; body?: string }) =>
            rawRequest(faultsUrl, { method: "PUT", body: JSON.stringify({ compensationFailureRate: 1 }), ...init });
        // What a page can send without a preflight: a form's or text/plain POST.
        const asPage = { origin: "http://attacker.example" };
        for (const [init, status] of [
            [{ method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", ...asPage } }, 403],
            [{ method: "POST", headers: { "content-type": "text/plain" } }, 415],
            [{ method: "POST", headers: { "content-type": "application/json" } }, 405],
            [{ headers: { "content-type": "application/x-www-form-urlencoded" } }, 415],
            [{ headers: {} }, 415],
            [{ headers: { "content-type": "application/json", ...asPage } }, 403],
            [{ headers: { "content-type": "application/json", origin: "null" } }, 403],
            [{ headers: { "content-type": "application/json", origin: `http://localhost:${port + 1}` } }, 403],
        ] as const) {
            const answer = await set(init);
            assert.equal(answer.status, status, JSON.stringify(init));
            assert.equal(answer.headers["x-content-type-options"], "nosniff");
        }
        assert.equal(await rates(), before, "no refused request changed the faults");
        const deleteFromPage = await rawRequest(`${booted.cloud.url}/_local/metrics`, { method: "DELETE", headers: asPage });
        assert.equal(deleteFromPage.status, 403);

        // curl (no Origin) and the console's own origin may; the rate is put back as it was.
        const original = JSON.parse(before).compensationFailureRate as Record<string, number>;
        const rate = Object.values(original)[0] ?? 0;
        const allowed: Record<string, string>[] = [{ "content-type": "application/json" }, { "content-type": "application/json; charset=utf-8", origin: `http://127.0.0.1:${port}` }];
        for (const headers of allowed) {
            const answer = await set({ headers, body: JSON.stringify({ compensationFailureRate: rate }) });
            assert.equal(answer.status, 200, answer.text);
        }
        assert.equal(await rates(), before);
    });

    it("says X-Content-Type-Options: nosniff on every answer of /_local and /_console: found, not found, refused", async () => {
        for (const [path, method, status] of [
            ["/_local", "GET", 200],
            ["/_local/queues", "GET", 200],
            ["/_local/nothing", "GET", 404],
            ["/_local/faults", "DELETE", 405],
            ["/_console/", "GET", 200],
            ["/_console/console.js", "GET", 200],
            ["/_console/nothing", "GET", 404],
            ["/_console/", "POST", 405],
            ["/", "GET", 302],
        ] as const) {
            const answer = await rawRequest(`${booted.cloud.url}${path}`, { method });
            assert.deepEqual([answer.status, answer.headers["x-content-type-options"]], [status, "nosniff"], `${method} ${path}`);
        }
    });
});
