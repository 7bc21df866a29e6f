// One execution, in detail: the saga's outcome (the status route's word, the execution's own, its
// repair and what it repairs), what went in and out, the state opened (from the graph or the
// timeline), the timeline of the states it entered, the saga's records in the table (from the
// status route) and its failure records (the queues' messages about this saga).
import type { ExecutionItem, Invocation, QueueMessage } from "../api";
import { Attempt, causeLines, errorLine, OUTCOME_LABELS, reportLabel, retriesOf, SagaOutcome, StatusReport, Visit, VISIT_RESULT_LABELS } from "../execution";
import { duration, h, table, valueView, when } from "./dom.mjs";

/** An execution of another machine this one links to: its repair, or the execution a repair repairs. */
export interface Related {
    relation: "repair" | "repairs";
    /** Where the page shows it (#/<machine>/<execution>). */
    href: string;
    name: string;
    machine: string;
    status?: string;
}

export interface ExecutionDetails {
    execution: ExecutionItem;
    /** The execution's own outcome (from its status and error). */
    outcome: SagaOutcome;
    error?: string;
    cause?: string;
    input?: string;
    output?: string;
    visits: Visit[];
    /** The status route's answer; undefined when the API has no status route (or this machine is not the saga's). */
    status?: { code: number; records: Record<string, unknown>[]; message?: string; report?: StatusReport };
    failures: QueueMessage[];
    related?: Related;
    /** A repair is expected (the saga ended unrepaired) but none has started yet. */
    awaitingRepair: boolean;
    /** The order of the visit opened; none: no state opened. */
    opened?: number;
    /** For each attempt of the opened visit, its function's invocation and the lines its code wrote; null: not found. */
    attemptLogs?: (Invocation | null | undefined)[];
}

export interface DetailsActions {
    /** Asks Step Functions to stop the execution; resolves to the refusal's message, if any. */
    stop(): Promise<string | undefined>;
    /** The href that opens a state's visit. */
    visitHref(order: number): string;
    /** Whether the stop's confirmation is open (it stays open while the details are drawn again), and opens or closes it. */
    confirming: boolean;
    setConfirming(open: boolean): void;
}

export const outcomeBadge = (outcome: SagaOutcome, label: string = OUTCOME_LABELS[outcome] ?? outcome) => h("span", { class: `outcome outcome-${outcome}` }, label);

/** The saga's outcome as the list and the heading show it: the status route's report, else the execution's own. */
export const sagaBadge = (outcome: SagaOutcome, report: StatusReport | undefined) => (report ? outcomeBadge(report.outcome, reportLabel(report)) : outcomeBadge(outcome));

const failedAttempts = (visit: Visit) => visit.attempts.filter((attempt) => attempt.error !== undefined);

function errorText(visit: Visit): string | undefined {
    const failed = failedAttempts(visit);
    if (failed.length === 0) return undefined;
    const lines = [...new Set(failed.map((attempt: Attempt) => errorLine(attempt.error!, attempt.cause)))];
    return lines.join("; ") + (failed.length > 1 ? ` (${failed.length} of ${visit.attempts.length} attempts)` : "");
}

/** One row per state entered, its name opening it; under a state that failed, a row with its error and cause. */
function timeline(details: ExecutionDetails, actions: DetailsActions, now: number): HTMLTableElement {
    const start = details.execution.startDate * 1000;
    const columns = ["#", "State", "Entered", "Took", "Result"];
    const rows = details.visits.flatMap((visit) => {
        const retries = visit.attempts.length - 1;
        const error = errorText(visit);
        const row = h(
            "tr",
            { "data-state": visit.name, "data-result": visit.result, "data-order": visit.order, class: visit.order === details.opened ? "opened" : undefined },
            h("td", { class: "num" }, visit.order),
            h("td", {}, h("a", { class: "state-name", href: actions.visitHref(visit.order), "aria-current": visit.order === details.opened ? "true" : undefined }, visit.name)),
            h("td", { class: "num", title: new Date(visit.enteredAt).toISOString() }, `+${duration(visit.enteredAt - start)}`),
            h("td", { class: "num" }, duration((visit.exitedAt ?? now) - visit.enteredAt)),
            h(
                "td",
                {},
                h("span", { class: `result result-${visit.result}` }, VISIT_RESULT_LABELS[visit.result]),
                retries > 0 && h("span", { class: "retried" }, ` after ${retries} ${retries === 1 ? "retry" : "retries"}`),
            ),
        );
        return error ? [row, h("tr", { class: "error-row" }, h("td"), h("td", { colspan: columns.length - 1, class: "error" }, error))] : [row];
    });
    return h(
        "table",
        { class: "timeline" },
        h("caption", { class: "visually-hidden" }, "The states the execution entered, in order, with their errors; a state's name opens what went in and out of it"),
        h("thead", {}, h("tr", {}, ...columns.map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, ...rows),
    );
}

/** What went in and out of one state entered, and each of its attempts. */
/** The lines a function's code wrote while it answered one attempt (the local cloud keeps them per invocation). */
function attemptLog(attempt: Attempt, invocation: Invocation | null | undefined): HTMLElement | undefined {
    if (!attempt.functionName || invocation === undefined) return undefined;
    if (invocation === null) return h("p", { class: "muted log-none" }, `No invocation of ${attempt.functionName} found for it.`);
    const label = `Log of ${attempt.functionName}, request ${invocation.requestId}`;
    if (invocation.lines.length === 0) return h("p", { class: "muted log-none", "data-request": invocation.requestId }, `${attempt.functionName} (request ${invocation.requestId}) wrote no line at the function's log level.`);
    return h(
        "details",
        { class: "log", open: true, "data-request": invocation.requestId },
        h("summary", {}, `${invocation.lines.length} ${invocation.lines.length === 1 ? "line" : "lines"} its code wrote (${attempt.functionName}, request ${invocation.requestId})`),
        h("pre", { tabindex: "0", "aria-label": label }, invocation.lines.map((line) => line.text).join("\n")),
    );
}

function stateView(details: ExecutionDetails, visit: Visit | undefined): HTMLElement {
    if (!visit) return h("p", { class: "muted" }, "Select a state in the graph or the timeline to see what went in and out of it.");
    const start = details.execution.startDate * 1000;
    const attempts = visit.attempts.map((attempt, i) =>
        h(
            "li",
            { "data-attempt": i + 1, class: attempt.error !== undefined ? "failed" : undefined },
            h("span", { class: "attempt-head" }, `Attempt ${i + 1}`, ` at +${duration(attempt.startedAt - start)}`, attempt.endedAt !== undefined ? `, took ${duration(attempt.endedAt - attempt.startedAt)}` : ", running"),
            attempt.error !== undefined ? h("span", { class: "error attempt-error" }, ": ", errorLine(attempt.error, attempt.cause)) : h("span", { class: "result result-succeeded" }, ": succeeded"),
            attemptLog(attempt, details.attemptLogs?.[i]),
        ),
    );
    return h(
        "div",
        { class: "state-view", "data-state": visit.name, "data-order": visit.order },
        h("h4", { id: "state-heading", tabindex: "-1" }, `${visit.order}. ${visit.name} `, h("span", { class: `result result-${visit.result}` }, VISIT_RESULT_LABELS[visit.result])),
        h("p", { class: "muted" }, `${visit.type} state, entered at +${duration(visit.enteredAt - start)}`, visit.exitedAt !== undefined ? `, left after ${duration(visit.exitedAt - visit.enteredAt)}` : ", not left yet", "."),
        attempts.length > 0 && h("ol", { class: "attempts", "aria-label": "Its attempts" }, ...attempts),
        valueView("State input", visit.input),
        valueView("State output", visit.output),
    );
}

function records(details: ExecutionDetails): HTMLElement {
    const status = details.status;
    if (!status) return h("p", { class: "muted" }, "The API has no status route for this machine's sagas: the console reads the saga's records through it.");
    const note = status.code === 200 ? undefined : h("p", { class: "muted" }, `The status route answered ${status.code}${status.message ? `: ${status.message}` : ""}`);
    if (status.records.length === 0) return h("div", {}, note, h("p", { class: "muted" }, "No records under this saga's id."));
    const text = (value: unknown) => (value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value));
    return h(
        "div",
        {},
        note,
        table<Record<string, unknown>>(
            "The saga's records in the table",
            [
                ["Type", (record) => text(record.type)],
                ["Status", (record) => h("span", { class: `record-status status-${text(record.transaction_status)}` }, text(record.transaction_status))],
                ["Key", (record) => h("code", {}, text(record.sk))],
                ["Item", (record) => h("details", {}, h("summary", {}, "all attributes"), h("pre", {}, JSON.stringify(record, null, 2)))],
            ],
            status.records,
            (record) => ({ "data-type": text(record.type), "data-status": text(record.transaction_status) }),
        ),
    );
}

function failures(details: ExecutionDetails): HTMLElement {
    const retried = retriesOf(details.visits).filter((entry) => entry.failed > 0);
    const summary = retried.length
        ? h(
              "ul",
              { class: "retry-summary", "aria-label": "Retried states of this execution" },
              ...retried.map((entry) => h("li", { "data-state": entry.name }, h("strong", {}, entry.name), `: ${entry.failed} of ${entry.attempts} attempts failed`)),
          )
        : undefined;
    if (details.failures.length === 0) {
        const none = retried.length
            ? "No failure record names this saga: its retries above ended in a success or a catch."
            : "None: no state of this execution failed a retry, and no failure record names this saga.";
        return h("div", {}, summary, h("p", { class: "muted" }, none));
    }
    return h(
        "div",
        {},
        summary,
        table<QueueMessage>(
            "The saga's failure records on the queues",
            [
                ["Sent", (message) => when(Date.parse(message.sentAt))],
                ["Step", (message) => String(message.json?.step ?? "")],
                ["State", (message) => String(message.json?.state ?? "")],
                ["Error", (message) => {
                    const error = (message.json?.error ?? {}) as { Error?: string; Cause?: string };
                    return h("span", { class: "error" }, errorLine(error.Error ?? "", error.Cause));
                }],
                ["Message", (message) => h("details", {}, h("summary", {}, "body"), h("pre", {}, JSON.stringify(message.json ?? message.body, null, 2)))],
            ],
            details.failures,
        ),
    );
}

/** The saga's story in a sentence or two: the status route's word, the repair, what it repairs. */
function story(details: ExecutionDetails): HTMLElement[] {
    const report = details.status?.report;
    const lines: HTMLElement[] = [];
    if (report) {
        const from = report.repairedFrom ? `, after the execution ended ${OUTCOME_LABELS[report.repairedFrom] ?? report.repairedFrom}` : "";
        const at = report.repairedAt ? h("span", {}, " at ", when(Date.parse(report.repairedAt))) : undefined;
        lines.push(h("dt", {}, "Saga"), h("dd", { id: "saga-outcome" }, "The status route reports it ", h("strong", {}, reportLabel(report)), from, at, "."));
    }
    const related = details.related;
    if (related) {
        const label = related.relation === "repair" ? "Repair" : "Repairs";
        lines.push(h("dt", {}, label), h("dd", { id: "related" }, h("a", { href: related.href, "data-relation": related.relation }, related.name), ` on ${related.machine}`, related.status ? ` (${related.status.toLowerCase()})` : ""));
    } else if (details.awaitingRepair) {
        lines.push(h("dt", {}, "Repair"), h("dd", { id: "related", class: "muted" }, "not started yet: the repair machine takes it up when Step Functions reports how the execution ended."));
    }
    return lines;
}

export function renderDetails(container: HTMLElement, details: ExecutionDetails, actions: DetailsActions): void {
    const { execution } = details;
    const end = execution.stopDate !== undefined ? execution.stopDate * 1000 : Date.now();
    const cause = causeLines(details.cause);
    const opened = details.visits.find((visit) => visit.order === details.opened);
    const stop = execution.status === "RUNNING" ? stopControl(execution, actions) : undefined;
    container.replaceChildren(
        h(
            "div",
            { class: "summary" },
            h("h3", { id: "execution-name" }, execution.name, " ", sagaBadge(details.outcome, details.status?.report)),
            h(
                "dl",
                {},
                ...story(details),
                h("dt", {}, "Started"), h("dd", {}, when(execution.startDate * 1000)),
                execution.stopDate !== undefined && h("dt", {}, "Ended"),
                execution.stopDate !== undefined && h("dd", {}, when(execution.stopDate * 1000)),
                h("dt", {}, "Duration"), h("dd", {}, duration(end - execution.startDate * 1000), execution.stopDate === undefined ? " so far" : ""),
                h("dt", {}, "Status"), h("dd", {}, execution.status, " ", h("span", { class: "muted" }, `(the execution ${OUTCOME_LABELS[details.outcome]})`)),
                details.error !== undefined && h("dt", {}, "Error"),
                details.error !== undefined && h("dd", {}, h("span", { class: "error" }, details.error)),
                cause.length > 0 && h("dt", {}, "Cause"),
                cause.length > 0 && h("dd", {}, h("ul", { class: "cause", id: "cause" }, ...cause.map((line) => h("li", {}, line)))),
                h("dt", {}, "ARN"), h("dd", {}, h("code", { class: "arn" }, execution.executionArn)),
            ),
            stop,
        ),
        h("h3", {}, "Input and output"),
        h("div", { id: "execution-io", class: "io" }, valueView("Execution input", details.input), execution.status === "SUCCEEDED" || details.output !== undefined ? valueView("Execution output", details.output) : undefined),
        h("h3", { id: "state-title" }, "State"),
        h("section", { id: "state-details", "aria-labelledby": "state-title" }, stateView(details, opened)),
        h("h3", { id: "timeline-title" }, "Timeline"),
        h("div", { class: "scroll", id: "timeline", role: "region", "aria-labelledby": "timeline-title", tabindex: "0" }, timeline(details, actions, Date.now())),
        h("h3", { id: "records-title" }, "Records in the table"),
        h("div", { class: "scroll", id: "records", role: "region", "aria-labelledby": "records-title", tabindex: "0" }, records(details)),
        h("h3", { id: "failures-title" }, "Retries and failure records"),
        h("div", { class: "scroll", id: "failures", role: "region", "aria-labelledby": "failures-title", tabindex: "0" }, failures(details)),
    );
}

/** Stop, behind a confirmation that says what follows. */
function stopControl(execution: ExecutionItem, actions: DetailsActions): HTMLElement {
    const result = h("p", { class: "stop-result", role: "status" });
    const confirm = h(
        "div",
        { class: "confirm", id: "stop-confirm", hidden: !actions.confirming, role: "group", "aria-labelledby": "stop-question" },
        h("p", { id: "stop-question" }, `Stop ${execution.name}? It ends ABORTED where it is; its compensations do not run in it: the repair machine runs them next.`),
        h("button", { type: "button", class: "danger", id: "stop-yes" }, "Stop it"),
        " ",
        h("button", { type: "button", class: "secondary", id: "stop-no" }, "Keep it running"),
    );
    const ask = h("button", { type: "button", class: "danger", id: "stop", hidden: actions.confirming }, "Stop execution…");
    ask.addEventListener("click", () => {
        actions.setConfirming(true);
        confirm.hidden = false;
        ask.hidden = true;
        confirm.querySelector<HTMLButtonElement>("#stop-no")!.focus();
    });
    confirm.querySelector("#stop-no")!.addEventListener("click", () => {
        actions.setConfirming(false);
        confirm.hidden = true;
        ask.hidden = false;
        ask.focus();
    });
    confirm.querySelector("#stop-yes")!.addEventListener("click", async () => {
        for (const button of confirm.querySelectorAll("button")) button.disabled = true;
        result.textContent = "Stopping…";
        const refused = await actions.stop();
        actions.setConfirming(false);
        result.textContent = refused ? `Not stopped: ${refused}` : "Stopped.";
        result.classList.toggle("error", refused !== undefined);
    });
    return h("div", { class: "stop" }, ask, confirm, result);
}
