// Draws a laid-out machine as SVG, and marks on it the path one execution took: each state it
// entered (numbered in order), how it left it (succeeded, caught, failed, ...), whether it was
// retried, and the transitions it followed.
import { GraphNode, LABEL, MachineGraph, Point } from "../graph";
import { Visit, VISIT_RESULT_LABELS } from "../execution";
import { h, s } from "./dom.mjs";

export const KIND_LABELS = {
    forward: "forward action",
    compensation: "compensation",
    record: "failure record",
    end: "end state",
    other: "other state",
} as const;

export interface GraphView {
    /** Marks an execution's path, and the state opened (each entered state a link, `hrefOf` its last visit); none: the machine alone. */
    mark(visits: Visit[] | undefined, opened?: number, hrefOf?: (order: number) => string): void;
}

/** A polyline through dagre's points, its corners rounded. */
function pathData(points: Point[]): string {
    if (points.length === 0) return "";
    const [first, ...rest] = points;
    let d = `M${first.x},${first.y}`;
    rest.forEach((point, i) => {
        const next = rest[i + 1];
        if (!next) return void (d += ` L${point.x},${point.y}`);
        // A quadratic curve through each inner point, from and to the midpoints of its segments.
        d += ` Q${point.x},${point.y} ${(point.x + next.x) / 2},${(point.y + next.y) / 2}`;
    });
    return d;
}

function nodeTitle(node: GraphNode): string {
    const saga = node.step ? `, step ${node.step} (${node.role})` : "";
    return `${node.name}: ${node.type} state, ${KIND_LABELS[node.kind]}${saga}`;
}

function drawNode(node: GraphNode): SVGAElement {
    const left = node.x - node.width / 2;
    const top = node.y - node.height / 2;
    const round = node.kind === "end" ? node.height / 2 : 6;
    // "(after a failed compensation)" and what follows it qualify the name.
    const qualified = node.lines.findIndex((line) => line.startsWith("("));
    const qualifierFrom = qualified < 0 ? node.lines.length : qualified;
    // A link once the state was entered (it opens the state's visit), so the keyboard reaches it.
    return s(
        "a",
        { class: `node kind-${node.kind}`, "data-state": node.name, "data-kind": node.kind, transform: `translate(${left},${top})` },
        s("title", {}, nodeTitle(node)),
        s("rect", { width: node.width, height: node.height, rx: round, ry: round }),
        ...node.lines.map((line, i) =>
            s("text", { x: node.width / 2, y: LABEL.padY + LABEL.lineHeight * (i + 0.5), class: i >= qualifierFrom ? "qualifier" : undefined }, line),
        ),
        s("g", { class: "badge", transform: `translate(${node.width},0)` }, s("circle", { r: 10 }), s("text", { class: "order" })),
        s("text", { class: "retries", x: -5, y: node.height / 2 }),
    );
}

export function drawGraph(container: HTMLElement, graph: MachineGraph): GraphView {
    const pad = 12;
    const edges = graph.edges.map((edge) =>
        s("path", { class: `edge edge-${edge.kind}`, "data-from": edge.from, "data-to": edge.to, d: pathData(edge.points), "marker-end": "url(#arrow)" }),
    );
    const nodes = new Map(graph.nodes.map((node) => [node.name, drawNode(node)]));
    const svg = s(
        "svg",
        {
            viewBox: `${-pad} ${-pad} ${graph.width + 2 * pad} ${graph.height + 2 * pad}`,
            width: graph.width + 2 * pad,
            role: "group",
            "aria-label": `The state machine's ${graph.nodes.length} states and their transitions; a state an execution entered opens what went in and out of it. The timeline lists the path as text.`,
        },
        s(
            "defs",
            {},
            s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, s("path", { d: "M0,0 L10,5 L0,10 z" })),
        ),
        s("g", { class: "edges" }, ...edges),
        s("g", { class: "nodes" }, ...nodes.values()),
    );
    container.replaceChildren(svg);

    const titles = new Map(graph.nodes.map((node) => [node.name, nodeTitle(node)]));
    /** One state's marks: the order in which the run entered it, how it left it, its retries. */
    const markNode = (name: string, element: SVGAElement, mine: Visit[], opened: number | undefined, hrefOf: ((order: number) => string) | undefined) => {
        const last = mine.at(-1);
        const orders = mine.map((visit) => visit.order);
        const retries = mine.reduce((sum, visit) => sum + Math.max(0, visit.attempts.length - 1), 0);
        element.classList.toggle("visited", last !== undefined);
        for (const result of Object.keys(VISIT_RESULT_LABELS)) element.classList.toggle(`result-${result}`, last?.result === result);
        element.classList.toggle("retried", retries > 0);
        if (last) element.setAttribute("data-order", orders.join(" "));
        else element.removeAttribute("data-order");
        element.querySelector(".order")!.textContent = orders.join(",");
        element.querySelector(".retries")!.textContent = retries > 0 ? `\u21bb${retries}` : "";
        const path = last ? ` \u2014 step ${orders.join(", ")}: ${VISIT_RESULT_LABELS[last.result]}${retries > 0 ? `, retried ${retries} times` : ""}` : "";
        element.querySelector("title")!.textContent = titles.get(name)! + path;
        element.classList.toggle("opened", mine.some((visit) => visit.order === opened));
        if (last && hrefOf) element.setAttribute("href", hrefOf(last.order));
        else element.removeAttribute("href");
    };

    return {
        mark(visits, opened, hrefOf) {
            svg.classList.toggle("has-path", visits !== undefined);
            for (const [name, element] of nodes) markNode(name, element, visits?.filter((visit) => visit.name === name) ?? [], opened, hrefOf);
            const followed = new Set((visits ?? []).slice(1).map((visit, i) => `${visits![i].name}\u0000${visit.name}`));
            for (const edge of edges) edge.classList.toggle("on-path", followed.has(`${edge.dataset.from}\u0000${edge.dataset.to}`));
        },
    };
}

/** The legend: what the colours of the states and the marks of a path mean. */
export function legend(): HTMLUListElement {
    const item = (className: string, label: string) => h("li", {}, h("span", { class: `swatch ${className}`, "aria-hidden": "true" }), label);
    return h(
        "ul",
        { class: "legend" },
        ...Object.entries(KIND_LABELS)
            .filter(([kind]) => kind !== "other")
            .map(([kind, label]) => item(`kind-${kind}`, label)),
        item("result-succeeded", "entered"),
        item("result-caught", "failed, caught"),
        item("result-failed", "failed"),
        item("result-running", "running"),
    );
}
