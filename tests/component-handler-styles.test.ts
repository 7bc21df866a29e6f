// Handler modules written the usual ways (ES modules and CommonJS; .ts, .js, .mjs, .cjs) pass
// preview, and what passes runs: the bundle each deploys is loaded as Lambda's Node.js runtime
// loads index.js, and its handler (`index.<export>`) is called. An export that is not there is
// refused at preview, naming what is.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SagaComponent, SagaStep } from "../components";
import { refuses } from "./support/refusals";
import { archiveText, deploy, find, setupMocks } from "./support/mocks";
import { ResourceTypes } from "../components/model/resource-types";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "saga-handler-styles-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Each module of the fixture: its file and its source. Every handler returns its own name, so a call shows which ran. */
const MODULES: Record<string, string> = {
    "esm.ts": 'export async function reserve(): Promise<string> { return "esm.ts reserve"; }\nexport const cancel = async () => "esm.ts cancel";\n',
    "esm.mjs": 'export async function reserve() { return "esm.mjs reserve"; }\nexport { cancel };\nasync function cancel() { return "esm.mjs cancel"; }\n',
    "exports.js": 'exports.reserve = async (event) => "exports.js reserve";\nexports.cancel = async function () { return "exports.js cancel"; };\n',
    "object.cjs": 'const helper = require("./helper.cjs");\nmodule.exports = { reserve: async () => helper("object.cjs reserve"), cancel: async () => "object.cjs cancel" };\n',
    "helper.cjs": "module.exports = (text) => text;\n",
    "named.cjs": 'async function handler() { return { statusCode: 202, body: "named.cjs handler" }; }\nmodule.exports = { handler };\n',
    "variable.js": 'const handlers = { reserve: async () => "variable.js reserve" };\nhandlers.cancel = async () => "variable.js cancel";\nmodule.exports = handlers;\n',
    "reexport.js": 'module.exports = require("./exports.js");\n',
    "defined.js": 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.reserve = void 0;\nasync function reserve() { return "defined.js reserve"; }\nexports.reserve = reserve;\nObject.defineProperty(exports, "cancel", { enumerable: true, get: () => async () => "defined.js cancel" });\n',
    "commonjs.cts": 'async function reserve(): Promise<string> { return "commonjs.cts reserve"; }\nmodule.exports = { reserve, cancel: async () => "commonjs.cts cancel" };\n',
    "function.js": 'module.exports = async function handler() { return "never"; };\n',
};
for (const [file, source] of Object.entries(MODULES)) fs.writeFileSync(path.join(root, file), source);

/** What Lambda's Node.js runtime does with a function's code: require index.js, take `index.<export>`, call it. */
async function invoke(fn: string, event: unknown = {}): Promise<unknown> {
    const { code, handler } = find(ResourceTypes.function, fn).inputs;
    const files = await archiveText(code);
    const module = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", files["index.js"])(module, module.exports, require);
    const [file, name] = handler.split(".");
    assert.equal(file, "index");
    assert.equal(typeof module.exports[name], "function", `${fn}: index.${name} is a function, as Lambda needs`);
    return (module.exports[name] as (event: unknown) => Promise<unknown>)(event);
}

const step = (name: string, module: string): SagaStep => ({ name, reserve: { module, export: "reserve" }, cancel: { module, export: "cancel" } });

describe("handler modules written the usual ways", () => {
    before(() => setupMocks());

    it("deploys ES modules and CommonJS, .ts, .js, .mjs, .cjs, .cts: each handler Lambda finds, and runs", async () => {
        const styles: [string, string][] = [
            ["Esm", "esm.ts"],
            ["Mjs", "esm.mjs"],
            ["Exports", "exports.js"],
            ["Literal", "object.cjs"],
            ["Variable", "variable.js"],
            ["Reexport", "reexport.js"],
            ["Defined", "defined.js"],
            ["Cts", "commonjs.cts"],
        ];
        await deploy(() => new SagaComponent("styles", { steps: styles.map(([name, module]) => step(name, module)), start: { module: "named.cjs" }, handlerRoot: root }));
        for (const [name, module] of styles) {
            const source = module === "reexport.js" ? "exports.js" : module;
            assert.equal(await invoke(`styles-${name.toLowerCase()}-reserve`), `${source} reserve`);
            assert.equal(await invoke(`styles-${name.toLowerCase()}-cancel`), `${source} cancel`);
        }
        assert.deepEqual(await invoke("styles-start"), { statusCode: 202, body: "named.cjs handler" });
    });

    it("refuses a CommonJS module without the named export, naming what it exports", () =>
        refuses(
            "nocjs",
            { steps: [step("Stock", "exports.js"), { ...step("Ship", "exports.js"), confirm: { module: "exports.js", export: "confirm" } }], start: { module: "named.cjs" }, handlerRoot: root },
            'Step "Ship" `confirm` handler module "exports.js" has no export "confirm" (it exports cancel, reserve): set `export` to the handler\'s name.',
        ));

    it("refuses `default` for a CommonJS module, which its bundle does not export (Lambda would answer Runtime.HandlerNotFound)", () =>
        refuses(
            "nodefault",
            { steps: [{ name: "Stock", reserve: { module: "exports.js", export: "default" }, cancel: { module: "exports.js", export: "cancel" } }], start: { module: "named.cjs" }, handlerRoot: root },
            'Step "Stock" `reserve` handler module "exports.js" has no export "default" (it exports cancel, reserve): set `export` to the handler\'s name.',
        ));

    it("refuses a module whose module.exports is a function, as no property of it can be known before it runs", () =>
        refuses(
            "opaque",
            { steps: [step("Stock", "exports.js")], start: { module: "function.js" }, handlerRoot: root },
            '`start` handler module "function.js" has no export "handler" that can be read before it runs (it exports nothing that can; module.exports is replaced by a function): ' +
                "assign `exports.handler = ...` or `module.exports = { handler }`, or set `export` to the handler's name.",
        ));
});
