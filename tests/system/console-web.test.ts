// The console (`npm start`'s page at /_console/) on a local cloud running the travel stack, with
// sagas of each outcome: what the cloud serves for it, what it reads from the cloud's APIs, and
// the page itself in headless Chromium (Debian's `chromium`, driven by playwright-core). Without
// Chromium the browser tests are skipped, saying so; SAGA_REQUIRE_BROWSER=1 (CI) fails them instead.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { DEFAULT_DEFINITION_OPTIONS } from "../../components/model/definition";
import { RUN_TYPES } from "../../handlers/travel/trip";
import { bootCloud, Booted, PROJECT_ROOT } from "../../local/client";
import { ConsoleApi } from "../../local/console-web/api";
import { HistoryEvent, visitsOf } from "../../local/console-web/execution";
import { discoverStartForm, programApiOf } from "../../local/console-web/program";
import { chromiumFor, findChromium, launchChromium } from "../support/chromium";
import { until } from "../support/until";

/** The states a failed payment's rollback enters, as the README draws it. */
const ROLLED_BACK_PATH = ["Reserve Hotel", "Reserve Flight", "Take Payment", "Refund Payment", "Cancel Flight", "Cancel Hotel", "Rolled Back"];
/**
 * An execution input the start route never builds: without the saga id every action refuses it
 * (InvalidInput), so its first compensation fails past its retries: compensation_failed. With
 * retries 150 ms apart it runs for about half a second.
 */
const BROKEN_INPUT = JSON.stringify({ run_type: "none" });
const RETRY_MS = 150;
const ARTIFACTS = path.join(PROJECT_ROOT, "test-artifacts");
const newId = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

describe("the console (npm start's page at /_console/)", function () {
    let booted: Booted;
    let machineArn: string;
    const chromium = findChromium();
    let browser: Browser | undefined;
    const sagas = { succeeded: newId("ok"), rolledBack: newId("rb"), compensationFailed: newId("cf"), aborted: newId("ab") };

    before(async () => {
        // One cloud and one browser for every test here, started side by side.
        const launched = "path" in chromium ? launchChromium(chromium) : undefined;
        launched?.catch(() => undefined);
        // The broken sagas' repairs fail as well (their input names no trip): a 60-second horizon
        // (6 retries) sends them to the needs-attention queue soon.
        booted = await bootCloud({ retryIntervalMs: RETRY_MS, config: { "saga:repairHorizonSeconds": "60" } });
        machineArn = String(booted.cloud.outputs.stateMachineArn);
        const { client } = booted;
        assert.equal((await client.start({ tripID: sagas.succeeded })).status, 202);
        assert.equal((await client.start({ tripID: sagas.rolledBack, runType: "failPayment" })).status, 202);
        await client.stepFunctions("StartExecution", { stateMachineArn: machineArn, name: sagas.compensationFailed, input: BROKEN_INPUT });
        const aborted = await client.stepFunctions("StartExecution", { stateMachineArn: machineArn, name: sagas.aborted, input: BROKEN_INPUT });
        assert.equal((await client.stepFunctions("StopExecution", { executionArn: aborted.body.executionArn })).status, 200);
        browser = await launched;
        // The four executions end within a second or so. The broken two's repairs (which fail too,
        // then write to the needs-attention queue) run on beside the first tests: the test that
        // reads those queues waits for them.
        const running = async () =>
            ((await client.stepFunctions("ListExecutions", { stateMachineArn: machineArn })).body.executions as { status: string }[]).some((e) => e.status === "RUNNING");
        while (await running()) await new Promise((resolve) => setTimeout(resolve, 25));
    });
    after(async () => {
        await browser?.close();
        await booted?.cloud.stop();
    });

    describe("served by the local cloud", () => {
        it("redirects a browser's GET / to /_console/, and serves the page, its style and its script with a policy that allows nothing else", async () => {
            const root = await fetch(`${booted.cloud.url}/`, { redirect: "manual" });
            assert.deepEqual([root.status, root.headers.get("location")], [302, "/_console/"]);
            for (const [file, type] of [["", "text/html"], ["console.css", "text/css"], ["console.js", "text/javascript"]]) {
                const response = await fetch(`${booted.cloud.url}/_console/${file}`);
                assert.equal(response.status, 200, file);
                assert.match(String(response.headers.get("content-type")), new RegExp(`^${type}`));
                assert.match(String(response.headers.get("content-security-policy")), /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
                assert.ok((await response.text()).length > 500, `${file} has content`);
            }
            assert.equal((await fetch(`${booted.cloud.url}/_console/secrets.json`)).status, 404);
            assert.equal((await fetch(`${booted.cloud.url}/_console/`, { method: "POST" })).status, 405);
            // Only GET / is the console's: the API Gateway stand-in still refuses other methods there, as AWS does.
            assert.equal((await fetch(`${booted.cloud.url}/`, { method: "POST" })).status, 403);
        });

        it("learns the start request's parameter and run types from the API's own answers", async () => {
            const api = new ConsoleApi(booted.cloud.url);
            const program = programApiOf(await api.overview());
            assert.deepEqual(program, { apiPath: "/v1/", statusPath: "/v1/trips/{tripId}" });
            assert.deepEqual(await discoverStartForm(api, program!), { idParameter: "tripID", runTypes: RUN_TYPES });
        });

        it("reads the path of a rolled-back saga from its execution history", async () => {
            const api = new ConsoleApi(booted.cloud.url);
            const executions = await api.executions(machineArn, 100);
            const execution = executions.find((e) => e.name === sagas.rolledBack)!;
            const visits = visitsOf(await api.history<HistoryEvent>(execution.executionArn));
            assert.deepEqual(visits.map((v) => v.name), ROLLED_BACK_PATH);
            assert.deepEqual(visits.map((v) => v.result), ["succeeded", "succeeded", "caught", "succeeded", "succeeded", "succeeded", "failed"]);
            assert.equal(visits[2].attempts.at(-1)?.error, "PaymentFailed");
        });
    });

    describe("in Chromium", function () {
        let page: Page;
        const requested: string[] = [];
        const pageErrors: string[] = [];

        const row = (name: string) => page.locator(`#execution-list li[data-name="${name}"]`);
        const outcomeOf = (name: string) => row(name).locator(".outcome").innerText();
        const select = async (name: string) => {
            await row(name).locator("a").click();
            await until(`the details of ${name}`, async () => (await page.locator("#execution-heading").innerText()) === `Execution ${name}` && (await page.locator("#timeline tbody tr").count()) > 0);
        };
        const shoot = (file: string) => page.screenshot({ path: path.join(ARTIFACTS, file) });

        before(async function () {
            if (!chromiumFor(this, chromium, "the console's browser tests")) return;
            mkdirSync(ARTIFACTS, { recursive: true });
            page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
            // A locator waits for what it asks for: fail soon instead of at mocha's timeout.
            page.setDefaultTimeout(3000);
            page.on("request", (request) => requested.push(request.url()));
            page.on("pageerror", (error) => pageErrors.push(error.message));
            await page.goto(`${booted.cloud.url}/`);
            await page.waitForSelector("body[data-ready]");
        });
        afterEach(async function () {
            if (this.currentTest?.state === "failed" && page) await shoot(`console-failed-${this.currentTest.title.replace(/\W+/g, "-").slice(0, 60)}.png`);
        });

        it("opens at / and draws every state of the definition, coloured by its part in the saga", async () => {
            const machine = machineArn.split(":").at(-1)!;
            assert.equal(page.url(), `${booted.cloud.url}/_console/#/${machine}`);
            const { body } = await booted.client.stepFunctions("DescribeStateMachine", { stateMachineArn: machineArn });
            const states = Object.keys(JSON.parse(body.definition).States);
            const drawn = await page.locator("#graph g.node").evaluateAll((nodes) =>
                nodes.map((node) => ({ name: node.getAttribute("data-state"), kind: node.getAttribute("data-kind"), size: node.getBoundingClientRect().width })),
            );
            assert.deepEqual(drawn.map((n) => n.name).sort(), [...states].sort());
            assert.ok(drawn.every((n) => n.size > 30), "every state is drawn with its label");
            const kind = (name: string) => drawn.find((n) => n.name === name)?.kind;
            assert.deepEqual(
                ["Reserve Hotel", "Confirm Flight", "Refund Payment", "Cancel Hotel (after a failed compensation)", "Record Hotel compensation failure", "Rolled Back"].map(kind),
                ["forward", "forward", "compensation", "compensation", "record", "end"],
            );
        });

        it("lists each saga, newest first, with its outcome, start time and duration", async () => {
            const names = await page.locator("#execution-list li").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
            const listed = (await booted.client.stepFunctions("ListExecutions", { stateMachineArn: machineArn })).body.executions as { name: string; startDate: number }[];
            assert.deepEqual(names, listed.map((e) => e.name));
            assert.ok(listed.every((e, i) => i === 0 || e.startDate <= listed[i - 1].startDate), "newest first");
            assert.deepEqual(new Set(names), new Set(Object.values(sagas)));
            const outcomes = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await outcomeOf(name!)])));
            assert.deepEqual(outcomes, {
                [sagas.succeeded]: "succeeded",
                [sagas.rolledBack]: "rolled back",
                [sagas.compensationFailed]: "compensation failed",
                [sagas.aborted]: "aborted",
            });
            assert.match(await row(sagas.rolledBack).locator(".started").innerText(), /^\d\d:\d\d:\d\d$/);
            assert.match(await row(sagas.rolledBack).locator(".took").innerText(), /^\d+ ms$|^\d+\.\d+ s$/);
        });

        it("filters the list by outcome", async () => {
            await page.selectOption("#outcome-filter", "rolled_back");
            assert.deepEqual(await page.locator("#execution-list li").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name"))), [sagas.rolledBack]);
            assert.equal(await page.locator("#outcome-filter option:checked").innerText(), "rolled back (1)");
            await page.selectOption("#outcome-filter", "");
            assert.equal(await page.locator("#execution-list li").count(), 4);
        });

        it("follows a saga live: running, then compensation failed, without a reload", async () => {
            const name = newId("live");
            await booted.client.stepFunctions("StartExecution", { stateMachineArn: machineArn, name, input: BROKEN_INPUT });
            await page.click("#refresh");
            await until(`${name} listed as running`, async () => (await row(name).count()) === 1 && (await outcomeOf(name)) === "running", 800);
            await until(`${name} to end as compensation failed`, async () => (await outcomeOf(name)) === "compensation failed", 5000);
        });

        it("selecting a rolled-back saga marks exactly the states it entered, in order, with its timeline and records", async () => {
            await select(sagas.rolledBack);
            await until("the path on the graph", async () => (await page.locator("#graph g.node.visited").count()) === ROLLED_BACK_PATH.length);
            const visited = await page.locator("#graph g.node.visited").evaluateAll((nodes) =>
                nodes.map((node) => ({ name: node.getAttribute("data-state")!, order: Number(node.getAttribute("data-order")), classes: node.getAttribute("class")! })),
            );
            visited.sort((a, b) => a.order - b.order);
            assert.deepEqual(visited.map((v) => v.name), ROLLED_BACK_PATH);
            assert.deepEqual(visited.map((v) => v.order), ROLLED_BACK_PATH.map((_, i) => i + 1));
            const results = visited.map((v) => /result-(\w+)/.exec(v.classes)?.[1]);
            assert.deepEqual(results, ["succeeded", "succeeded", "caught", "succeeded", "succeeded", "succeeded", "failed"]);
            const followed = await page.locator("#graph path.edge.on-path").evaluateAll((edges) => edges.map((e) => `${e.getAttribute("data-from")} -> ${e.getAttribute("data-to")}`));
            assert.deepEqual(new Set(followed), new Set(ROLLED_BACK_PATH.slice(1).map((to, i) => `${ROLLED_BACK_PATH[i]} -> ${to}`)));

            const timeline = await page.locator("#timeline tbody tr[data-state]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state")));
            assert.deepEqual(timeline, ROLLED_BACK_PATH);
            assert.match(await page.locator("#timeline tbody tr.error-row").innerText(), /PaymentFailed: Failure injected on purpose by run type "failPayment"\./);

            const report = await booted.client.outcome(sagas.rolledBack);
            const records = await page.locator("#records tbody tr").evaluateAll((rows) => rows.map((r) => ({ type: r.getAttribute("data-type"), transaction_status: r.getAttribute("data-status") })));
            assert.deepEqual(records, report.records.map(({ type, transaction_status }) => ({ type, transaction_status })));
            assert.equal(records.length, 3);
            assert.match(await page.locator("#failures").innerText(), /^None/);
            await shoot("console-rolled-back.png");
        });

        it("shows a failed compensation's retries, and its record on the failure queue", async () => {
            await booted.cloud.idle();
            await select(sagas.compensationFailed);
            const retries = DEFAULT_DEFINITION_OPTIONS.compensationRetry.maxAttempts;
            assert.match(String(await page.locator('#graph g.node[data-state="Cancel Hotel"]').getAttribute("class")), /\bretried\b.*\bresult-caught\b|\bresult-caught\b.*\bretried\b/);
            assert.match(await page.locator('#timeline tr[data-state="Cancel Hotel"]').innerText(), new RegExp(`failed, caught\\s+after ${retries} retries`));
            const stepsOn = async (output: string) => {
                const { body } = await booted.client.get(`${booted.cloud.url}/_local/queues/${String(booted.cloud.outputs[output]).split("/").pop()}`);
                return (body.messages as { json: Record<string, string> }[]).filter(({ json }) => json.sagaId === sagas.compensationFailed).map(({ json }) => json.step);
            };
            assert.deepEqual(await stepsOn("failureQueueUrl"), ["Hotel"]);
            // Its messages on every queue: the failure record, then what its repair sent for a person.
            assert.deepEqual(await page.locator("#failures tbody tr td:nth-child(2)").allInnerTexts(), ["Hotel", ...(await stepsOn("needsAttentionQueueUrl"))]);
            await shoot("console-compensation-failed.png");
        });

        it("moves through the executions with the keyboard", async () => {
            await page.locator("#execution-list li a").first().focus();
            await page.keyboard.press("ArrowDown");
            const second = await page.locator("#execution-list li").nth(1).getAttribute("data-name");
            assert.equal(await page.locator("#execution-list li:has(a:focus)").getAttribute("data-name"), second);
            await page.keyboard.press("Enter");
            await until(`the details of ${second}`, async () => (await page.locator("#execution-heading").innerText()) === `Execution ${second}`);
            assert.equal(await page.locator(`#execution-list li[data-name="${second}"] a`).getAttribute("aria-current"), "true");
        });

        it("starts a saga from the page: it appears, selected, and rolls back as asked", async () => {
            assert.deepEqual(await page.locator("#start-run-type option").evaluateAll((options) => options.map((o) => o.getAttribute("value"))), ["", ...RUN_TYPES]);
            const name = newId("page");
            await page.fill("#start-id", name);
            await page.selectOption("#start-run-type", "failHotelReservation");
            await page.click("#start-form button[type=submit]");
            await until("the start answer", async () => (await page.locator("#start-result.ok").count()) === 1);
            assert.match(await page.locator("#start-result").innerText(), new RegExp(`: 202, started ${name}\\.$`));
            await until(`${name} to roll back in the list`, async () => (await row(name).count()) === 1 && (await outcomeOf(name)) === "rolled back");
            await until(`${name} selected`, async () => (await page.locator("#execution-heading").innerText()) === `Execution ${name}`);
            assert.equal((await booted.client.outcome(name)).outcome, "rolled_back");
        });

        it("shows the API's own message for a bad trip id, and starts nothing", async () => {
            const listed = await page.locator("#execution-list li").count();
            const api = await booted.client.start({ tripID: "bad id!" });
            assert.equal(api.status, 400);
            await page.fill("#start-id", "bad id!");
            await page.selectOption("#start-run-type", "");
            await page.click("#start-form button[type=submit]");
            await until("the refusal", async () => (await page.locator("#start-result.refused").count()) === 1);
            assert.equal(await page.locator("#start-result .api-message").innerText(), api.body.message);
            assert.match(await page.locator("#start-result").innerText(), /^GET \/v1\/\?tripID=bad\+id%21: 400/);
            await page.click("#refresh");
            assert.equal(await page.locator("#execution-list li").count(), listed);
            await shoot("console-bad-trip-id.png");
        });

        it("keeps its text at a contrast of 4.5:1 or more", async () => {
            // Measured in the page (these functions run there): WCAG's relative luminance of the
            // text's colour and of what is behind it (a state's shape for the graph's labels).
            const measure = (selector: string) =>
                page.locator(selector).evaluateAll((elements, selector) => {
                    const styleOf = (element: (typeof elements)[number]) => element.ownerDocument.defaultView!.getComputedStyle(element);
                    const isSvg = (element: (typeof elements)[number]) => element.namespaceURI === "http://www.w3.org/2000/svg";
                    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
                    const luminance = ([r, g, b]: number[]) => {
                        const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
                        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
                    };
                    const white = [255, 255, 255];
                    const background = (element: (typeof elements)[number]): number[] => {
                        if (isSvg(element)) {
                            // A label's shape: the state's rect, or the circle of its order badge, over the white panel.
                            const shape = element.parentElement?.querySelector("rect, circle");
                            if (!shape) return white;
                            const [fill, opacity] = [rgb(styleOf(shape).fill), Number(styleOf(shape).fillOpacity)];
                            return fill.slice(0, 3).map((c, i) => c * opacity + white[i] * (1 - opacity));
                        }
                        for (let e: typeof element | null = element; e; e = e.parentElement) {
                            const color = rgb(styleOf(e).backgroundColor);
                            if (color.length === 3 || color[3] > 0) return color.slice(0, 3);
                        }
                        return white;
                    };
                    return elements
                        .filter((element) => (element.textContent ?? "").trim() !== "" && element.getClientRects().length > 0)
                        .slice(0, 12)
                        .map((element) => {
                            const text = rgb(isSvg(element) ? styleOf(element).fill : styleOf(element).color);
                            const [a, b] = [luminance(text), luminance(background(element))].sort((x, y) => y - x);
                            return { selector, text: (element.textContent ?? "").trim().slice(0, 30), ratio: (a + 0.05) / (b + 0.05) };
                        });
                }, selector);
            const selectors = [".top h1", ".muted", "button", "label", ".outcome", ".executions .started", "#execution-list a[aria-current] .started", "th", "td", ".error", ".result"];
            const graph = [".legend li", ".node text", ".node text.qualifier", ".node.visited .badge text", "#start-result"];
            const ratios = (await Promise.all([...selectors, ...graph].map(measure))).flat();
            assert.ok(ratios.length > 40, "enough text was measured");
            assert.deepEqual(ratios.filter((r) => r.ratio < 4.5), []);
        });

        it("fits a narrow window without sideways scrolling of the page", async () => {
            await page.setViewportSize({ width: 390, height: 844 });
            try {
                const [scrollWidth, innerWidth] = await page.locator("html").evaluate((html) => [html.scrollWidth, html.ownerDocument.defaultView!.innerWidth]);
                assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth} px wide in a ${innerWidth} px window`);
                assert.ok(await page.locator("#execution-list li").first().isVisible());
                await shoot("console-narrow.png");
            } finally {
                await page.setViewportSize({ width: 1280, height: 800 });
            }
        });

        it("asked for nothing but the local cloud, and threw no error", () => {
            assert.ok(requested.length > 10);
            assert.deepEqual(requested.filter((url) => !url.startsWith(`${booted.cloud.url}/`)), []);
            assert.deepEqual(pageErrors, []);
        });
    });
});
