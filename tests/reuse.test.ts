// Reuse: another team's Pulumi program (examples/order, an order saga: payment, stock, shipping)
// that depends on this package as a user's does (`import { SagaComponent } from "saga"`), with
// its own handlers, project and stack, deployed under Pulumi mocks as `pulumi up` would run it.
// Its own features (the secret, the queue grant, the existing function) are tests/order-example.test.ts;
// running it end to end is tests/cloud/order-local.test.ts.
import assert from "node:assert/strict";
import * as path from "node:path";
import { Tags } from "../components/model/conventions";
import type { AslDefinition } from "../components/model/definition";
import { loadProjectSettings } from "../harness/config";
import { deployProgram } from "../harness/harness";
import { PlainProvisioner, RecordedResource } from "../harness/plain";
import { archiveText } from "./support/mocks";
import { assertBuilt } from "./support/plugin";
import { assertValidAsl } from "./support/asl";
// eslint-disable-next-line @typescript-eslint/no-require-imports

const ROOT = path.resolve(__dirname, "..");
const EXAMPLE = path.join(ROOT, "examples", "order");
const FORWARD = ["Charge Card", "Hold Stock", "Book Courier", "Commit Stock", "Dispatch Shipment"];
const COMPENSATIONS = ["Refund Card", "Release Stock", "Cancel Shipment"];

describe("reusing SagaComponent from another program (examples/order, through the package)", () => {
    const plain = new PlainProvisioner();
    let definition: AslDefinition;
    const ofType = (type: string) => plain.recorded.filter((r) => r.type === type);
    const named = (type: string, name: string) => plain.recorded.find((r) => r.type === type && r.name === name)!;

    before(async () => {
        // "saga" is the built package (its `main`), as for a user: never test a stale build.
        assertBuilt();
        await deployProgram(loadProjectSettings(EXAMPLE, "dev", { paymentsApiKey: "sk_test_reuse" }), plain.newResource);
        definition = JSON.parse(ofType("aws:sfn/stateMachine:StateMachine")[0].inputs.definition);
    });

    it('resolves "saga" from the program to the package\'s entry point, the compiled dist/', () => {
        // The root package.json's workspace links node_modules/saga to this package; a user's `npm install` does the same.
        assert.equal(require.resolve("saga", { paths: [EXAMPLE] }), path.join(ROOT, "dist", "components", "index.js"));
        assert.deepEqual(
            ofType("saga:index:SagaComponent").map((r) => r.name),
            ["order"],
        );
    });

    it("creates one Lambda per handler module of the order's steps, tagged with the order saga's names, and its start and status", () => {
        const tagsOf = (r: RecordedResource) => [r.inputs.tags[Tags.step], r.inputs.tags[Tags.role]];
        const stepFunctions = ofType("aws:lambda/function:Function").filter((r) => r.inputs.tags[Tags.step] !== undefined);
        assert.deepEqual(stepFunctions.map(tagsOf).sort(), [
            ["Payment", "cancel"],
            ["Payment", "reserve"],
            ["Shipping", "cancel"],
            ["Shipping", "confirm"],
            ["Stock", "cancel"],
            ["Stock", "confirm"],
            ["Stock", "reserve"],
        ]);
        assert.ok(stepFunctions.every((r) => r.inputs.tags[Tags.saga] === "order" && r.inputs.tags.project === "order"));
        assert.ok(named("aws:lambda/function:Function", "order-start"));
        assert.ok(named("aws:lambda/function:Function", "order-status"));
    });

    it("bundles the calling program's handlers, resolved from its own directory, with the AWS SDK left to the runtime", async () => {
        const charge = named("aws:lambda/function:Function", "order-payment-reserve").inputs;
        assert.equal(charge.handler, "index.charge");
        const { "index.js": code } = await archiveText(charge.code);
        assert.match(code, /"MUG-042"/, "the order's own payment handler, with its catalogue, is bundled");
        assert.match(code, /charged_with/);
        const commit = named("aws:lambda/function:Function", "order-stock-confirm").inputs;
        assert.equal(commit.handler, "index.commit");
        const { "index.js": stock } = await archiveText(commit.code);
        assert.match(stock, /require\("@aws-sdk\/client-sqs"\)/, "the SQS client is the runtime's, not bundled");
        assert.ok(stock.length < 60_000, `a handler bundle without the SDK is small (${stock.length} bytes)`);
    });

    it("generates a valid definition with the order's states, in the order's order", () => {
        assertValidAsl(definition);
        assert.equal(definition.StartAt, "Charge Card");
        const next = (state: string) => definition.States[state].Next;
        assert.deepEqual(FORWARD.slice(1), FORWARD.slice(0, -1).map(next));
        for (const state of COMPENSATIONS) assert.ok(definition.States[state], `the definition has "${state}"`);
    });
});
