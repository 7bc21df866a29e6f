// The real pack, as its own process, over the analyzer gRPC protocol (what `npm run policy` and
// the Pulumi CLI do), fed the travel stack of index.ts under Pulumi mocks.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { loadProjectSettings } from "../../harness/config";
import { Diagnostic, PolicyPackProcess, formatReport, runPack } from "../../policy-pack/ci/analyzer";
import { captureProgram } from "../../policy-pack/ci/capture";
import { UNKNOWN_STRING_SENTINEL } from "../../policy-pack/analysis/values";
import { LAMBDA_RUNTIME_DEFAULTS } from "../../policy-pack/policies/lambda-runtime";
import { CapturedResource, travelStack } from "../support/policy-stack";

const ALLOWED_RUNTIMES = LAMBDA_RUNTIME_DEFAULTS.allowedRuntimes.map((r) => `"${r}"`).join(", ");

/** A copy of the stack in which `change` edits one resource's inputs and outputs alike. */
function broken(stack: CapturedResource[], type: string, name: string, change: (props: Record<string, any>) => void): CapturedResource[] {
    const copy = structuredClone(stack);
    const found = copy.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`No ${type} named ${name} in the mocked stack.`);
    change(found.inputs);
    change(found.outputs);
    return copy;
}

const MACHINE = "aws:sfn/stateMachine:StateMachine";
const editDefinition = (change: (asl: { States: Record<string, any> }) => void) => (props: Record<string, any>) => {
    const asl = JSON.parse(props.definition);
    change(asl);
    props.definition = JSON.stringify(asl);
};
const summary = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `[${d.enforcement}] ${d.policy}: ${d.message}`);

// The pack's process takes seconds to load: root-level hooks start it at the run's beginning, at the
// lowest CPU priority (it loads on what the test files before this one leave idle), and end it.
let packStarting: Promise<PolicyPackProcess> | undefined;
// At the lowest priority it may wait a while for a core: only a pack that never answers fails.
const startedPack = () => (packStarting ??= PolicyPackProcess.start({ lowestPriority: true, timeoutMs: 120_000 }));
before(() => void startedPack().catch(() => undefined));
after(async () => (await packStarting?.catch(() => undefined))?.close());

describe("the policy pack over gRPC, as the Pulumi CLI runs it", function () {
    this.timeout(60_000);
    let pack: PolicyPackProcess;
    let stack: CapturedResource[];

    before(async () => {
        [pack, stack] = await Promise.all([startedPack(), travelStack()]);
    });

    it("serves the pack's name, version and policies", async () => {
        const info = await pack.info();
        assert.equal(`${info.name}@${info.version}`, "saga-policies@0.1.0");
        assert.deepEqual(
            info.policies.filter((p) => p.enforcement === "mandatory").map((p) => p.name),
            [
                "saga-steps-have-compensators",
                "saga-compensations-retry",
                "saga-compensation-failures-recorded",
                "saga-compensation-failures-repaired",
                "saga-express-machine-safe",
                "saga-least-privilege",
                "lambda-runtime-supported",
            ],
        );
        assert.deepEqual(info.policies.find((p) => p.name === "saga-compensations-retry")?.configDefaults, { minimumRetries: 3 });
    });

    it("reports no violation on the travel stack (its testing switches off)", async () => {
        const { diagnostics } = await runPack(pack, stack);
        assert.deepEqual(summary(diagnostics), []);
    });

    it("reports no mandatory violation on the dev stack, and its failure injection as advisory", async () => {
        // What `npm run policy` checks: index.ts with Pulumi.dev.yaml, which turns failure injection on.
        const dev = await captureProgram(loadProjectSettings(path.join(__dirname, "..", ".."), "dev"));
        const { diagnostics } = await runPack(pack, dev);
        assert.deepEqual(diagnostics.filter((d) => d.enforcement === "mandatory"), []);
        const injected = (name: string) =>
            `[advisory] saga-testing-switches-off: Lambda "${name}" must have the saga's testing switches off outside demo and test stacks: SAGA_FAILURE_INJECTION is "true" (a request's run type can make a step fail on purpose). Leave SagaComponent's \`testing\` unset (all off) on this stack.`;
        const functions = ["hotel-reserve", "hotel-confirm", "hotel-cancel", "flight-reserve", "flight-confirm", "flight-cancel", "payment-reserve", "payment-cancel", "start"];
        assert.deepEqual(summary(diagnostics).sort(), functions.map((fn) => injected(`booking-${fn}`)).sort());
    });

    it("reports every mandatory violation of a broken stack", async () => {
        let bad = broken(stack, MACHINE, "booking-machine", editDefinition((asl) => {
            delete asl.States["Reserve Flight"].Catch;
            delete asl.States["Cancel Hotel"].Retry;
            asl.States["Cancel Flight"].Catch[0].Next = "Cancel Hotel (after a failed compensation)";
        }));
        bad = broken(bad, "aws:iam/rolePolicy:RolePolicy", "booking-hotel-reserve-policy", (props) => {
            const document = JSON.parse(props.policy);
            document.Statement[0].Action = ["dynamodb:*"];
            props.policy = JSON.stringify(document);
        });
        bad = broken(bad, "aws:lambda/function:Function", "booking-hotel-cancel", (props) => (props.runtime = "nodejs18.x"));
        bad = broken(bad, "aws:lambda/function:Function", "booking-payment-cancel", (props) => (props.tags["saga:role"] = "confirm"));
        bad = broken(bad, "aws:cloudwatch/logGroup:LogGroup", "booking-start-logs", (props) => delete props.retentionInDays);

        const { pack: name, diagnostics } = await runPack(pack, bad);
        const found = summary(diagnostics);
        const expected = [
            // The task's Comment still says what Refund Payment is: the tags contradict it.
            '[mandatory] saga-steps-have-compensators: State machine "booking-machine" must name the same step and role in the Comment of task "Refund Payment" as the tags of the Lambda it invokes: the Comment says "saga:step=Payment saga:role=cancel", but Lambda "booking-payment-cancel" is tagged saga:step=Payment, saga:role=confirm. The compensations are checked by the Comment; correct whichever is wrong.',
            '[mandatory] saga-steps-have-compensators: State machine "booking-machine" must catch every error of forward task "Reserve Flight" (step "Flight"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.',
            '[mandatory] saga-compensations-retry: State machine "booking-machine" must retry compensation "Cancel Hotel" on every error: add a Retry on ["States.ALL"] with MaxAttempts of at least 3, so a transient failure does not leave the step undone.',
            '[mandatory] saga-compensation-failures-recorded: State machine "booking-machine" must record the failure of compensation "Cancel Flight" durably: the path of its Catch sends nothing to a queue before it ends at "Compensation Failed". Send the failure to the dead-letter queue (an SQS sendMessage task) first.',
            '[mandatory] saga-least-privilege: Statement "TableAccess" of IAM policy "booking-hotel-reserve-policy" of step Lambda "booking-hotel-reserve" (saga "booking", step "Hotel", reserve) must not allow the wildcard action "dynamodb:*": list the actions the role needs.',
            `[mandatory] lambda-runtime-supported: Lambda "booking-hotel-cancel" must use a supported runtime: "nodejs18.x" is not one of ${ALLOWED_RUNTIMES}. Set runtime to "nodejs24.x".`,
            '[advisory] log-group-retention: Log group "booking-start-logs" must have a retention period: set retentionInDays (e.g. 14); without it the logs never expire.',
        ];
        for (const violation of expected) assert.ok(found.includes(violation), `missing:\n${violation}\nin:\n${found.join("\n")}`);
        const urnOf = (text: string) => diagnostics.find((d) => d.message.includes(text))?.urn;
        assert.equal(urnOf("must use a supported runtime"), "urn:pulumi:test::saga::aws:lambda/function:Function::booking-hotel-cancel");
        assert.equal(urnOf('must not allow the wildcard action "dynamodb:*"'), "urn:pulumi:test::saga::aws:iam/rolePolicy:RolePolicy::booking-hotel-reserve-policy");

        // What `npm run policy` prints: policy, enforcement, resource, message; mandatory first.
        const report = formatReport(name, diagnostics, bad.length).split("\n");
        assert.equal(report[0], `Policy pack saga-policies@0.1.0 over ${bad.length} resources`);
        const runtime = report.indexOf("[mandatory] lambda-runtime-supported");
        assert.deepEqual(report.slice(runtime, runtime + 3), [
            "[mandatory] lambda-runtime-supported",
            '  resource: aws:lambda/function:Function "booking-hotel-cancel"',
            `  Lambda "booking-hotel-cancel" must use a supported runtime: "nodejs18.x" is not one of ${ALLOWED_RUNTIMES}. Set runtime to "nodejs24.x".`,
        ]);
        const mandatory = diagnostics.filter((d) => d.enforcement === "mandatory").length;
        assert.equal(report.at(-1), `${mandatory} mandatory, 1 advisory violation(s).`);
    });

    it("in a first preview, says which checks could not run and still runs the tag check", async () => {
        // Both machines' definitions are built from ARNs that do not exist yet.
        let preview = broken(stack, MACHINE, "booking-machine", (props) => (props.definition = UNKNOWN_STRING_SENTINEL));
        preview = broken(preview, MACHINE, "booking-repair-machine", (props) => (props.definition = UNKNOWN_STRING_SENTINEL));
        preview = broken(preview, "aws:lambda/function:Function", "booking-payment-cancel", (props) => delete props.tags["saga:step"]);
        const { diagnostics } = await runPack(pack, preview);
        const notKnown = (machines: string) =>
            `the definition of state machine ${machines} is not known yet (a first preview builds it from ARNs that do not exist yet), so it was not checked; it is checked once known, e.g. by \`pulumi up\``;
        const cannot = (policy: string) => `can't run policy '${policy}' from policy pack 'saga-policies@v0.1.0' during preview`;
        assert.deepEqual(summary(diagnostics), [
            `[advisory] saga-compensations-retry: ${cannot("saga-compensations-retry")}: ${notKnown('"booking-machine"')}`,
            `[advisory] saga-compensation-failures-recorded: ${cannot("saga-compensation-failures-recorded")}: ${notKnown('"booking-machine"')}`,
            `[advisory] saga-compensations-retry: ${cannot("saga-compensations-retry")}: ${notKnown('"booking-repair-machine"')}`,
            `[advisory] saga-compensation-failures-recorded: ${cannot("saga-compensation-failures-recorded")}: ${notKnown('"booking-repair-machine"')}`,
            '[mandatory] saga-steps-have-compensators: Step Lambda "booking-payment-cancel" (saga "booking", cancel) must name its step: tag it with saga:step, as every cancel Lambda of a saga is.',
            // Payment has no cancel Lambda by its tags: whether the definition runs one (e.g. an existing function) waits for the definition.
            `[advisory] saga-steps-have-compensators: ${cannot("saga-steps-have-compensators")}: ${notKnown('"booking-machine", "booking-repair-machine"')}. The tag-based check did run; it found no cancel Lambda for step "Payment" of saga "booking", so its compensator can only be a task of the definition (e.g. an existing function, named by its Comment), which is checked with the definition`,
        ]);
    });

    it("applies the configuration it is sent, as --policy-pack-config does", async () => {
        const { diagnostics } = await runPack(pack, stack, { "saga-compensations-retry": { minimumRetries: 4 }, "log-group-retention": { enforcementLevel: "disabled" } });
        assert.equal(diagnostics.length, 5);
        assert.ok(diagnostics.every((d) => d.policy === "saga-compensations-retry" && d.enforcement === "mandatory"));
    });
});
