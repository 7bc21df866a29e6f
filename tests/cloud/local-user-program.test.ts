// A user's program on the local cloud, as `npm start -- --program <dir>` runs it: a JavaScript
// program (no index.ts) in a folder of its own whose node_modules hold the saga package and Pulumi
// but no AWS SDK, with CommonJS handlers that import SDK clients. On Lambda the Node.js runtime
// provides AWS SDK v3; the local Lambda runtime must too, to the component's functions (the start
// function's @aws-sdk/client-sfn) and to the user's, or the API answers 502.
import "../support/aws-env";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { programFileOf } from "../../harness/config";
import { bootCloud, Booted, PROJECT_ROOT } from "../../local/client";
import { until } from "../support/until";

const PROGRAM = {
    "Pulumi.yaml": "name: mine\nruntime: nodejs\n",
    "Pulumi.dev.yaml": "config:\n  aws:region: eu-west-1\n",
    "package.json": JSON.stringify({ name: "mine", version: "1.0.0", main: "program.js", dependencies: { saga: "*", "@pulumi/pulumi": "*" } }),
    // What package.json's main names, as Pulumi runs the directory: a JavaScript program.
    "program.js": [
        'const { SagaComponent } = require("saga");',
        'const step = { name: "Note", reserve: { module: "notes.js", export: "write", tableAccess: ["PutItem"] }, cancel: { module: "notes.js", export: "erase", tableAccess: ["DeleteItem"] } };',
        'const saga = new SagaComponent("mine", { steps: [step], start: { module: "start.js" }, handlerRoot: __dirname });',
        "exports.apiUrl = saga.apiUrl;",
        "exports.tableName = saga.tableName;",
        "",
    ].join("\n"),
    // A CommonJS handler with its own DynamoDB client, from the SDK Lambda provides.
    "notes.js": [
        'const { DynamoDBClient, PutItemCommand, DeleteItemCommand } = require("@aws-sdk/client-dynamodb");',
        "const dynamodb = new DynamoDBClient({});",
        "const key = (event) => ({ pk: { S: event.note_id }, sk: { S: \"NOTE\" } });",
        "exports.write = async (event) => { await dynamodb.send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { ...key(event), text: { S: event.text } } })); return { written: true }; };",
        "exports.erase = async (event) => { await dynamodb.send(new DeleteItemCommand({ TableName: process.env.TABLE_NAME, Key: key(event) })); return { erased: true }; };",
        "",
    ].join("\n"),
    "start.js": [
        'const { createStartHandler } = require("saga/handlers/lib/start");',
        'module.exports = { handler: createStartHandler({ idParameter: "noteID", runTypes: [], buildInput: (id) => ({ note_id: id, text: "hello" }) }) };',
        "",
    ].join("\n"),
};

describe("a user's JavaScript program on the local cloud, with no AWS SDK of its own", function () {
    let dir: string;
    let booted: Booted;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "saga-user-program-"));
        for (const [file, text] of Object.entries(PROGRAM)) fs.writeFileSync(path.join(dir, file), text);
        // The program's node_modules: the saga package and Pulumi, as `npm install` would give them, and no @aws-sdk.
        fs.mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
        fs.symlinkSync(PROJECT_ROOT, path.join(dir, "node_modules", "saga"), "dir");
        fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"), "dir");
        booted = await bootCloud({ programDir: dir });
    });
    after(async () => {
        await booted?.cloud.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("runs what Pulumi would run: package.json's main, else index.js, else index.ts", () => {
        assert.equal(booted.cloud.settings.programFile, path.join(dir, "program.js"));
        const other = fs.mkdtempSync(path.join(os.tmpdir(), "saga-program-file-"));
        try {
            assert.equal(programFileOf(other, undefined), path.join(other, "index.ts"), "nothing there: the usual name, for the error");
            fs.writeFileSync(path.join(other, "index.ts"), "");
            assert.equal(programFileOf(other, undefined), path.join(other, "index.ts"));
            fs.writeFileSync(path.join(other, "index.js"), "");
            assert.equal(programFileOf(other, undefined), path.join(other, "index.js"), "Node resolves index.js before index.ts");
            fs.mkdirSync(path.join(other, "bin"));
            fs.writeFileSync(path.join(other, "bin", "index.js"), "");
            assert.equal(programFileOf(other, "bin"), path.join(other, "bin", "index.js"), "Pulumi.yaml's main, a directory");
        } finally {
            fs.rmSync(other, { recursive: true, force: true });
        }
    });

    it("starts a saga through the component's start function and runs the user's handlers, with the SDK the runtime provides", async () => {
        const started = await booted.client.start({ noteID: "note-1" });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        const body = await until(
            "the saga to end",
            async () => {
                const { body } = await booted.client.stepFunctions("DescribeExecution", { executionArn: started.body.executionArn });
                return body.status !== "RUNNING" && body;
            },
            10_000,
        );
        assert.equal(body.status, "SUCCEEDED", JSON.stringify(body));
        assert.deepEqual(JSON.parse(body.output).note_id, "note-1");
        assert.ok(!booted.lines.some((line) => /Cannot find module/.test(line)), booted.lines.join("\n"));
    });
});
