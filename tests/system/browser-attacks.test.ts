// The attacks of a web page open beside the local cloud (issue 22, item 1), each from a real page
// in headless Chromium: a page on another origin sends what a browser sends without asking (a
// text/plain POST, a form), and a page whose DNS name is rebound to 127.0.0.1 reads and writes as
// if it were the cloud's own origin. Neither changes or reads anything.
import "../support/aws-env";
import assert from "node:assert/strict";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import type { Booted } from "../../local/client";
import { chromiumFor, findChromium, launchChromium } from "../support/chromium";
import { sharedCloud } from "../support/shared-cloud";

/** A name the browser resolves to 127.0.0.1, as a rebinding attacker's DNS answers it once the page is loaded. */
const REBOUND = "rebind.test";
const ATTACK = JSON.stringify({ compensationFailureRate: 1 });

/** The attacker's page on its own origin: every request a page may send to another origin without a preflight, and one with. */
function crossOriginPage(cloud: string): string {
    return `<!doctype html><body>
<iframe name="sink"></iframe>
<form id="form" method="POST" action="${cloud}/_local/faults" enctype="text/plain" target="sink"><input name='{"compensationFailureRate":1,"x":"' value='"}'></form>
<script>
(async () => {
    const sent = [];
    const attempt = async (what, request) => { try { await request(); sent.push(what + ": sent"); } catch (e) { sent.push(what + ": " + e.name); } };
    await attempt("no-cors POST", () => fetch("${cloud}/_local/faults", { method: "POST", mode: "no-cors", body: ${JSON.stringify(ATTACK)} }));
    await attempt("beacon", async () => { if (!navigator.sendBeacon("${cloud}/_local/faults", ${JSON.stringify(ATTACK)})) throw new Error("refused"); });
    await attempt("cors PUT", () => fetch("${cloud}/_local/faults", { method: "PUT", headers: { "content-type": "application/json" }, body: ${JSON.stringify(ATTACK)} }));
    await attempt("cors DELETE", () => fetch("${cloud}/_local/metrics", { method: "DELETE" }));
    document.getElementById("form").submit();
    await new Promise((resolve) => document.querySelector("iframe").addEventListener("load", resolve, { once: true }));
    document.title = "done: " + sent.join("; ");
})();
</script></body>`;
}

/** The attacker's page once its name points at 127.0.0.1: same origin as the cloud, to the browser. */
const REBOUND_PAGE = `<!doctype html><body><script>
window.attack = async () => {
    const read = async (path, init) => { const response = await fetch(path, init); return { path, status: response.status, text: await response.text() }; };
    return Promise.all([
        read("/_console/console.js"),
        read("/_local"),
        read("/_local/faults", { method: "PUT", headers: { "content-type": "application/json" }, body: ${JSON.stringify(ATTACK)} }),
    ]);
};
</script></body>`;

describe("a web page beside the local cloud (Chromium)", function () {
    const chromium = findChromium();
    let booted: Booted;
    let port: number;
    let browser: Browser;
    let attacker: Server;
    let faultsBefore: string;
    const faults = async () => (await fetch(`${booted.cloud.url}/_local/faults`)).text();

    before(async function () {
        if (!chromiumFor(this, chromium, "the browser attack tests")) return;
        ({ booted, port } = await sharedCloud());
        // Chromium's own Local Network Access checks stop some pages from reaching 127.0.0.1 (not
        // every browser has them, nor every Chromium enforces them): off, so the cloud's own defence is what is tried.
        const localNetworkChecks = "BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks";
        browser = await launchChromium(chromium, [`--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`, `--disable-features=${localNetworkChecks}`]);
        attacker = createServer((_request, response) => {
            response.writeHead(200, { "content-type": "text/html" });
            response.end(crossOriginPage(booted.cloud.url));
        });
        await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
        faultsBefore = await faults();
    });
    after(async () => {
        await browser?.close();
        await new Promise((resolve) => (attacker ? attacker.close(resolve) : resolve(undefined)));
    });

    it("changes nothing from a page on another origin: its text/plain POST, beacon and form are refused, its JSON PUT and DELETE never pass the preflight", async () => {
        const linesBefore = booted.lines.length;
        const page = await browser.newPage();
        try {
            await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
            await page.waitForFunction('document.title.startsWith("done")', undefined, { timeout: 20_000 });
            const sent = await page.title();
            // The simple requests go out (the browser cannot stop them); the others are stopped by CORS.
            assert.match(sent, /no-cors POST: sent; beacon: sent; cors PUT: TypeError; cors DELETE: TypeError/);
        } finally {
            await page.close();
        }
        assert.equal(await faults(), faultsBefore, "the faults are as they were");
        assert.ok(!booted.lines.slice(linesBefore).some((line) => line.startsWith("Faults:")), "no fault was set");
    });

    it("answers a page whose DNS name is rebound to 127.0.0.1 with 403: it reads neither the console's script (with the operator's keys) nor /_local, and writes nothing", async () => {
        const page = await browser.newPage();
        try {
            // The attacker's server serves the page under its name; then its DNS points the name at 127.0.0.1.
            await page.route(`http://${REBOUND}:${port}/attack.html`, (route) => route.fulfill({ status: 200, contentType: "text/html", body: REBOUND_PAGE }));
            await page.goto(`http://${REBOUND}:${port}/attack.html`);
            const results = (await page.evaluate("window.attack()")) as { path: string; status: number; text: string }[];
            for (const { path, status, text } of results) {
                assert.equal(status, 403, path);
                // The refusal, and nothing of what was asked for.
                const { message, ...rest } = JSON.parse(text) as { message: string };
                assert.match(message, new RegExp(`^The local cloud answers requests addressed to it as 127\\.0\\.0\\.1:${port}, localhost:${port}, \\[::1\\]:${port}, not to "${REBOUND}:${port}"`));
                assert.deepEqual(rest, {}, path);
            }
        } finally {
            await page.close();
        }
        assert.equal(await faults(), faultsBefore);
    });
});
