// The console's picture of a state machine: every top-level state of its definition as a node,
// coloured by the part it plays in the saga, every transition as an edge, laid out in lanes (a
// saga) or by dagre (any other machine). Pure (no DOM): the page draws the result as SVG, and the tests read it in Node.
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

/** Gaps between lanes and between rows, in SVG user units. */
const LANE_GAP = 46;
const ROW_GAP = 18;

interface Cell {
    lane: number;
    row: number;
}

/**
 * The saga's states in lanes, when the definition reads as a saga whose run is one line: the
 * success path down the first lane; each state its Catch leads to beside it, in the same row (a
 * reserve's compensation beside it, a compensation's failure record beside that); a state that
 * catches into a placed one in that one's row; what only follows (the ends, a summary) one row on,
 * in the direction its chain runs. Lanes: the success path, the first compensation chain, the
 * failure records, everything else. So every Catch is a short horizontal arrow and no two cross.
 * Undefined when the definition does not fit (a Choice on the path, two states in one cell).
 */
export function sagaLanes(asl: Asl, edges: Omit<GraphEdge, "points">[]): Map<string, Cell> | undefined {
    const success = successStates(asl);
    const path: string[] = [];
    for (let name: string | undefined = asl.StartAt; name !== undefined && success.has(name) && !path.includes(name); ) {
        const state: AslState = asl.States[name];
        if (state.Type === "Choice" || state.Type === "Parallel" || state.Type === "Map") return undefined;
        path.push(name);
        name = normalNext(state)[0];
    }
    if (path.length === 0 || path.length !== success.size) return undefined;
    const rows = new Map(path.map((name, row) => [name, row]));
    const names = Object.keys(asl.States);
    const catches = edges.filter((edge) => edge.kind === "catch");
    const nexts = edges.filter((edge) => edge.kind === "next");
    // Beside what catches into it, then beside what it catches into, until nothing more is placed.
    for (let grew = true; grew; ) {
        grew = false;
        for (const edge of catches) {
            const [placed, other] = rows.has(edge.from) ? [edge.from, edge.to] : [edge.to, edge.from];
            if (rows.has(placed) && !rows.has(other)) {
                rows.set(other, rows.get(placed)!);
                grew = true;
            }
        }
    }
    // The direction the compensations run: a Next between two placed states off the path.
    const along = nexts.find((edge) => !success.has(edge.from) && rows.has(edge.from) && rows.has(edge.to) && rows.get(edge.from) !== rows.get(edge.to));
    const direction = along && rows.get(along.to)! < rows.get(along.from)! ? -1 : 1;
    for (let grew = true; grew; ) {
        grew = false;
        for (const name of names.filter((candidate) => !rows.has(candidate))) {
            const before = edges.filter((edge) => edge.to === name && rows.has(edge.from)).map((edge) => rows.get(edge.from)!);
            if (before.length === 0) continue;
            rows.set(name, direction < 0 ? Math.min(...before) - 1 : Math.max(...before) + 1);
            grew = true;
        }
    }
    if (rows.size !== names.length) return undefined;
    // The first compensation chain: what the path's Catches lead to, then their Nexts.
    const chain = new Set<string>();
    const follow = (name: string) => {
        if (chain.has(name) || success.has(name) || isQueueRecord(asl.States[name])) return;
        chain.add(name);
        normalNext(asl.States[name]).forEach(follow);
    };
    for (const edge of catches) if (success.has(edge.from)) follow(edge.to);
    const laneOf = (name: string) => (success.has(name) ? 0 : chain.has(name) ? 1 : isQueueRecord(asl.States[name]) ? 2 : 3);
    const used = [...new Set(names.map(laneOf))].sort();
    const top = Math.min(...rows.values());
    const cells = new Map(names.map((name) => [name, { lane: used.indexOf(laneOf(name)), row: rows.get(name)! - top }]));
    const taken = new Set([...cells.values()].map((cell) => `${cell.lane}/${cell.row}`));
    return taken.size === cells.size ? cells : undefined;
}

type Unplaced = Omit<GraphNode, "x" | "y">;

/** Places the states in their cells, each lane as wide as its widest state, and routes every edge between them. */
function placeInLanes(nodes: Unplaced[], edges: Omit<GraphEdge, "points">[], cells: Map<string, Cell>): MachineGraph {
    const margin = 4;
    const lanes = Math.max(...[...cells.values()].map((cell) => cell.lane)) + 1;
    const rowCount = Math.max(...[...cells.values()].map((cell) => cell.row)) + 1;
    const laneWidth = Array.from({ length: lanes }, (_, lane) => Math.max(0, ...nodes.filter((n) => cells.get(n.name)!.lane === lane).map((n) => n.width)));
    const rowHeight = Array.from({ length: rowCount }, (_, row) => Math.max(0, ...nodes.filter((n) => cells.get(n.name)!.row === row).map((n) => n.height)));
    const laneX = laneWidth.map((_, lane) => margin + laneWidth.slice(0, lane).reduce((sum, w) => sum + w + LANE_GAP, 0) + laneWidth[lane] / 2);
    const rowY = rowHeight.map((_, row) => margin + rowHeight.slice(0, row).reduce((sum, h) => sum + h + ROW_GAP, 0) + rowHeight[row] / 2);
    const placed = nodes.map((node) => ({ ...node, x: laneX[cells.get(node.name)!.lane], y: rowY[cells.get(node.name)!.row] }));
    const at = new Map(placed.map((node) => [node.name, node]));
    const gapX = (from: number, to: number) => (laneX[from] + laneWidth[from] / 2 + laneX[to] - laneWidth[to] / 2) / 2;
    const route = (edge: Omit<GraphEdge, "points">): Point[] => {
        const [from, to] = [at.get(edge.from)!, at.get(edge.to)!];
        const [source, target] = [cells.get(edge.from)!, cells.get(edge.to)!];
        const across = Math.sign(target.lane - source.lane);
        const down = Math.sign(target.row - source.row);
        if (across === 0) {
            const [start, end] = [{ x: from.x, y: from.y + (down * from.height) / 2 }, { x: to.x, y: to.y - (down * to.height) / 2 }];
            if (Math.abs(target.row - source.row) === 1) return [start, end];
            // Past the states between them: out to the right of the lane and back.
            const aside = from.x + laneWidth[source.lane] / 2 + LANE_GAP / 3;
            return [{ x: from.x + from.width / 2, y: from.y }, { x: aside, y: from.y }, { x: aside, y: to.y }, { x: to.x + to.width / 2, y: to.y }];
        }
        // Beside it in its row: straight across, side to side.
        if (down === 0) return [{ x: from.x + (across * from.width) / 2, y: from.y }, { x: to.x - (across * to.width) / 2, y: to.y }];
        // To another row: out of the face toward it, through the gap between the rows (and up or
        // down the gap between the lanes), into the target's facing side, off its middle, so that
        // the sides stay for the arrows across and the middles for the lane's own.
        const start = { x: from.x + (across * from.width) / 4, y: from.y + (down * from.height) / 2 };
        const end = { x: to.x - (across * to.width) / 4, y: to.y - (down * to.height) / 2 };
        const leave = rowY[source.row] + down * (rowHeight[source.row] / 2 + ROW_GAP / 2);
        const arrive = rowY[target.row] - down * (rowHeight[target.row] / 2 + ROW_GAP / 2);
        if (leave === arrive) return [start, { x: start.x, y: leave }, { x: end.x, y: arrive }, end];
        const trunk = gapX(Math.min(source.lane, target.lane), Math.max(source.lane, target.lane));
        return [start, { x: start.x, y: leave }, { x: trunk, y: leave }, { x: trunk, y: arrive }, { x: end.x, y: arrive }, end];
    };
    const width = laneX[lanes - 1] + laneWidth[lanes - 1] / 2 + margin;
    const height = rowY[rowCount - 1] + rowHeight[rowCount - 1] / 2 + margin;
    return { nodes: placed, edges: edges.map((edge) => ({ ...edge, points: route(edge) })), width: Math.ceil(width + LANE_GAP / 3), height: Math.ceil(height) };
}

/**
 * Places the graph: a saga in lanes (sagaLanes), any other machine top to bottom by dagre, where
 * Catch edges weigh little, so the forward chain stays straight and the errors branch off it.
 */
export function layoutMachine(asl: Asl): MachineGraph {
    const { nodes, edges } = graphOf(asl);
    const cells = sagaLanes(asl, edges);
    if (cells) return placeInLanes(nodes, edges, cells);
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

/** How many pairs of edges cross (as the polylines through their points; meeting at a state is no crossing). */
export function crossings(graph: MachineGraph): number {
    type Segment = [Point, Point];
    const segments = graph.edges.map((edge) => edge.points.slice(1).map((point, i): Segment => [edge.points[i], point]));
    const turn = (a: Point, b: Point, c: Point) => Math.sign((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));
    const cross = ([p, q]: Segment, [r, t]: Segment) => turn(p, q, r) * turn(p, q, t) < 0 && turn(r, t, p) * turn(r, t, q) < 0;
    let count = 0;
    segments.forEach((mine, i) => segments.slice(i + 1).forEach((theirs) => (count += mine.some((a) => theirs.some((b) => cross(a, b))) ? 1 : 0)));
    return count;
}
