// The README's minimal saga is a program a user copies: its handler modules, its index.ts and the
// assertions of its test with mocks. Written out as files, it must deploy through the package
// ("saga", the built dist/) and generate the flow its test expects; an argument or an export of
// the package renamed without the README following fails here.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadProjectSettings } from "../harness/config";
import { deployProgram } from "../harness/harness";
import { PlainProvisioner } from "../harness/plain";
import { assertBuilt } from "./support/plugin";

const ROOT = path.resolve(__dirname, "..");

/** The README's TypeScript samples, in order. */
function typeScriptSamples(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    return [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

describe("the README's minimal saga, as a user copies it", () => {
    // Inside the repository, so that "saga" resolves to this package as in a user's node_modules.
    let dir: string;
    const plain = new PlainProvisioner();
    let outputs: Record<string, unknown>;

    before(async () => {
        assertBuilt();
        const [handlers, start, program, test] = typeScriptSamples();
        assert.ok(test, "the README has four TypeScript samples: handlers/order.ts, handlers/start.ts, index.ts and its test");
        dir = fs.mkdtempSync(path.join(ROOT, ".readme-sample-"));
        fs.mkdirSync(path.join(dir, "handlers"));
        fs.writeFileSync(path.join(dir, "handlers", "order.ts"), handlers);
        fs.writeFileSync(path.join(dir, "handlers", "start.ts"), start);
        fs.writeFileSync(path.join(dir, "index.ts"), program);
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: order\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  aws:region: us-east-1\n");
        outputs = await deployProgram(loadProjectSettings(dir, "dev"), plain.newResource);
    });

    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deploys, with the outputs it exports", () => {
        assert.deepEqual(Object.keys(outputs).sort(), ["apiUrl", "stateMachineArn", "tableName"]);
        assert.ok(Object.values(outputs).every((value) => typeof value === "string" && value.length > 0));
    });

    it("generates the flow its test expects: a failed payment refunds, then releases the stock", () => {
        const test = typeScriptSamples()[3];
        const machine = plain.recorded.find((r) => r.type === "aws:sfn/stateMachine:StateMachine" && r.name.startsWith("order"))!;
        const states = JSON.parse(machine.inputs.definition).States;
        // The states the README's test names.
        for (const [, state, field, next] of test.matchAll(/states\["([^"]+)"\]\.(Catch\[0\]\.Next|Next), "([^"]+)"/g)) {
            const actual = field === "Next" ? states[state]?.Next : states[state]?.Catch?.[0]?.Next;
            assert.equal(actual, next, `${state}.${field}`);
        }
        assert.equal([...test.matchAll(/assert\.equal\(states/g)].length, 2, "the test's two assertions were both checked");
    });

    it("bundles each handler export the steps name", () => {
        const handlers = plain.recorded.filter((r) => r.type === "aws:lambda/function:Function" && r.name.startsWith("order-")).map((r) => r.inputs.handler);
        for (const name of ["holdStock", "commitStock", "releaseStock", "charge", "refund", "handler"]) assert.ok(handlers.includes(`index.${name}`), `a function runs index.${name}; got ${handlers.join(", ")}`);
    });
});
