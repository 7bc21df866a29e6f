// One execution, in detail: its outcome, the timeline of the states it entered (from its
// history), the saga's records in the table (from the status route) and its failure records
// (the queue's messages about this execution).
import type { ExecutionItem, QueueMessage } from "../api";
import type { ExecutionOutcome } from "../../../components/model/outcomes";
import { Attempt, errorLine, OUTCOME_LABELS, readableCause, Visit, VISIT_RESULT_LABELS } from "../execution";
import { clock, duration, h, table } from "./dom.mjs";

export interface ExecutionDetails {
    execution: ExecutionItem;
    outcome: ExecutionOutcome;
    error?: string;
    cause?: string;
    visits: Visit[];
    /** The status route's answer; undefined when the API has no status route. */
    status?: { code: number; records: Record<string, unknown>[]; message?: string; outcome?: string };
    failures: QueueMessage[];
}

export const outcomeBadge = (outcome: ExecutionOutcome) => h("span", { class: `outcome outcome-${outcome}` }, OUTCOME_LABELS[outcome]);

const failedAttempts = (visit: Visit) => visit.attempts.filter((attempt) => attempt.error !== undefined);

function errorText(visit: Visit): string | undefined {
    const failed = failedAttempts(visit);
    if (failed.length === 0) return undefined;
    const lines = [...new Set(failed.map((attempt: Attempt) => errorLine(attempt.error!, attempt.cause)))];
    return lines.join("; ") + (failed.length > 1 ? ` (${failed.length} of ${visit.attempts.length} attempts)` : "");
}

/** One row per state entered, and under a state that failed a row with its error and cause. */
function timeline(details: ExecutionDetails, now: number): HTMLTableElement {
    const start = details.execution.startDate * 1000;
    const columns = ["#", "State", "Entered", "Took", "Result"];
    const rows = details.visits.flatMap((visit) => {
        const retries = visit.attempts.length - 1;
        const error = errorText(visit);
        const row = h(
            "tr",
            { "data-state": visit.name, "data-result": visit.result },
            h("td", { class: "num" }, visit.order),
            h("td", {}, h("span", { class: "state-name" }, visit.name)),
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
        h("caption", { class: "visually-hidden" }, "The states the execution entered, in order, with their errors"),
        h("thead", {}, h("tr", {}, ...columns.map((title) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, ...rows),
    );
}

function records(details: ExecutionDetails): HTMLElement {
    const status = details.status;
    if (!status) return h("p", { class: "muted" }, "The API has no status route: the console reads the saga's records through it.");
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
    if (details.failures.length === 0) return h("p", { class: "muted" }, "None: no compensation of this execution failed all its retries.");
    return table<QueueMessage>(
        "The execution's failure records on the queue",
        [
            ["Sent", (message) => clock(Date.parse(message.sentAt))],
            ["Step", (message) => String(message.json?.step ?? "")],
            ["State", (message) => String(message.json?.state ?? "")],
            ["Error", (message) => {
                const error = (message.json?.error ?? {}) as { Error?: string; Cause?: string };
                return h("span", { class: "error" }, errorLine(error.Error ?? "", error.Cause));
            }],
            ["Message", (message) => h("details", {}, h("summary", {}, "body"), h("pre", {}, JSON.stringify(message.json ?? message.body, null, 2)))],
        ],
        details.failures,
    );
}

export function renderDetails(container: HTMLElement, details: ExecutionDetails): void {
    const { execution } = details;
    const end = execution.stopDate !== undefined ? execution.stopDate * 1000 : Date.now();
    const cause = readableCause(details.cause);
    const reported = details.status?.outcome !== undefined && details.status.outcome !== details.outcome ? details.status.outcome : undefined;
    container.replaceChildren(
        h(
            "div",
            { class: "summary" },
            h("h3", { id: "execution-name" }, execution.name, " ", outcomeBadge(details.outcome)),
            h(
                "dl",
                {},
                h("dt", {}, "Started"), h("dd", {}, clock(execution.startDate * 1000)),
                h("dt", {}, "Duration"), h("dd", {}, duration(end - execution.startDate * 1000)),
                h("dt", {}, "Status"), h("dd", {}, execution.status),
                details.error !== undefined && h("dt", {}, "Error"),
                details.error !== undefined && h("dd", {}, h("span", { class: "error" }, details.error)),
                cause !== "" && h("dt", {}, "Cause"),
                cause !== "" && h("dd", {}, cause),
                // The saga's own outcome may be a later one than its execution's (e.g. once repaired).
                reported !== undefined && h("dt", {}, "Status route"),
                reported !== undefined && h("dd", {}, `reports the saga ${reported.replace(/_/g, " ")}`),
                h("dt", {}, "ARN"), h("dd", {}, h("code", { class: "arn" }, execution.executionArn)),
            ),
        ),
        h("h3", {}, "Timeline"),
        h("div", { class: "scroll", id: "timeline" }, timeline(details, Date.now())),
        h("h3", {}, "Records in the table"),
        h("div", { class: "scroll", id: "records" }, records(details)),
        h("h3", {}, "Failure records on the queue"),
        h("div", { class: "scroll", id: "failures" }, failures(details)),
    );
}
