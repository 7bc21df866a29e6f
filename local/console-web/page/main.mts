// The console's page: the machine as a graph, its executions (polled every second, newest first,
// filtered by outcome), the selected one's path, timeline, records and failure records, and a
// form to start a saga. The address says what is shown (#/<machine>/<execution>), so the back
// button and a shared link work.
import { parseAsl } from "../../../components/model/asl";
import { ConsoleApi, ExecutionItem, StateMachineItem } from "../api";
import { ExecutionOutcome, outcomeOf } from "../../../components/model/outcomes";
import { HistoryEvent, OUTCOME_LABELS, visitsOf } from "../execution";
import { layoutMachine } from "../graph";
import { discoverStartForm, ProgramApi, programApiOf, statusPathOf } from "../program";
import { ExecutionDetails, outcomeBadge, renderDetails } from "./details.mjs";
import { byId, clock, duration, h } from "./dom.mjs";
import { drawGraph, GraphView, legend } from "./graph-view.mjs";
import { setUpStartForm } from "./start.mjs";

const POLL_MS = 1000;
/** The newest executions listed: ListExecutions' first page. */
const LIST_MAX = 200;

const api = new ConsoleApi("");

interface Closed {
    status: string;
    error?: string;
    cause?: string;
}

const page = {
    machines: [] as StateMachineItem[],
    machine: undefined as StateMachineItem | undefined,
    graph: undefined as GraphView | undefined,
    program: undefined as ProgramApi | undefined,
    executions: [] as ExecutionItem[],
    /** DescribeExecution of each ended execution: it never changes again. */
    closed: new Map<string, Closed>(),
    selected: undefined as string | undefined,
    /** executionArn and status of the details shown: they are read again when either changes, and while it runs. */
    shown: "",
    listSignature: "",
};

const outcomeOfItem = (item: ExecutionItem): ExecutionOutcome | undefined =>
    item.status === "FAILED" ? (page.closed.has(item.executionArn) ? outcomeOf("FAILED", page.closed.get(item.executionArn)!.error) : undefined) : outcomeOf(item.status, undefined);

const hashOf = (machine: string, execution?: string) => `#/${encodeURIComponent(machine)}${execution ? `/${encodeURIComponent(execution)}` : ""}`;

function readHash(): { machine?: string; execution?: string } {
    const [machine, execution] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    return { machine: machine || undefined, execution: execution || undefined };
}

async function showMachine(machine: StateMachineItem): Promise<void> {
    page.machine = machine;
    page.executions = [];
    page.listSignature = "";
    page.shown = "";
    byId<HTMLSelectElement>("machine").value = machine.stateMachineArn;
    const asl = parseAsl(await api.definition(machine.stateMachineArn));
    if ("error" in asl) throw new Error(`The definition of ${machine.name} ${asl.error}.`);
    page.graph = drawGraph(byId("graph"), layoutMachine(asl));
    byId("machine-heading").textContent = `State machine ${machine.name}`;
}

function renderList(): void {
    const filter = byId<HTMLSelectElement>("outcome-filter").value;
    const items = page.executions.filter((item) => filter === "" || outcomeOfItem(item) === filter);
    const signature = JSON.stringify([filter, page.selected, items.map((item) => [item.executionArn, item.status, outcomeOfItem(item)])]);
    const counts = new Map<string, number>();
    for (const item of page.executions) {
        const outcome = outcomeOfItem(item) ?? "";
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    }
    for (const option of byId<HTMLSelectElement>("outcome-filter").options) {
        const label = option.value === "" ? "every outcome" : OUTCOME_LABELS[option.value as ExecutionOutcome];
        option.textContent = `${label} (${option.value === "" ? page.executions.length : (counts.get(option.value) ?? 0)})`;
    }
    const list = byId("execution-list");
    if (signature !== page.listSignature) {
        const focused = (document.activeElement as HTMLElement | null)?.closest("li")?.dataset.name;
        page.listSignature = signature;
        list.replaceChildren(
            ...items.map((item) => {
                const outcome = outcomeOfItem(item);
                const current = item.name === page.selected;
                return h(
                    "li",
                    { "data-name": item.name, "data-outcome": outcome ?? "" },
                    h(
                        "a",
                        { href: hashOf(page.machine!.name, item.name), "aria-current": current ? "true" : undefined },
                        h("span", { class: "name" }, item.name),
                        outcome ? outcomeBadge(outcome) : h("span", { class: "outcome" }, "…"),
                        h("span", { class: "started" }, clock(item.startDate * 1000)),
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
    byId("list-note").textContent =
        page.executions.length === 0
            ? "No executions yet: start a saga."
            : page.executions.length === LIST_MAX
              ? `The newest ${LIST_MAX} executions.`
              : items.length === 0
                ? "None with this outcome."
                : "";
}

async function loadDetails(): Promise<void> {
    const container = byId("execution-details");
    const item = page.executions.find((candidate) => candidate.name === page.selected);
    if (!item) {
        page.shown = "";
        page.graph?.mark(undefined);
        byId("execution-heading").textContent = "Execution";
        container.replaceChildren(h("p", { class: "muted" }, page.selected ? `No execution ${page.selected} of this machine.` : "Select an execution to see its path, timeline, records and failure records."));
        return;
    }
    const key = `${item.executionArn} ${item.status}`;
    if (key === page.shown && item.status !== "RUNNING") return;
    const [events, described, status, messages] = await Promise.all([
        api.history<HistoryEvent>(item.executionArn),
        page.closed.get(item.executionArn) ?? api.describeExecution(item.executionArn),
        page.program?.statusPath ? api.get<{ records?: Record<string, unknown>[]; message?: string; outcome?: string }>(statusPathOf(page.program, item.name)!) : undefined,
        api.queueMessages(),
    ]);
    if (page.selected !== item.name) return;
    const visits = visitsOf(events);
    const details: ExecutionDetails = {
        execution: item,
        outcome: outcomeOf(item.status, described.error),
        error: described.error,
        cause: described.cause,
        visits,
        status: status && { code: status.status, records: status.body.records ?? [], message: status.body.message, outcome: status.body.outcome },
        failures: messages.filter((message) => message.json?.executionArn === item.executionArn),
    };
    byId("execution-heading").textContent = `Execution ${item.name}`;
    renderDetails(container, details);
    page.graph?.mark(visits);
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
            const items = await api.executions(machine.stateMachineArn, LIST_MAX);
            const unknown = items.filter((item) => item.status !== "RUNNING" && !page.closed.has(item.executionArn));
            await Promise.all(unknown.map(async (item) => page.closed.set(item.executionArn, await api.describeExecution(item.executionArn))));
            if (page.machine !== machine) return;
            page.executions = items;
            renderList();
            await loadDetails();
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
    const { machine, execution } = readHash();
    const wanted = page.machines.find((candidate) => candidate.name === machine) ?? page.machine ?? page.machines[0];
    if (wanted && wanted !== page.machine) await showMachine(wanted);
    page.selected = execution;
    await refresh();
    // A refresh already under way when the address changed may have read the previous selection.
    renderList();
    await loadDetails().catch((error: Error) => trouble(`Cannot read ${execution}: ${error.message}`));
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
    byId("stack").textContent = `${overview.project}, stack ${overview.stack}`;
    byId("legend").replaceWith(legend());
    const filter = byId<HTMLSelectElement>("outcome-filter");
    filter.replaceChildren(h("option", { value: "" }), ...Object.keys(OUTCOME_LABELS).map((outcome) => h("option", { value: outcome })));
    filter.addEventListener("change", renderList);
    byId("refresh").addEventListener("click", () => void refresh());
    byId("execution-list").addEventListener("keydown", listKeys);
    const select = byId<HTMLSelectElement>("machine");
    select.replaceChildren(...machines.map((machine) => h("option", { value: machine.stateMachineArn }, machine.name)));
    select.addEventListener("change", () => (location.hash = hashOf(machines.find((m) => m.stateMachineArn === select.value)!.name)));
    const output = machines.find((machine) => machine.stateMachineArn === overview.outputs.stateMachineArn);
    if (!readHash().machine && output) history.replaceState(null, "", hashOf(output.name));
    if (machines.length === 0) {
        byId("graph").textContent = "The program deployed no state machine.";
        return;
    }
    setUpStartForm(api, page.program, page.program && (await discoverStartForm(api, page.program)), ({ id, executionArn }) => {
        const machine = machines.find((candidate) => executionArn.includes(`:execution:${candidate.name}:`)) ?? page.machine!;
        location.hash = hashOf(machine.name, id);
    });
    window.addEventListener("hashchange", () => void followHash().catch((error: Error) => trouble(error.message)));
    await followHash();
    // Polls while the page is in view: a hidden tab asks the cloud nothing.
    const poll = () => setTimeout(() => void (document.hidden ? Promise.resolve() : refresh()).finally(poll), POLL_MS);
    poll();
    document.body.dataset.ready = "true";
}

start().catch((error: Error) => trouble(`The console could not start: ${error.message}`));
