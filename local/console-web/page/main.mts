// The console's page: the machine as a graph, its executions (polled every second, newest first,
// found by id, filtered by the saga's outcome as the status route reports it), the selected one's
// story (outcome, repair, input and output, the state opened, timeline, records, failure records),
// and, for the machine behind the API, a form to start a saga. The address says what is shown
// (#/<machine>/<execution>/<state entered, by its order>), so the back button and a link work.
import { executionArnOf } from "../../../components/model/arns";
import { parseAsl } from "../../../components/model/asl";
import { ApiError, ConsoleApi, ExecutionItem, Invocation, StateMachineItem } from "../api";
import { outcomeOf } from "../../../components/model/outcomes";
import { HistoryEvent, isFinal, OUTCOME_LABELS, SagaOutcome, StatusReport, Visit, visitsOf } from "../execution";
import { layoutMachine } from "../graph";
import { ProgramApi, programApiOf, StartForm, startFormOf, statusPathOf } from "../program";
import { ExecutionDetails, Related, renderDetails, sagaBadge } from "./details.mjs";
import { byId, clock, duration, h, refreshSince, when } from "./dom.mjs";
import { drawGraph, GraphView, legend } from "./graph-view.mjs";
import { setUpStartForm } from "./start.mjs";

const POLL_MS = 1000;
/** The newest executions listed: ListExecutions' first page. */
const LIST_MAX = 200;
/** A report that may still change is asked for again at most this often. */
const REPORT_MS = 2000;

const api = new ConsoleApi("");

interface Described {
    status: string;
    error?: string;
    cause?: string;
    input?: string;
    output?: string;
}

interface StatusAnswer {
    code: number;
    records: Record<string, unknown>[];
    message?: string;
    report?: StatusReport;
}

const page = {
    machines: [] as StateMachineItem[],
    machine: undefined as StateMachineItem | undefined,
    graph: undefined as GraphView | undefined,
    program: undefined as ProgramApi | undefined,
    /** The machine behind the API (the program's stateMachineArn output) and its repair machine (repairMachineArn). */
    sagaMachine: undefined as string | undefined,
    repairMachine: undefined as string | undefined,
    form: undefined as (StartForm & { described: boolean }) | undefined,
    executions: [] as ExecutionItem[],
    /** Executions found by id beyond the listed ones. */
    found: new Map<string, ExecutionItem>(),
    /** DescribeExecution of each ended execution: it never changes again. */
    closed: new Map<string, Described>(),
    /** The status route's report of each saga (by id), and when it was read. */
    reports: new Map<string, { answer: StatusAnswer; at: number }>(),
    /** Each execution's repair, once it has ended (by the execution's ARN). */
    repairs: new Map<string, Related>(),
    selected: undefined as string | undefined,
    opened: undefined as number | undefined,
    /** The machine's executions cannot be listed (EXPRESS). */
    listless: false,
    /** The last id looked up and not found, and what the lookup said. */
    missed: undefined as { name: string; message: string } | undefined,
    /** The execution whose stop is being confirmed. */
    confirmingStop: undefined as string | undefined,
    /** What the details show: read again when it may have changed. */
    shown: "",
    listSignature: "",
};

const machineName = (arn: string) => arn.split(":").at(-1)!;
const hashOf = (machine: string, execution?: string, visit?: number) =>
    `#/${encodeURIComponent(machine)}${execution ? `/${encodeURIComponent(execution)}` : ""}${execution && visit ? `/${visit}` : ""}`;

function readHash(): { machine?: string; execution?: string; visit?: number } {
    const [machine, execution, visit] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    return { machine: machine || undefined, execution: execution || undefined, visit: Number(visit) > 0 ? Number(visit) : undefined };
}

/** Whether the status route reports the sagas this machine runs: the saga's machine, and its repair machine (named after the saga). */
const reportsOn = (machine: StateMachineItem | undefined) =>
    page.program?.statusPath !== undefined && machine !== undefined && (machine.stateMachineArn === page.sagaMachine || machine.stateMachineArn === page.repairMachine);

const ownOutcome = (item: ExecutionItem): SagaOutcome | undefined =>
    item.status === "FAILED" ? (page.closed.has(item.executionArn) ? outcomeOf("FAILED", page.closed.get(item.executionArn)!.error) : undefined) : outcomeOf(item.status, undefined);

const reportOf = (item: ExecutionItem) => (reportsOn(page.machine) ? page.reports.get(item.name)?.answer.report : undefined);

/** The outcome the list shows and filters by: the status route's, else the execution's own. */
const shownOutcome = (item: ExecutionItem): SagaOutcome | undefined => reportOf(item)?.outcome ?? ownOutcome(item);

async function showMachine(machine: StateMachineItem): Promise<void> {
    page.machine = machine;
    page.executions = [];
    page.listSignature = "";
    page.shown = "";
    byId<HTMLSelectElement>("machine").value = machine.stateMachineArn;
    // The start form starts the machine behind the API: it is offered beside that machine only.
    byId("start-panel").hidden = machine.stateMachineArn !== page.sagaMachine;
    const asl = parseAsl(await api.definition(machine.stateMachineArn));
    if ("error" in asl) throw new Error(`The definition of ${machine.name} ${asl.error}.`);
    page.graph = drawGraph(byId("graph"), layoutMachine(asl));
    byId("machine-heading").textContent = `State machine ${machine.name}`;
}

function renderList(): void {
    const filter = byId<HTMLSelectElement>("outcome-filter").value;
    const find = byId<HTMLInputElement>("find").value.trim();
    const items = page.executions.filter((item) => (filter === "" || shownOutcome(item) === filter) && (find === "" || item.name.includes(find)));
    const signature = JSON.stringify([filter, find, page.selected, items.map((item) => [item.executionArn, item.status, shownOutcome(item), reportOf(item)?.repairedFrom])]);
    const counts = new Map<string, number>();
    for (const item of page.executions) {
        const outcome = shownOutcome(item) ?? "";
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    }
    for (const option of byId<HTMLSelectElement>("outcome-filter").options) {
        const label = option.value === "" ? "every outcome" : OUTCOME_LABELS[option.value as SagaOutcome];
        option.textContent = `${label} (${option.value === "" ? page.executions.length : (counts.get(option.value) ?? 0)})`;
    }
    const list = byId("execution-list");
    if (signature !== page.listSignature) {
        const focused = (document.activeElement as HTMLElement | null)?.closest("li")?.dataset.name;
        page.listSignature = signature;
        list.replaceChildren(
            ...items.map((item) => {
                const outcome = shownOutcome(item);
                const current = item.name === page.selected;
                return h(
                    "li",
                    { "data-name": item.name, "data-outcome": outcome ?? "" },
                    h(
                        "a",
                        { href: hashOf(page.machine!.name, item.name), "aria-current": current ? "true" : undefined },
                        h("span", { class: "name" }, item.name),
                        outcome ? sagaBadge(outcome, reportOf(item)) : h("span", { class: "outcome" }, "…"),
                        h("span", { class: "started" }, when(item.startDate * 1000)),
                        h("span", { class: "took" }),
                    ),
                );
            }),
        );
        if (focused) list.querySelector<HTMLElement>(`li[data-name="${CSS.escape(focused)}"] a`)?.focus();
    }
    for (const row of list.querySelectorAll<HTMLElement>("li")) {
        const item = items.find((candidate) => candidate.name === row.dataset.name)!;
        row.querySelector(".took")!.textContent = duration((item.stopDate ?? Date.now() / 1000) * 1000 - item.startDate * 1000);
    }
    byId("list-note").textContent = page.listless
        ? "An EXPRESS machine: Step Functions lists none of its executions and keeps no history of them; they are in the machine's log group (GET /_local/logs/<group>), which the console does not read yet."
        : page.missed && page.missed.name === find
            ? page.missed.message
            : page.executions.length === 0
            ? "No executions yet: start a saga."
            : items.length === 0
              ? find !== ""
                  ? `None listed whose id contains "${find}": press Enter to look it up by its exact id.`
                  : "None with this outcome."
              : page.executions.length === LIST_MAX
                ? `The newest ${LIST_MAX} executions: find an older one by its exact id.`
                : "";
}

/** The status route's answer for one saga id. */
async function askStatus(id: string): Promise<StatusAnswer> {
    const { status, body } = await api.get<{ records?: Record<string, unknown>[]; message?: string } & Partial<StatusReport>>(statusPathOf(page.program!, id)!);
    const report =
        status === 200 && typeof body.outcome === "string" && body.outcome in OUTCOME_LABELS
            ? { outcome: body.outcome, repairedFrom: body.repairedFrom ?? null, repairedAt: body.repairedAt ?? null, needsAttention: body.needsAttention ?? null }
            : undefined;
    return { code: status, records: body.records ?? [], message: body.message, ...(report ? { report } : {}) };
}

/** Reads the reports that may have changed: a saga not yet at its last word, not read in the last REPORT_MS. */
async function readReports(items: ExecutionItem[]): Promise<void> {
    if (!reportsOn(page.machine)) return;
    const now = Date.now();
    const stale = items.filter((item) => {
        const known = page.reports.get(item.name);
        if (known?.answer.report && isFinal(known.answer.report)) return false;
        // A saga's own execution still running, or ended well, has no other word than its own.
        const own = ownOutcome(item);
        if (item.stateMachineArn !== page.repairMachine && (own === "running" || own === "succeeded" || own === "rolled_back")) return false;
        return !known || now - known.at >= REPORT_MS;
    });
    for (let i = 0; i < stale.length; i += 8) {
        await Promise.all(stale.slice(i, i + 8).map(async (item) => page.reports.set(item.name, { answer: await askStatus(item.name), at: Date.now() })));
    }
}

/** The execution of another machine this one is tied to: its repair (named after the saga), or the execution a repair repairs. */
async function relatedOf(item: ExecutionItem, described: Described): Promise<Related | undefined> {
    if (item.stateMachineArn === page.repairMachine) {
        const input = JSON.parse(described.input ?? "{}") as { executionArn?: unknown };
        if (typeof input.executionArn !== "string") return undefined;
        const machine = input.executionArn.split(":").at(-2)!;
        return { relation: "repairs", href: hashOf(machine, input.executionArn.split(":").at(-1)), name: input.executionArn.split(":").at(-1)!, machine };
    }
    if (item.stateMachineArn !== page.sagaMachine || !page.repairMachine) return undefined;
    const known = page.repairs.get(item.executionArn);
    if (known) return known;
    // Listed, not described: a repair not started yet is no error to ask about.
    const repair = (await api.executions(page.repairMachine, LIST_MAX)).find((candidate) => candidate.name === item.name);
    if (!repair) return undefined;
    const related: Related = { relation: "repair", href: hashOf(machineName(page.repairMachine), item.name), name: item.name, machine: machineName(page.repairMachine), status: repair.status };
    if (repair.status !== "RUNNING") page.repairs.set(item.executionArn, related);
    return related;
}

/** SHA-256 (hex) of a text, as the local cloud digests an invocation's event. */
async function sha256(text: string): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Each attempt's invocation: of its function, with its event, the one that started nearest the attempt. */
async function attemptLogs(visit: Visit | undefined): Promise<(Invocation | null | undefined)[] | undefined> {
    if (!visit || !visit.attempts.some((attempt) => attempt.functionName)) return undefined;
    return Promise.all(
        visit.attempts.map(async (attempt) => {
            if (!attempt.functionName || attempt.event === undefined) return undefined;
            const [found, digest] = await Promise.all([api.invocations(attempt.functionName, attempt.startedAt - 1000, (attempt.endedAt ?? Date.now()) + 1000), sha256(attempt.event)]);
            const mine = (found ?? []).filter((invocation) => invocation.eventSha256 === digest);
            mine.sort((a, b) => Math.abs(a.startedAt - attempt.startedAt) - Math.abs(b.startedAt - attempt.startedAt));
            return found === undefined ? undefined : (mine[0] ?? null);
        }),
    );
}

async function describe(item: ExecutionItem): Promise<Described> {
    const known = page.closed.get(item.executionArn);
    if (known) return known;
    const described = await api.describeExecution(item.executionArn);
    if (described.status !== "RUNNING") page.closed.set(item.executionArn, described);
    return described;
}

async function loadDetails(): Promise<void> {
    const container = byId("execution-details");
    const item = page.executions.find((candidate) => candidate.name === page.selected) ?? page.found.get(page.selected ?? "");
    if (!item || item.stateMachineArn !== page.machine?.stateMachineArn) {
        page.shown = "";
        page.graph?.mark(undefined);
        byId("execution-heading").textContent = "Execution";
        container.replaceChildren(h("p", { class: "muted" }, page.selected ? `No execution ${page.selected} of this machine.` : "Select an execution to see its story: what went in and out, its path, its records and failure records."));
        return;
    }
    const saga = reportsOn(page.machine);
    const [events, described, status, messages] = await Promise.all([
        api.history<HistoryEvent>(item.executionArn),
        describe(item),
        saga ? askStatus(item.name) : undefined,
        api.queueMessages(),
    ]);
    const related = await relatedOf(item, described);
    if (page.selected !== item.name) return;
    if (status) page.reports.set(item.name, { answer: status, at: Date.now() });
    const visits = visitsOf(events);
    const logs = await attemptLogs(visits.find((visit) => visit.order === page.opened));
    if (page.selected !== item.name) return;
    const report = status?.report;
    const details: ExecutionDetails = {
        execution: { ...item, status: described.status },
        outcome: outcomeOf(described.status, described.error),
        error: described.error,
        cause: described.cause,
        input: described.input,
        output: described.output,
        visits,
        status,
        failures: messages.filter((message) => message.json?.sagaId === item.name || message.json?.executionArn === item.executionArn),
        related,
        // The saga has not had its last word, and no repair has taken it up yet.
        awaitingRepair: item.stateMachineArn === page.sagaMachine && page.repairMachine !== undefined && described.status !== "RUNNING" && report !== undefined && !isFinal(report) && related === undefined,
        opened: page.opened,
        attemptLogs: logs,
    };
    const key = JSON.stringify([item.executionArn, described.status, events.length, report, related, details.failures.length, page.opened, logs?.map((log) => log?.lines.length ?? String(log))]);
    if (key === page.shown) return;
    const focusedId = document.activeElement?.id;
    byId("execution-heading").textContent = `Execution ${item.name}`;
    renderDetails(container, details, {
        stop: async () => {
            try {
                await api.stepFunctions("StopExecution", { executionArn: item.executionArn, error: "Console.Stopped", cause: "Stopped from the saga console." });
                await refresh();
                return undefined;
            } catch (error) {
                return (error as Error).message;
            }
        },
        visitHref: (order) => hashOf(page.machine!.name, item.name, order),
        confirming: page.confirmingStop === item.executionArn,
        setConfirming: (open) => void (page.confirmingStop = open ? item.executionArn : undefined),
    });
    if (focusedId) document.getElementById(focusedId)?.focus();
    page.graph?.mark(visits, page.opened, (order) => hashOf(page.machine!.name, item.name, order));
    page.shown = key;
}

/** Says what went wrong where the page says when it last read the cloud. */
function trouble(message: string): void {
    byId("live").textContent = message;
    byId("live").classList.add("refused");
}

let refreshing: Promise<void> | undefined;

/** Lists the executions again, then the selected one's details if they may have changed. */
function refresh(): Promise<void> {
    refreshing ??= (async () => {
        try {
            const machine = page.machine!;
            const listed = await api.executions(machine.stateMachineArn, LIST_MAX).catch((error: unknown) => {
                // An EXPRESS machine: Step Functions keeps no list of its executions (nor their histories).
                if (error instanceof ApiError && error.type === "StateMachineTypeNotSupported") return undefined;
                throw error;
            });
            page.listless = listed === undefined;
            const items = (listed ?? []).map((item) => ({ ...item, stateMachineArn: machine.stateMachineArn }));
            const unknown = items.filter((item) => item.status !== "RUNNING" && !page.closed.has(item.executionArn));
            await Promise.all(unknown.map((item) => describe(item)));
            if (page.machine !== machine) return;
            page.executions = items;
            await readReports(items);
            renderList();
            await loadDetails();
            refreshSince();
            byId("live").textContent = `Updated ${clock(Date.now())}`;
            byId("live").classList.remove("refused");
        } catch (error) {
            trouble(`Cannot reach the local cloud: ${(error as Error).message}`);
        } finally {
            refreshing = undefined;
        }
    })();
    return refreshing;
}

async function followHash(): Promise<void> {
    const { machine, execution, visit } = readHash();
    const wanted = page.machines.find((candidate) => candidate.name === machine) ?? page.machine ?? page.machines[0];
    if (wanted && wanted !== page.machine) await showMachine(wanted);
    if (page.selected !== execution) page.shown = "";
    page.selected = execution;
    page.opened = visit;
    await refresh();
    // A refresh already under way when the address changed may have read the previous selection.
    renderList();
    await loadDetails().catch((error: Error) => trouble(`Cannot read ${execution}: ${error.message}`));
    if (visit !== undefined && document.activeElement?.closest("#graph, #timeline") === null) document.getElementById("state-heading")?.focus({ preventScroll: false });
}

/** Enter in the search box: the execution with exactly that id, listed or not. */
async function findExecution(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const name = byId<HTMLInputElement>("find").value.trim();
    const machine = page.machine;
    if (name === "" || !machine) return;
    const listed = page.executions.find((item) => item.name === name);
    if (listed) return void (location.hash = hashOf(machine.name, name));
    try {
        const executionArn = executionArnOf(machine.stateMachineArn, name);
        const described = await api.stepFunctions<Described & { startDate: number; stopDate?: number; name: string }>("DescribeExecution", { executionArn });
        page.found.set(name, { executionArn, name, status: described.status, startDate: described.startDate, stopDate: described.stopDate, stateMachineArn: machine.stateMachineArn });
        location.hash = hashOf(machine.name, name);
    } catch (error) {
        const missing = error instanceof ApiError && (error.type === "ExecutionDoesNotExist" || error.type === "InvalidArn" || error.type === "InvalidName");
        page.missed = { name, message: missing ? `No execution named "${name}" on ${machine.name}.` : `Could not look up "${name}": ${(error as Error).message}` };
        renderList();
    }
}

/** Up and down arrows (and Home, End) move between the listed executions. */
function listKeys(event: KeyboardEvent): void {
    const links = [...byId("execution-list").querySelectorAll<HTMLAnchorElement>("a")];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: links.length - 1 }[event.key];
    if (to === undefined || at < 0 || !links[to]) return;
    event.preventDefault();
    links[to].focus();
}

async function start(): Promise<void> {
    const [overview, machines] = await Promise.all([api.overview(), api.stateMachines()]);
    page.machines = machines;
    page.program = programApiOf(overview);
    const output = (name: string) => (typeof overview.outputs[name] === "string" ? (overview.outputs[name] as string) : undefined);
    page.sagaMachine = page.program ? output("stateMachineArn") : undefined;
    page.repairMachine = output("repairMachineArn");
    page.form = startFormOf(overview);
    byId("stack").textContent = `${overview.project}, stack ${overview.stack}`;
    byId("legend").replaceWith(legend());
    const filter = byId<HTMLSelectElement>("outcome-filter");
    filter.replaceChildren(h("option", { value: "" }), ...Object.keys(OUTCOME_LABELS).map((outcome) => h("option", { value: outcome })));
    filter.addEventListener("change", renderList);
    byId("find").addEventListener("input", renderList);
    byId<HTMLFormElement>("find-form").addEventListener("submit", (event) => void findExecution(event));
    byId("refresh").addEventListener("click", () => void refresh());
    byId("execution-list").addEventListener("keydown", listKeys);
    const select = byId<HTMLSelectElement>("machine");
    select.replaceChildren(...machines.map((machine) => h("option", { value: machine.stateMachineArn }, machine.name)));
    select.addEventListener("change", () => (location.hash = hashOf(machines.find((m) => m.stateMachineArn === select.value)!.name)));
    const sagaMachine = machines.find((machine) => machine.stateMachineArn === page.sagaMachine);
    if (!readHash().machine && sagaMachine) history.replaceState(null, "", hashOf(sagaMachine.name));
    if (machines.length === 0) {
        byId("graph").textContent = "The program deployed no state machine.";
        return;
    }
    setUpStartForm(api, page.program && sagaMachine ? page.program : undefined, page.form, ({ id }) => {
        location.hash = hashOf(sagaMachine!.name, id);
    });
    window.addEventListener("hashchange", () => void followHash().catch((error: Error) => trouble(error.message)));
    await followHash();
    // Polls while the page is in view: a hidden tab asks the cloud nothing.
    const poll = () => setTimeout(() => void (document.hidden ? Promise.resolve() : refresh()).finally(poll), POLL_MS);
    poll();
    document.body.dataset.ready = "true";
}

start().catch((error: Error) => trouble(`The console could not start: ${error.message}`));
