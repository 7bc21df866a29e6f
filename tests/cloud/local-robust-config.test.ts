// Starting the local cloud wrong fails loudly (issue 10, item 5): a misspelled --stack used to start
// silently with none of the stack's config (failure injection off, no region); and the Node
// versions package.json promises are the ones the dependencies accept.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startLocalCloud } from "../../local/cloud";
import { PROJECT_ROOT } from "../../local/client";
import { ConfigError, loadProjectSettings } from "../../harness/config";

describe("choosing a stack that has no file", () => {
    it("fails, naming the stack files that exist, instead of running without the stack's config", () => {
        assert.throws(
            () => loadProjectSettings(PROJECT_ROOT, "dve"),
            (error: Error) =>
                error instanceof ConfigError &&
                error.message ===
                    `There is no stack "dve": ${path.relative(process.cwd(), path.join(PROJECT_ROOT, "Pulumi.dve.yaml"))} does not exist. ` +
                        "The stacks there: dev (Pulumi.dev.yaml); choose one with --stack <name>. To run a new stack, create its file (an empty one takes the defaults of Pulumi.yaml).",
        );
        assert.equal(loadProjectSettings(PROJECT_ROOT, "dev").config["saga:failureInjection"], "true");
    });

    it("says so when the program has no stack file at all, and runs a new stack once its file exists, empty or not", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackless-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: stackless\nruntime: nodejs\nconfig:\n  greeting: hello\n");
            assert.throws(() => loadProjectSettings(dir, "dev"), (error: Error) => error instanceof ConfigError && error.message.includes("has no stack files (Pulumi.<stack>.yaml) at all."));
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "");
            assert.equal(loadProjectSettings(dir, "dev").config["stackless:greeting"], "hello");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("stops npm start's cloud before it listens or deploys anything", async () => {
        const lines: string[] = [];
        await assert.rejects(startLocalCloud({ port: 0, programDir: PROJECT_ROOT, stack: "prod", log: (line) => lines.push(line) }), (error: Error) => {
            assert.ok(error instanceof ConfigError);
            assert.match(error.message, /^There is no stack "prod": .*Pulumi\.prod\.yaml does not exist\. The stacks there: dev \(Pulumi\.dev\.yaml\)/);
            return true;
        });
        assert.deepEqual(lines, []);
    });
});

describe("the Node versions package.json's engines promises", () => {
    // package-lock.json records every installed package's engines; semver is what npm checks them with.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const semver = require("semver") as { satisfies(version: string, range: string): boolean; major(version: string): number };
    const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { engines?: { node?: string } }> };
    const declared = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).engines.node as string;
    const dependencies = Object.entries(lock.packages).filter(([name, spec]) => name !== "" && spec.engines?.node !== undefined);
    const versions = ["18.20.8", "20.0.0", "20.18.3", "20.19.0", "20.20.2", "21.7.3", "22.0.0", "22.11.0", "22.12.0", "23.11.0", "24.0.0", "25.2.1", process.versions.node];

    it("admits a Node version exactly when every dependency does, with no exception", () => {
        assert.equal(lock.packages[""].engines?.node, declared, "package-lock.json records the same engines");
        for (const version of versions) {
            const refusing = dependencies.filter(([, spec]) => !semver.satisfies(version, spec.engines!.node!)).map(([name]) => name);
            assert.equal(semver.satisfies(version, declared), refusing.length === 0, `Node ${version}: engines says ${declared}, refused by ${refusing.slice(0, 5).join(", ") || "none"}`);
        }
    });

    it("admits no Node older than 22 (Node 20 reached its end of life in April 2026; Lambda runs nodejs22.x)", () => {
        for (const version of versions.filter((v) => semver.major(v) < 22)) assert.ok(!semver.satisfies(version, declared), `engines ${declared} admits Node ${version}`);
        for (const version of ["22.12.0", "24.0.0"]) assert.ok(semver.satisfies(version, declared), `engines ${declared} refuses Node ${version}`);
    });
});
