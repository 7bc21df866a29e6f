// The console's reading of what the AWS-shaped APIs answer, without a browser: the graph of any
// saga's definition (kinds, transitions, a layout whose states do not overlap), the outcomes it
// names (held to the status route's), the causes it shows and the start route's answers it reads.
// The page's own code is type-checked against the DOM by `npm run typecheck`.
import assert from "node:assert/strict";
import { SagaStep } from "../components/model/args";
import { afterFailedCompensation, buildSagaDefinition, recordFailureStateName } from "../components/model/definition";
import { buildRepairDefinition } from "../components/model/repair";
import { actionsOf, FixedStates, stateNameOf } from "../components/model/steps";
import { RUN_TYPE_PARAMETER as START_RUN_TYPE_PARAMETER } from "../handlers/lib/start";
import { RUN_TYPES } from "../handlers/travel/trip";
import { travelSteps } from "../handlers/travel/steps";
import { outcomeOf, SagaOutcomes } from "../components/model/outcomes";
import { causeLines, errorLine, isFinal, OUTCOME_LABELS, readableCause, reportLabel, SagaOutcome } from "../local/console-web/execution";
import { crossings, graphOf, labelLines, layoutMachine, sagaLanes, StateKind } from "../local/console-web/graph";
import { RUN_TYPE_PARAMETER, startFormOf, startQuery } from "../local/console-web/program";
import { Asl } from "../components/model/asl";

const step = (name: string, withConfirm = true): SagaStep => ({
    name,
    reserve: { module: `${name}.ts`, export: "reserve" },
    ...(withConfirm ? { confirm: { module: `${name}.ts`, export: "confirm" } } : {}),
    cancel: { module: `${name}.ts`, export: "cancel" },
});

const build = (steps: SagaStep[]): Asl =>
    buildSagaDefinition({
        steps,
        functionArns: Object.fromEntries(steps.flatMap((s) => actionsOf(s).map(({ role }) => [stateNameOf(s, role), `arn:aws:lambda:us-east-1:123456789012:function:${s.name}-${role}`]))),
        failureQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/failures",
    });

const SHAPES: Record<string, SagaStep[]> = {
    "the travel booking": travelSteps,
    // The order example's shape: a first step without a confirm, the others with one.
    "an order": [step("Payment", false), step("Stock"), step("Shipment")],
    "one step without a confirm": [step("Only", false)],
    "eight steps": Array.from({ length: 8 }, (_, i) => step(`Step${i + 1}`, i % 2 === 0)),
};

const buildRepair = (steps: SagaStep[]): Asl =>
    buildRepairDefinition({
        steps,
        functionArns: Object.fromEntries(steps.map((s) => [stateNameOf(s, "cancel"), `arn:aws:lambda:us-east-1:123456789012:function:${s.name}-cancel`])),
        outcomeFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:outcome",
        needsAttentionQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/needs-attention",
    });

/** Each state's kind, as the saga's own model says it should be drawn. */
function expectedKinds(steps: SagaStep[]): Record<string, StateKind> {
    const kinds: Record<string, StateKind> = {};
    steps.forEach((s, i) => {
        kinds[stateNameOf(s, "reserve")] = "forward";
        if (s.confirm) kinds[stateNameOf(s, "confirm")] = "forward";
        kinds[stateNameOf(s, "cancel")] = "compensation";
        if (i < steps.length - 1) kinds[afterFailedCompensation(stateNameOf(s, "cancel"))] = "compensation";
        kinds[recordFailureStateName(s)] = "record";
    });
    kinds[FixedStates.summarizeFailures] = "record";
    for (const end of [FixedStates.succeeded, FixedStates.rolledBack, FixedStates.compensationFailed]) kinds[end] = "end";
    return kinds;
}

const kindsOf = (asl: Asl) => Object.fromEntries(graphOf(asl).nodes.map((node) => [node.name, node.kind]));

describe("the console's graph of a state machine", () => {
    for (const [shape, steps] of Object.entries(SHAPES)) {
        describe(`of ${shape}`, () => {
            const asl = build(steps);

            it("draws every state, coloured by its part: forward, compensation, failure record, end", () => {
                assert.deepEqual(kindsOf(asl), expectedKinds(steps));
            });

            it("knows the parts from the structure alone when the Tasks carry no saga Comment", () => {
                const bare = structuredClone(asl);
                for (const state of Object.values(bare.States)) delete state.Comment;
                assert.deepEqual(kindsOf(bare), expectedKinds(steps));
            });

            it("draws one edge per transition: every Next and every Catch, once per pair of states", () => {
                const expected = new Set<string>();
                for (const [from, state] of Object.entries(asl.States)) {
                    if (typeof state.Next === "string") expected.add(`${from} -> ${state.Next}`);
                    for (const c of (state.Catch as { Next: string }[] | undefined) ?? []) expected.add(`${from} -> ${c.Next}`);
                }
                const edges = graphOf(asl).edges.map((e) => `${e.from} -> ${e.to}`);
                assert.equal(edges.length, expected.size);
                assert.deepEqual(new Set(edges), expected);
                const catches = graphOf(asl).edges.filter((e) => e.kind === "catch").map((e) => `${e.from} -> ${e.to}`);
                assert.ok(catches.includes(`${stateNameOf(steps[0], "reserve")} -> ${stateNameOf(steps[0], "cancel")}`));
            });

            it("lays it out with no two states overlapping, inside the drawing, each edge from its state to the next", () => {
                const graph = layoutMachine(asl);
                const box = (n: (typeof graph.nodes)[number]) => ({ left: n.x - n.width / 2, right: n.x + n.width / 2, top: n.y - n.height / 2, bottom: n.y + n.height / 2 });
                for (const node of graph.nodes) {
                    const b = box(node);
                    assert.ok(b.left >= 0 && b.top >= 0 && b.right <= graph.width + 0.5 && b.bottom <= graph.height + 0.5, `${node.name} is inside the drawing`);
                }
                graph.nodes.forEach((a, i) =>
                    graph.nodes.slice(i + 1).forEach((b) => {
                        const [p, q] = [box(a), box(b)];
                        assert.ok(p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top, `${a.name} and ${b.name} do not overlap`);
                    }),
                );
                const byName = new Map(graph.nodes.map((n) => [n.name, n]));
                for (const edge of graph.edges) {
                    assert.ok(edge.points.length >= 2, `${edge.from} -> ${edge.to} has a route`);
                    const [first, last] = [edge.points[0], edge.points.at(-1)!];
                    const near = (p: { x: number; y: number }, n: string) => {
                        const b = box(byName.get(n)!);
                        return p.x >= b.left - 1 && p.x <= b.right + 1 && p.y >= b.top - 1 && p.y <= b.bottom + 1;
                    };
                    assert.ok(near(first, edge.from) && near(last, edge.to), `${edge.from} -> ${edge.to} runs from the one to the other`);
                }
            });
        });
    }

    for (const [shape, steps] of Object.entries(SHAPES)) {
        it(`lays out ${shape} and its repair machine in lanes, no two edges crossing, every Catch across to the state beside`, () => {
            for (const asl of [build(steps), buildRepair(steps)]) {
                const { edges } = graphOf(asl);
                const cells = sagaLanes(asl, edges);
                assert.ok(cells, "the saga fits in lanes");
                assert.equal(crossings(layoutMachine(asl)), 0);
                // The success path down the first lane, one row after the other.
                const path = [...cells].filter(([, cell]) => cell.lane === 0).sort(([, a], [, b]) => a.row - b.row);
                assert.deepEqual(path.map(([, cell]) => cell.row - path[0][1].row), path.map((_, i) => i));
            }
            // Each reserve's compensation in the reserve's row, in the next lane.
            const cells = sagaLanes(build(steps), graphOf(build(steps)).edges)!;
            for (const s of steps) assert.deepEqual(cells.get(stateNameOf(s, "cancel")), { lane: 1, row: cells.get(stateNameOf(s, "reserve"))!.row });
        });
    }

    it("keeps an eight-step saga legible: states at full size, the drawing no wider than four lanes", () => {
        const graph = layoutMachine(build(SHAPES["eight steps"]));
        const widest = Math.max(...graph.nodes.map((n) => n.width));
        assert.ok(graph.width <= 4 * widest + 4 * 46 + 20, `${graph.width} wide`);
        assert.ok(graph.nodes.every((n) => n.height >= 30));
    });

    it("lays out a machine that is no saga top to bottom all the same", () => {
        const asl: Asl = { StartAt: "A", States: { A: { Type: "Pass", Next: "B" }, B: { Type: "Succeed" } } };
        assert.equal(sagaLanes(asl, graphOf(asl).edges)?.size, 2);
        const choice: Asl = { StartAt: "C", States: { C: { Type: "Choice", Choices: [{ Variable: "$.x", BooleanEquals: true, Next: "D" }], Default: "D" }, D: { Type: "Succeed" } } };
        assert.equal(sagaLanes(choice, graphOf(choice).edges), undefined);
        assert.equal(layoutMachine(choice).nodes.length, 2);
    });

    it("draws a Choice's branches and its default, and a state it cannot place as other", () => {
        const asl: Asl = {
            StartAt: "Check",
            States: {
                Check: { Type: "Choice", Choices: [{ Variable: "$.ok", BooleanEquals: true, Next: "Work" }], Default: "Give Up" },
                Work: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:123456789012:function:work", End: true },
                "Give Up": { Type: "Fail", Error: "No" },
                Orphan: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:123456789012:function:orphan", End: true },
            },
        };
        assert.deepEqual(kindsOf(asl), { Check: "forward", Work: "forward", "Give Up": "end", Orphan: "other" });
        assert.deepEqual(graphOf(asl).edges.map((e) => `${e.from} -> ${e.to}`), ["Check -> Work", "Check -> Give Up"]);
    });

    it("labels a long name on two lines: a qualifier apart, else cut at the space nearest the middle", () => {
        assert.deepEqual(labelLines("Cancel Flight (after a failed compensation)"), ["Cancel Flight", "(after a failed compensation)"]);
        assert.deepEqual(labelLines("Record Payment compensation failure"), ["Record Payment", "compensation failure"]);
        assert.deepEqual(labelLines("Reserve Hotel"), ["Reserve Hotel"]);
    });
});

describe("the console's reading of executions", () => {
    // Each execution status (and a failed one's error) with the outcome the status route and the page name.
    const cases: [string, string | undefined, string][] = [
        ["RUNNING", undefined, "running"],
        ["PENDING_REDRIVE", "Saga.RolledBack", "running"],
        ["SUCCEEDED", undefined, "succeeded"],
        ["FAILED", "Saga.RolledBack", "rolled_back"],
        ["FAILED", "Saga.CompensationFailed", "compensation_failed"],
        ["FAILED", "States.Runtime", "failed"],
        ["TIMED_OUT", "States.Timeout", "timed_out"],
        ["ABORTED", undefined, "aborted"],
    ];

    it("names each execution's outcome as the status route does (the model's outcomeOf), and has a label for every saga outcome, the repair's too", () => {
        for (const [status, error, outcome] of cases) assert.equal(outcomeOf(status, error), outcome, `${status} ${error}`);
        assert.throws(() => outcomeOf("LOST", undefined), /Unknown execution status "LOST"/);
        assert.deepEqual(new Set(Object.keys(OUTCOME_LABELS)), new Set(Object.values(SagaOutcomes)));
    });

    it("reads a cause: a function's error, a caught error, the saga's summary of failed compensations, without traces", () => {
        const fn = (type: string, message: string) => JSON.stringify({ errorType: type, errorMessage: message, trace: ["at /var/task/index.js:1"] });
        assert.equal(readableCause(fn("PaymentFailed", "Declined.")), "PaymentFailed: Declined.");
        const summary = JSON.stringify({ failure: { Error: "PaymentFailed", Cause: fn("PaymentFailed", "Declined.") }, compensationFailures: { Hotel: { Error: "Boom", Cause: fn("Boom", "No.") } } });
        assert.equal(readableCause(summary), "failure: PaymentFailed: Declined.; compensationFailures: Hotel: Boom: No.");
        assert.equal(readableCause("not JSON"), "not JSON");
        assert.equal(readableCause(undefined), "");
        assert.equal(errorLine("PaymentFailed", fn("PaymentFailed", "Declined.")), "PaymentFailed: Declined.");
        assert.equal(errorLine("States.Timeout", undefined), "States.Timeout");
        assert.equal(errorLine("Lambda.Unknown", "It broke."), "Lambda.Unknown: It broke.");
    });

    it("reads a cause in lines: one per failed step of the saga's summary, one per field of another object", () => {
        const fn = (type: string, message: string) => JSON.stringify({ errorType: type, errorMessage: message, trace: ["at /var/task/index.js:1"] });
        const summary = JSON.stringify({
            failure: { Error: "PaymentFailed", Cause: fn("PaymentFailed", "Declined.") },
            compensationFailures: { Hotel: { Error: "Boom", Cause: fn("Boom", "No.") }, Flight: { Error: "States.Timeout", Cause: "Timed out." } },
        });
        assert.deepEqual(causeLines(summary), ["failure: PaymentFailed: Declined.", "compensationFailures › Hotel: Boom: No.", "compensationFailures › Flight: States.Timeout: Timed out."]);
        assert.deepEqual(causeLines(fn("PaymentFailed", "Declined.")), ["PaymentFailed: Declined."]);
        assert.deepEqual(causeLines("not JSON"), ["not JSON"]);
        assert.deepEqual(causeLines(undefined), []);
    });

    it("words the status route's report: a repaired saga rolled back late, and which reports are its last word", () => {
        const report = (outcome: SagaOutcome, repairedFrom: SagaOutcome | null = null) => ({ outcome, repairedFrom, repairedAt: null, needsAttention: null });
        assert.equal(reportLabel(report("rolled_back", "compensation_failed")), "rolled back late");
        assert.equal(reportLabel(report("rolled_back")), "rolled back");
        assert.equal(reportLabel(report("needs_attention", "aborted")), "needs attention");
        assert.deepEqual(
            (Object.keys(OUTCOME_LABELS) as SagaOutcome[]).filter((outcome) => isFinal(report(outcome))),
            ["succeeded", "rolled_back", "needs_attention"],
        );
    });

    it("learns the start form from the program's startRequest output, and asks the API nothing", () => {
        const overview = (outputs: Record<string, unknown>) => ({ project: "p", stack: "s", region: "us-east-1", outputs, routes: {} });
        assert.equal(RUN_TYPE_PARAMETER, START_RUN_TYPE_PARAMETER);
        assert.deepEqual(startFormOf(overview({ startRequest: { idParameter: "tripID", runTypes: RUN_TYPES } })), { idParameter: "tripID", runTypes: RUN_TYPES, described: true });
        // Failure injection off: the program lists no run type, and the form offers none.
        assert.deepEqual(startFormOf(overview({ startRequest: { idParameter: "tripID", runTypes: [] } })), { idParameter: "tripID", runTypes: [], described: true });
        assert.deepEqual(startFormOf(overview({})), { runTypes: [], described: false });
        assert.deepEqual(startFormOf(overview({ startRequest: "tripID" })), { runTypes: [], described: false });
        assert.equal(startQuery({ idParameter: "tripID", runTypes: [] }, "trip-1", ""), "tripID=trip-1");
        assert.equal(startQuery({ runTypes: [] }, "trip-1", ""), "");
        assert.equal(startQuery({ idParameter: "orderID", runTypes: ["failStock"] }, "o 1", "failStock"), "orderID=o+1&runType=failStock");
    });
});
