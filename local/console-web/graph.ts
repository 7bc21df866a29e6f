// The console's picture of a state machine: every top-level state of its definition as a node,
// coloured by the part it plays in the saga, every transition as an edge, laid out by dagre. Pure
// (no DOM): the page draws the result as SVG, and the tests read it in Node.
//
// A Task's kind comes first from its Comment (`saga:step=Hotel saga:role=cancel`, the machine
// saying what it runs), else from the definition's structure, as the policy pack reads any saga:
// the success path's Tasks go forward, the other Tasks a run reaches compensate, and a Task that
// sends to SQS records a failure.
import { EdgeLabel, Graph, GraphLabel, layout, NodeLabel } from "@dagrejs/dagre";
import { parseTaskComment } from "../../components/model/conventions";
import { Asl, AslState, catchersOf, isQueueRecord, normalNext, successStates } from "../../components/model/asl";
import { readSaga } from "../../components/model/saga-reader";

export type StateKind = "forward" | "compensation" | "record" | "end" | "other";

/** How one state leads to another: when it ends normally, or when a Catch takes its error. */
export type EdgeKind = "next" | "catch";

export interface Point {
    x: number;
    y: number;
}

export interface GraphNode {
    name: string;
    /** The ASL type: Task, Pass, Succeed, Fail, ... */
    type: string;
    kind: StateKind;
    /** From the Task's Comment, when it follows the saga convention. */
    step?: string;
    role?: string;
    /** The label, cut where a long name reads best on two lines. */
    lines: string[];
    /** Centre and size. */
    x: number;
    y: number;
    width: number;
    height: number;
}

export interface GraphEdge {
    from: string;
    to: string;
    kind: EdgeKind;
    points: Point[];
}

export interface MachineGraph {
    nodes: GraphNode[];
    edges: GraphEdge[];
    width: number;
    height: number;
}

/** Sizes in SVG user units; the page's font is ~13 px, so a character is ~7.2 wide. */
const CHAR_WIDTH = 7.2;
export const LABEL = { lineHeight: 16, padX: 12, padY: 7 } as const;

/** What the definition says of its states as a whole: its success path and its saga reading. */
interface Context {
    successPath: Set<string>;
    compensations: string[];
}

function kindOf(name: string, state: AslState, comment: { role: string } | undefined, context: Context): StateKind {
    if (state.Type === "Succeed" || state.Type === "Fail") return "end";
    if (comment) return comment.role === "cancel" ? "compensation" : "forward";
    if (isQueueRecord(state)) return "record";
    if (context.successPath.has(name)) return "forward";
    if (context.compensations.includes(name)) return "compensation";
    // Off the success path, a state that runs nothing (e.g. the summary of failed compensations) keeps the books.
    return state.Type === "Task" ? "other" : "record";
}

/** Lines longer than this are cut in two at the space nearest their middle. */
const MAX_LINE = 30;

/**
 * A state's name on as few short lines as reads well: "Cancel Flight (after a failed
 * compensation)" as the name, then its qualifier; "Record Payment compensation failure" in two.
 */
export function labelLines(name: string): string[] {
    const cut = name.indexOf(" (");
    const parts = cut > 0 ? [name.slice(0, cut), name.slice(cut + 1)] : [name];
    return parts.flatMap((part) => {
        const spaces = [...part.matchAll(/ /g)].map((match) => match.index!);
        if (part.length <= MAX_LINE || spaces.length === 0) return [part];
        const middle = spaces.reduce((best, at) => (Math.abs(at - part.length / 2) < Math.abs(best - part.length / 2) ? at : best));
        return [part.slice(0, middle), part.slice(middle + 1)];
    });
}

/** The nodes and edges of a definition's top level, not yet placed. */
export function graphOf(asl: Asl): { nodes: Omit<GraphNode, "x" | "y">[]; edges: Omit<GraphEdge, "points">[] } {
    const context = { successPath: successStates(asl), compensations: readSaga(asl).compensations };
    const nodes = Object.entries(asl.States).map(([name, state]) => {
        const comment = state.Type === "Task" ? parseTaskComment(state.Comment) : undefined;
        const lines = labelLines(name);
        return {
            name,
            type: String(state.Type),
            kind: kindOf(name, state, comment, context),
            ...(comment ? { step: comment.step, role: comment.role } : {}),
            lines,
            width: Math.ceil(Math.max(...lines.map((line) => line.length)) * CHAR_WIDTH + 2 * LABEL.padX),
            height: lines.length * LABEL.lineHeight + 2 * LABEL.padY,
        };
    });
    // One edge per pair of states: a failure record's Catch goes where its Next goes.
    const edges = new Map<string, Omit<GraphEdge, "points">>();
    for (const [from, state] of Object.entries(asl.States)) {
        const targets: [string, EdgeKind][] = [
            ...normalNext(state).map((to): [string, EdgeKind] => [to, "next"]),
            ...catchersOf(state).map((catcher): [string, EdgeKind] => [catcher.Next, "catch"]),
        ];
        for (const [to, kind] of targets) {
            if (asl.States[to] && !edges.has(`${from}\u0000${to}`)) edges.set(`${from}\u0000${to}`, { from, to, kind });
        }
    }
    return { nodes, edges: [...edges.values()] };
}

/**
 * Places the graph top to bottom. Catch edges weigh little, so the forward chain and the
 * compensation chain each stay straight and the errors cross between them.
 */
export function layoutMachine(asl: Asl): MachineGraph {
    const { nodes, edges } = graphOf(asl);
    const graph = new Graph<GraphLabel, NodeLabel, EdgeLabel>();
    graph.setGraph({ rankdir: "TB", nodesep: 22, ranksep: 26, edgesep: 10, marginx: 4, marginy: 4 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const node of nodes) graph.setNode(node.name, { width: node.width, height: node.height });
    for (const edge of edges) graph.setEdge(edge.from, edge.to, { weight: edge.kind === "next" ? 4 : 1, minlen: 1 });
    layout(graph);
    const size = graph.graph();
    return {
        nodes: nodes.map((node) => {
            const placed = graph.node(node.name);
            return { ...node, x: placed.x ?? 0, y: placed.y ?? 0 };
        }),
        edges: edges.map((edge) => ({ ...edge, points: (graph.edge(edge.from, edge.to).points ?? []).map(({ x, y }) => ({ x, y })) })),
        width: Math.ceil(size.width ?? 0),
        height: Math.ceil(size.height ?? 0),
    };
}
