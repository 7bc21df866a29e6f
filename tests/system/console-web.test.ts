// The console (`npm start`'s page at /_console/) on a local cloud running the travel stack, with
// sagas of each outcome: what the cloud serves for it, what it reads from the cloud's APIs, and
// the page itself in headless Chromium (Debian's `chromium`, driven by playwright-core). Without
// Chromium the browser tests are skipped, saying so; SAGA_REQUIRE_BROWSER=1 (CI) fails them instead.
import "../support/aws-env";
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { DEFAULT_DEFINITION_OPTIONS } from "../../components/model/definition";
import { RUN_TYPES } from "../../handlers/travel/trip";
import { bootCloud, Booted, PROJECT_ROOT } from "../../local/client";
import { ConsoleApi } from "../../local/console-web/api";
import { HistoryEvent, visitsOf } from "../../local/console-web/execution";
import { programApiOf, startFormOf } from "../../local/console-web/program";
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

        it("learns the start form from the program's outputs (failure injection on in this stack), asking the API nothing", async () => {
            const overview = await new ConsoleApi(booted.cloud.url).overview();
            assert.deepEqual(programApiOf(overview), { apiPath: "/v1/", statusPath: "/v1/trips/{tripId}" });
            assert.deepEqual(startFormOf(overview), { idParameter: "tripID", runTypes: RUN_TYPES, described: true });
        });

        it("keeps each invocation's own log lines, by request id, for the function's attempt in the history", async () => {
            const api = new ConsoleApi(booted.cloud.url);
            const execution = (await api.executions(machineArn, 100)).find((e) => e.name === sagas.rolledBack)!;
            const payment = visitsOf(await api.history<HistoryEvent>(execution.executionArn)).find((visit) => visit.name === "Take Payment")!;
            const [attempt] = payment.attempts;
            assert.match(attempt.functionName!, /^booking-payment-reserve/);
            const invocations = await api.invocations(attempt.functionName!, attempt.startedAt - 1000, attempt.endedAt! + 1000);
            const digest = createHash("sha256").update(attempt.event!).digest("hex");
            const mine = invocations!.filter((invocation) => invocation.eventSha256 === digest);
            assert.equal(mine.length, 1, "one invocation with this attempt's event");
            assert.equal(mine[0].error, "PaymentFailed");
            assert.match(mine[0].lines.map((line) => line.text).join("\n"), /"message":"Injecting a failure".*"runType":"failPayment"/);
            assert.equal((await fetch(`${booted.cloud.url}/_local/functions/no-such-function/invocations`)).status, 404);
            assert.equal((await fetch(`${booted.cloud.url}/_local/functions/${attempt.functionName}/invocations?since=yesterday`)).status, 400);
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
        /** Every answer of 400 or more the page received: none but those a test asks for on purpose. */
        const refused: string[] = [];
        const pageErrors: string[] = [];
        /** The executions the page asked Step Functions to stop, by name. */
        const stopRequests: string[] = [];
        let machine: string;
        let repairMachine: string;

        const row = (name: string) => page.locator(`#execution-list li[data-name="${name}"]`);
        const outcomeOf = (name: string) => row(name).locator(".outcome").innerText();
        const listed = () => page.locator("#execution-list li").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
        const shown = async (name: string) => (await page.locator("#execution-heading").innerText()) === `Execution ${name}` && (await page.locator("#timeline tbody tr").count()) > 0;
        const select = async (name: string) => {
            await row(name).locator("a").click();
            await until(`the details of ${name}`, () => shown(name));
        };
        const open = async (hash: string, name: string) => {
            await page.evaluate((hash) => ((globalThis as unknown as { location: { hash: string } }).location.hash = hash), hash);
            await until(`the details of ${name}`, () => shown(name));
        };
        const shoot = (file: string) => page.screenshot({ path: path.join(ARTIFACTS, file) });
        /** axe-core's serious and critical findings on the page as it is. */
        const accessibilityProblems = async () => {
            await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
            const found = await page.evaluate(async () => {
                const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
                const { violations } = await axe.run({ resultTypes: ["violations"] });
                return violations.map((v) => ({ id: v.id, impact: v.impact, at: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
            });
            return found.filter((v) => v.impact === "serious" || v.impact === "critical");
        };

        before(async function () {
            if (!chromiumFor(this, chromium, "the console's browser tests")) return;
            mkdirSync(ARTIFACTS, { recursive: true });
            machine = machineArn.split(":").at(-1)!;
            repairMachine = String(booted.cloud.outputs.repairMachineArn).split(":").at(-1)!;
            const context = await browser!.newContext({ viewport: { width: 1280, height: 800 }, permissions: ["clipboard-read", "clipboard-write"] });
            page = await context.newPage();
            // A locator waits for what it asks for: fail soon instead of at mocha's timeout.
            page.setDefaultTimeout(3000);
            page.on("request", (request) => requested.push(request.url()));
            page.on("response", (response) => void (response.status() >= 400 && refused.push(`${response.status()} ${response.request().method()} ${response.url()}`)));
            page.on("pageerror", (error) => pageErrors.push(error.message));
            page.on("request", (request) => {
                if (request.headers()["x-amz-target"] === "AWSStepFunctions.StopExecution") stopRequests.push(String(JSON.parse(request.postData() ?? "{}").executionArn).split(":").at(-1)!);
            });
            await page.goto(`${booted.cloud.url}/`);
            // The first reading runs the status function's first invocations (cold starts).
            await page.waitForSelector("body[data-ready]", { timeout: 15_000 }).catch(async (error: Error) => {
                throw new Error(`${error.message}\nThe page says: ${await page.locator("#live").innerText()}; its errors: ${pageErrors.join("; ")}`);
            });
        });
        afterEach(async function () {
            if (this.currentTest?.state === "failed" && page) await shoot(`console-failed-${this.currentTest.title.replace(/\W+/g, "-").slice(0, 60)}.png`);
        });
        after(() => page?.context().close());

        it("opens at / and draws every state of the definition in lanes, coloured by its part in the saga", async () => {
            assert.equal(page.url(), `${booted.cloud.url}/_console/#/${machine}`);
            const { body } = await booted.client.stepFunctions("DescribeStateMachine", { stateMachineArn: machineArn });
            const states = Object.keys(JSON.parse(body.definition).States);
            const drawn = await page.locator("#graph .node").evaluateAll((nodes) =>
                nodes.map((node) => {
                    const box = node.getBoundingClientRect();
                    return { name: node.getAttribute("data-state"), kind: node.getAttribute("data-kind"), size: box.width, x: box.x + box.width / 2, y: box.y + box.height / 2 };
                }),
            );
            assert.deepEqual(drawn.map((n) => n.name).sort(), [...states].sort());
            assert.ok(drawn.every((n) => n.size > 30), "every state is drawn with its label");
            const at = (name: string) => drawn.find((n) => n.name === name)!;
            assert.deepEqual(
                ["Reserve Hotel", "Confirm Flight", "Refund Payment", "Cancel Hotel (after a failed compensation)", "Record Hotel compensation failure", "Rolled Back"].map((name) => at(name).kind),
                ["forward", "forward", "compensation", "compensation", "record", "end"],
            );
            // The forward steps down one lane; each compensation beside its reserve, in the next.
            assert.ok(["Reserve Flight", "Take Payment", "Confirm Hotel"].every((name) => Math.abs(at(name).x - at("Reserve Hotel").x) < 1));
            for (const [reserve, cancel] of [["Reserve Hotel", "Cancel Hotel"], ["Reserve Flight", "Cancel Flight"], ["Take Payment", "Refund Payment"]]) {
                assert.ok(Math.abs(at(reserve).y - at(cancel).y) < 1 && at(cancel).x > at(reserve).x, `${cancel} beside ${reserve}`);
            }
        });

        it("lists each saga newest first with its outcome as the status route reports it, its date and time, the time since, its duration", async () => {
            const names = await listed();
            const executions = (await booted.client.stepFunctions("ListExecutions", { stateMachineArn: machineArn })).body.executions as { name: string; startDate: number }[];
            assert.deepEqual(names, executions.map((e) => e.name));
            assert.ok(executions.every((e, i) => i === 0 || e.startDate <= executions[i - 1].startDate), "newest first");
            assert.deepEqual(new Set(names), new Set(Object.values(sagas)));
            // The repaired sagas' reports change as their repairs end: read both once they have.
            await booted.cloud.idle();
            const reported = async (name: string) => {
                const report = (await booted.client.status(name)).body;
                return report.outcome === "rolled_back" && report.repairedFrom !== null ? "rolled back late" : report.outcome.replace(/_/g, " ");
            };
            const expected = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await reported(name!)])));
            await until("the list to show every saga's report", async () => JSON.stringify(Object.fromEntries(await Promise.all(names.map(async (name) => [name, await outcomeOf(name!)])))) === JSON.stringify(expected));
            assert.deepEqual(expected, {
                [sagas.succeeded]: "succeeded",
                [sagas.rolledBack]: "rolled back",
                // Its execution failed its compensations; its repair failed too (its input names no trip).
                [sagas.compensationFailed]: "needs attention",
                [sagas.aborted]: "needs attention",
            });
            const started = await row(sagas.rolledBack).locator(".started").innerText();
            assert.match(started, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \((just now|\d+ s ago)\)$/);
            assert.match(await row(sagas.rolledBack).locator(".took").innerText(), /^\d+ ms$|^\d+\.\d+ s$/);
        });

        it("filters the list by outcome, and finds an execution by its id", async () => {
            await page.selectOption("#outcome-filter", "rolled_back");
            assert.deepEqual(await listed(), [sagas.rolledBack]);
            assert.equal(await page.locator("#outcome-filter option:checked").innerText(), "rolled back (1)");
            await page.selectOption("#outcome-filter", "needs_attention");
            assert.deepEqual(new Set(await listed()), new Set([sagas.compensationFailed, sagas.aborted]));
            await page.selectOption("#outcome-filter", "");
            await page.fill("#find", sagas.succeeded.slice(0, 6));
            await until("the list filtered by id", async () => JSON.stringify(await listed()) === JSON.stringify([sagas.succeeded]));
            // Enter: the execution of exactly that id.
            await page.fill("#find", sagas.succeeded);
            await page.press("#find", "Enter");
            await until(`the details of ${sagas.succeeded}`, () => shown(sagas.succeeded));
            // An id no execution has: said so, with the API's own lookup (its 400, the one asked for).
            const before = refused.length;
            await page.fill("#find", "no-such-saga");
            await page.press("#find", "Enter");
            await until("the miss", async () => (await page.locator("#list-note").innerText()) === `No execution named "no-such-saga" on ${machine}.`);
            await page.fill("#find", "");
            await until("the whole list", async () => (await listed()).length === 4);
            assert.deepEqual(refused.splice(before).map((answer) => answer.replace(booted.cloud.url, "")), ["400 POST /"]);
        });

        it("follows a saga live: running, then compensation failed, without a reload", async () => {
            const name = newId("live");
            await booted.client.stepFunctions("StartExecution", { stateMachineArn: machineArn, name, input: BROKEN_INPUT });
            await page.click("#refresh");
            await until(`${name} listed as running`, async () => (await row(name).count()) === 1 && (await outcomeOf(name)) === "running", 800);
            await until(`${name} to end as compensation failed (or its repair to take over)`, async () => ["compensation failed", "repairing", "needs attention"].includes(await outcomeOf(name)), 5000);
        });

        it("tells a rolled-back saga's story: its input, its path, a failed state opened from the graph with what went in and out", async () => {
            await select(sagas.rolledBack);
            await until("the path on the graph", async () => (await page.locator("#graph .node.visited").count()) === ROLLED_BACK_PATH.length);
            const visited = await page.locator("#graph .node.visited").evaluateAll((nodes) =>
                nodes.map((node) => ({ name: node.getAttribute("data-state")!, order: Number(node.getAttribute("data-order")), classes: node.getAttribute("class")! })),
            );
            visited.sort((a, b) => a.order - b.order);
            assert.deepEqual(visited.map((v) => v.name), ROLLED_BACK_PATH);
            assert.deepEqual(visited.map((v) => v.order), ROLLED_BACK_PATH.map((_, i) => i + 1));
            assert.deepEqual(visited.map((v) => /result-(\w+)/.exec(v.classes)?.[1]), ["succeeded", "succeeded", "caught", "succeeded", "succeeded", "succeeded", "failed"]);
            const followed = await page.locator("#graph path.edge.on-path").evaluateAll((edges) => edges.map((e) => `${e.getAttribute("data-from")} -> ${e.getAttribute("data-to")}`));
            assert.deepEqual(new Set(followed), new Set(ROLLED_BACK_PATH.slice(1).map((to, i) => `${ROLLED_BACK_PATH[i]} -> ${to}`)));

            // What went in: the execution's input, pretty-printed, as DescribeExecution gives it.
            const { body: described } = await booted.client.stepFunctions("DescribeExecution", { executionArn: `${machineArn.replace(":stateMachine:", ":execution:")}:${sagas.rolledBack}` });
            assert.equal(await page.locator('#execution-io .value[data-label="Execution input"] pre').innerText(), JSON.stringify(JSON.parse(described.input), null, 2));

            // A state opened from the graph: its input, output, and the attempt's error.
            await page.locator('#graph .node[data-state="Take Payment"]').click();
            await until("Take Payment opened", async () => (await page.locator("#state-details .state-view").getAttribute("data-state")) === "Take Payment");
            assert.equal(page.url(), `${booted.cloud.url}/_console/#/${machine}/${sagas.rolledBack}/3`);
            assert.match(await page.locator("#state-details .attempts").innerText(), /Attempt 1 .*: PaymentFailed: Failure injected on purpose by run type "failPayment"\./);
            // Beside it, the lines the payment function wrote while it answered that attempt.
            await until("the attempt's log", async () => (await page.locator("#state-details .attempts .log pre").count()) === 1);
            assert.match(await page.locator("#state-details .attempts .log pre").innerText(), /"message":"Injecting a failure"/);
            assert.equal(JSON.parse(await page.locator('#state-details .value[data-label="State input"] pre').innerText()).trip_id, sagas.rolledBack);
            assert.match(await page.locator('#state-details .value[data-label="State output"] summary').innerText(), /State output \d+ fields/);
            assert.equal(await page.locator('#timeline tr[data-state="Take Payment"] a').getAttribute("aria-current"), "true");
            // Copied as the API gave it.
            await page.locator('#execution-io .value[data-label="Execution input"] button.copy').click();
            assert.equal(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText()), described.input);

            const timeline = await page.locator("#timeline tbody tr[data-state]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-state")));
            assert.deepEqual(timeline, ROLLED_BACK_PATH);
            assert.match(await page.locator("#timeline tbody tr.error-row").innerText(), /PaymentFailed: Failure injected on purpose by run type "failPayment"\./);
            // A timeline row opens its state too.
            await page.locator('#timeline tr[data-state="Refund Payment"] a').click();
            await until("Refund Payment opened", async () => (await page.locator("#state-details .state-view").getAttribute("data-state")) === "Refund Payment");

            const report = await booted.client.outcome(sagas.rolledBack);
            const records = await page.locator("#records tbody tr").evaluateAll((rows) => rows.map((r) => ({ type: r.getAttribute("data-type"), transaction_status: r.getAttribute("data-status") })));
            assert.deepEqual(records, report.records.map(({ type, transaction_status }) => ({ type, transaction_status })));
            assert.equal(records.length, 3);
            assert.match(await page.locator("#failures").innerText(), /^None/);
            await page.locator('#graph .node[data-state="Take Payment"]').click();
            await until("Take Payment opened", async () => (await page.locator("#state-details .state-view").getAttribute("data-state")) === "Take Payment");
            await shoot("console-story.png");
            // The README's picture: the graph beside the story, the failed state opened.
            await page.setViewportSize({ width: 1600, height: 1240 });
            try {
                await page.screenshot({ path: path.join(ARTIFACTS, "console-readme.png") });
            } finally {
                await page.setViewportSize({ width: 1280, height: 800 });
            }
        });

        it("shows a failed compensation's retries, its cause a line per failed step, its failure records, and its repair that gave up", async () => {
            await booted.cloud.idle();
            await select(sagas.compensationFailed);
            const retries = DEFAULT_DEFINITION_OPTIONS.compensationRetry.maxAttempts;
            assert.match(String(await page.locator('#graph .node[data-state="Cancel Hotel"]').getAttribute("class")), /\bretried\b.*\bresult-caught\b|\bresult-caught\b.*\bretried\b/);
            assert.match(await page.locator('#timeline tr[data-state="Cancel Hotel"]').innerText(), new RegExp(`failed, caught\\s+after ${retries} retries`));
            // The saga's summary of what failed: the forward failure, then one line per failed compensation.
            assert.deepEqual(await page.locator("#cause li").allInnerTexts(), [
                "failure: InvalidInput: Reserve Hotel needs `trip_id` in its input: 1 to 64 letters, digits, '-' or '_'; got nothing.",
                "compensationFailures › Hotel: InvalidInput: Cancel Hotel needs `trip_id` in its input: 1 to 64 letters, digits, '-' or '_'; got nothing.",
            ]);
            assert.match(await page.locator("#saga-outcome").innerText(), /reports it needs attention, after the execution ended compensation failed/);
            const stepsOn = async (output: string) => {
                const { body } = await booted.client.get(`${booted.cloud.url}/_local/queues/${String(booted.cloud.outputs[output]).split("/").pop()}`);
                return (body.messages as { json: Record<string, string> }[]).filter(({ json }) => json.sagaId === sagas.compensationFailed).map(({ json }) => json.step);
            };
            assert.deepEqual(await stepsOn("failureQueueUrl"), ["Hotel"]);
            // Its messages on every queue: the failure record, then what its repair sent for a person.
            const needsAttention = await stepsOn("needsAttentionQueueUrl");
            assert.deepEqual(await page.locator("#failures tbody tr td:nth-child(2)").allInnerTexts(), ["Hotel", ...needsAttention]);
            await shoot("console-compensation-failed.png");

            // Its repair, one click away: it says what it repairs, and counts its own retries.
            await page.locator('#related a[data-relation="repair"]').click();
            await until("the repair's details", () => shown(sagas.compensationFailed));
            assert.equal(page.url(), `${booted.cloud.url}/_console/#/${repairMachine}/${sagas.compensationFailed}`);
            await until("the repair machine's list", async () => (await row(sagas.compensationFailed).count()) === 1);
            await until("the repair's outcome", async () => (await outcomeOf(sagas.compensationFailed)) === "needs attention" && (await page.locator("#execution-name .outcome").innerText()) === "needs attention");
            // Once the repair has ended, the page counts every attempt of it that failed.
            const repairArn = `${String(booted.cloud.outputs.repairMachineArn).replace(":stateMachine:", ":execution:")}:${sagas.compensationFailed}`;
            await until("the repair to end", async () => (await booted.client.stepFunctions("DescribeExecution", { executionArn: repairArn })).body.status !== "RUNNING", 20_000);
            const { body: repairHistory } = await booted.client.stepFunctions("GetExecutionHistory", { executionArn: repairArn, maxResults: 1000 });
            const failedAttempts = (repairHistory.events as { type: string }[]).filter((e) => e.type === "TaskFailed").length;
            const counted = async () => (await page.locator(".retry-summary li").allInnerTexts()).map((line) => Number(/: (\d+) of \d+ attempts failed/.exec(line)?.[1])).reduce((a, b) => a + b, 0);
            await until(`the repair's ${failedAttempts} failed attempts counted`, async () => (await counted()) === failedAttempts);
            assert.ok(failedAttempts > 3);
            assert.doesNotMatch(await page.locator("#failures").innerText(), /^None/);
            assert.deepEqual(await accessibilityProblems(), []);
            await shoot("console-repair.png");
            await page.locator('#related a[data-relation="repairs"]').click();
            await until("back to the saga's execution", () => shown(sagas.compensationFailed));
            assert.equal(page.url(), `${booted.cloud.url}/_console/#/${machine}/${sagas.compensationFailed}`);
        });

        it("stops a running execution after a confirmation; its repair follows, shown, and the saga rolls back late", async () => {
            // Every compensation fails for now: the saga stays running through its retries (3 to 4 s).
            assert.equal((await booted.client.setCompensationFailureRate(1)).status, 200);
            let name = "";
            try {
                // On a loaded machine a saga may run out of retries before the clicks: then another.
                for (let attempt = 1; ; attempt++) {
                    name = newId("stop");
                    assert.equal((await booted.client.start({ tripID: name, runType: "failPayment" })).status, 202);
                    try {
                        await open(`#/${machine}/${name}`, name);
                        await page.click("#stop");
                        assert.ok(await page.locator("#stop-confirm").isVisible());
                        assert.match(await page.locator("#stop-question").innerText(), new RegExp(`^Stop ${name}\\?`));
                        // Changing one's mind stops nothing: no StopExecution leaves the page.
                        const asked = stopRequests.length;
                        await page.click("#stop-no");
                        assert.ok(await page.locator("#stop").isVisible());
                        assert.equal(stopRequests.length, asked);
                        await page.click("#stop");
                        await page.click("#stop-yes");
                        await until(`${name} to end`, async () => (await booted.client.status(name)).body.status !== "RUNNING");
                    } catch (error) {
                        if ((await booted.client.status(name)).body.status === "RUNNING") throw error;
                    }
                    if ((await booted.client.status(name)).body.status === "ABORTED") break;
                    assert.ok(attempt < 3, `three sagas in a row ended before they could be stopped (the last: ${name})`);
                }
                assert.equal(stopRequests.at(-1), name);
            } finally {
                await booted.client.setCompensationFailureRate(0);
            }
            await until("its repair shown", async () => (await page.locator('#related a[data-relation="repair"]').count()) === 1, 5000);
            await until(`${name} rolled back late`, async () => (await outcomeOf(name)) === "rolled back late", 10_000);
            const report = (await booted.client.status(name)).body;
            assert.deepEqual([report.outcome, report.repairedFrom], ["rolled_back", "aborted"]);
            await until("the story told", async () => /reports it rolled back late, after the execution ended aborted/.test(await page.locator("#saga-outcome").innerText()));
            await shoot("console-stopped.png");
        });

        it("moves through the executions and the graph's states with the keyboard", async () => {
            await page.locator("#execution-list li a").first().focus();
            await page.keyboard.press("ArrowDown");
            const second = await page.locator("#execution-list li").nth(1).getAttribute("data-name");
            assert.equal(await page.locator("#execution-list li:has(a:focus)").getAttribute("data-name"), second);
            await page.keyboard.press("Enter");
            await until(`the details of ${second}`, async () => (await page.locator("#execution-heading").innerText()) === `Execution ${second}`);
            assert.equal(await page.locator(`#execution-list li[data-name="${second}"] a`).getAttribute("aria-current"), "true");
            // A state the run entered is a link in the graph: Tab reaches it, Enter opens it.
            await select(sagas.rolledBack);
            await page.locator('#graph .node[data-state="Reserve Flight"]').focus();
            await page.keyboard.press("Enter");
            await until("Reserve Flight opened", async () => (await page.locator("#state-details .state-view").getAttribute("data-state")) === "Reserve Flight");
            assert.equal(await page.locator('#graph .node[data-state="Confirm Hotel"]').getAttribute("href"), null, "a state not entered is no link");
        });

        it("starts a saga from the page: it appears, selected, and rolls back as asked", async () => {
            assert.deepEqual(await page.locator("#start-run-type option").evaluateAll((options) => options.map((o) => o.getAttribute("value"))), ["", ...RUN_TYPES]);
            assert.ok(await page.locator("#start-injection-off").isHidden());
            const name = newId("page");
            await page.fill("#start-id", name);
            await page.selectOption("#start-run-type", "failHotelReservation");
            await page.click("#start-form button[type=submit]");
            await until("the start answer", async () => (await page.locator("#start-result.ok").count()) === 1);
            assert.match(await page.locator("#start-result").innerText(), new RegExp(`: 202, started ${name}\\.$`));
            await until(`${name} to roll back in the list`, async () => (await row(name).count()) === 1 && (await outcomeOf(name)) === "rolled back");
            await until(`${name} selected`, async () => (await page.locator("#execution-heading").innerText()) === `Execution ${name}`);
            assert.equal((await booted.client.outcome(name)).outcome, "rolled_back");
            // The form starts the machine behind the API: beside the repair machine, it is not offered.
            await open(`#/${repairMachine}/${sagas.compensationFailed}`, sagas.compensationFailed);
            assert.ok(await page.locator("#start-panel").isHidden());
            await open(`#/${machine}/${name}`, name);
            assert.ok(await page.locator("#start-panel").isVisible());
        });

        it("shows the API's own message for a bad trip id, and starts nothing", async () => {
            const count = await page.locator("#execution-list li").count();
            const api = await booted.client.start({ tripID: "bad id!" });
            assert.equal(api.status, 400);
            await page.fill("#start-id", "bad id!");
            await page.selectOption("#start-run-type", "");
            await page.click("#start-form button[type=submit]");
            await until("the refusal", async () => (await page.locator("#start-result.refused").count()) === 1);
            assert.equal(await page.locator("#start-result .api-message").innerText(), api.body.message);
            assert.match(await page.locator("#start-result").innerText(), /^GET \/v1\/\?tripID=bad\+id%21: 400/);
            await page.click("#refresh");
            assert.equal(await page.locator("#execution-list li").count(), count);
            await shoot("console-bad-trip-id.png");
            assert.deepEqual(refused.splice(0).map((answer) => answer.replace(booted.cloud.url, "")), ["400 GET /v1/?tripID=bad+id%21"]);
        });

        it("offers no run type when the program says failure injection is off", async () => {
            const off = await page.context().newPage();
            try {
                // The same cloud, its startRequest output as a stack without injection writes it.
                await off.route(`${booted.cloud.url}/_local`, async (route) => {
                    const response = await route.fetch();
                    const overview = await response.json();
                    await route.fulfill({ response, json: { ...overview, outputs: { ...overview.outputs, startRequest: { idParameter: "tripID", runTypes: [] } } } });
                });
                await off.goto(`${booted.cloud.url}/_console/`);
                await off.waitForSelector("body[data-ready]");
                assert.ok(await off.locator("#start-run-type-field").isHidden());
                assert.ok(await off.locator("#start-injection-off").isVisible());
                assert.equal(await off.locator("#start-id-label").innerText(), "tripID (optional)");
            } finally {
                await off.close();
            }
        });

        it("says an EXPRESS machine's executions cannot be listed, as Step Functions answers for one, instead of failing", async () => {
            const express = await page.context().newPage();
            try {
                // ListExecutions as AWS answers it for an EXPRESS machine (NOTES: LocalStack's recorded snapshot).
                await express.route(`${booted.cloud.url}/`, async (route) => {
                    if (route.request().method() !== "POST" || route.request().headers()["x-amz-target"] !== "AWSStepFunctions.ListExecutions") return route.fallback();
                    await route.fulfill({
                        status: 400,
                        contentType: "application/x-amz-json-1.0",
                        body: JSON.stringify({ __type: "com.amazonaws.swf.service.v2.model#StateMachineTypeNotSupported", message: "This operation is not supported by this type of state machine" }),
                    });
                });
                await express.goto(`${booted.cloud.url}/_console/`);
                await express.waitForSelector("body[data-ready]");
                await until("the note", async () => (await express.locator("#list-note").innerText()).startsWith("An EXPRESS machine: Step Functions lists none of its executions"));
                assert.equal(await express.locator("#execution-list li").count(), 0);
                assert.doesNotMatch(await express.locator("#live").innerText(), /Cannot reach/);
                assert.ok((await express.locator("#graph .node").count()) > 10, "its graph is drawn");
            } finally {
                await express.close();
            }
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


        it("fits a phone's width (390 px): the list, a saga's story and an opened state, nothing wider than the window", async () => {
            await page.setViewportSize({ width: 390, height: 844 });
            try {
                const fits = async (view: string) => {
                    const [scrollWidth, innerWidth] = await page.locator("html").evaluate((html) => [html.scrollWidth, html.ownerDocument.defaultView!.innerWidth]);
                    assert.ok(scrollWidth <= innerWidth, `${view}: the page is ${scrollWidth} px wide in a ${innerWidth} px window`);
                    // No element sticks out of the window, but inside a region that scrolls (the graph, the timeline).
                    const outside = await page.locator("body *").evaluateAll((elements, width) =>
                        elements
                            .filter((element) => !element.closest(".graph, .scroll, pre, .executions") && element.getClientRects().length > 0)
                            .filter((element) => element.getBoundingClientRect().right > width + 1)
                            .map((element) => `${element.tagName.toLowerCase()}#${element.id}.${element.getAttribute("class")}`),
                    innerWidth);
                    assert.deepEqual(outside, [], view);
                };
                await page.evaluate((hash) => ((globalThis as unknown as { location: { hash: string } }).location.hash = hash), `#/${machine}`);
                await until("the list alone", async () => (await page.locator("#execution-heading").innerText()) === "Execution");
                await fits("the list");
                await shoot("console-narrow-list.png");
                await open(`#/${machine}/${sagas.compensationFailed}`, sagas.compensationFailed);
                await fits("a compensation failure");
                // Its failure records: each row's cells stacked, under their columns' names.
                assert.equal(await page.locator("#failures tbody td").first().evaluate((td) => td.ownerDocument.defaultView!.getComputedStyle(td).display), "grid");
                await shoot("console-narrow-story.png");
                await open(`#/${machine}/${sagas.rolledBack}/3`, sagas.rolledBack);
                await until("Take Payment opened", async () => (await page.locator("#state-details .state-view").getAttribute("data-state")) === "Take Payment");
                await fits("an opened state");
                assert.deepEqual(await accessibilityProblems(), []);
                await shoot("console-narrow-state.png");
            } finally {
                await page.setViewportSize({ width: 1280, height: 800 });
            }
        });

        it("passes axe-core with no serious or critical violation: the list, a saga's story, an opened state", async () => {
            await open(`#/${machine}/${sagas.rolledBack}/3`, sagas.rolledBack);
            await until("Take Payment opened", async () => (await page.locator("#state-details .state-view").getAttribute("data-state")) === "Take Payment");
            assert.deepEqual(await accessibilityProblems(), []);
        });

        it("asked for nothing but the local cloud, failed no request it did not mean to, and threw no error", () => {
            assert.ok(requested.length > 10);
            assert.deepEqual(requested.filter((url) => !url.startsWith(`${booted.cloud.url}/`)), []);
            assert.deepEqual(refused, []);
            assert.deepEqual(pageErrors, []);
        });
    });
});
