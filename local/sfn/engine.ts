// The local Step Functions engine: aws-local-stepfunctions 3.0, made to behave as AWS does where
// it does not. Everything that runs a definition locally imports the engine from here.
//   - It calls Promise.withResolvers (Node 22+) in every Task state. On Node 20 each Task would
//     then throw a TypeError, and a definition's Catch on States.ALL would quietly turn a success
//     path into a rollback: polyfilled.
//   - Its intrinsic functions strip every backslash from a string result (meant for the escaped
//     quotes of literal arguments), so States.JsonToString of anything holding a JSON string, such
//     as a Lambda error's Cause, is no longer JSON; AWS escapes it properly. The engine is loaded
//     with that one line changed so States.JsonToString keeps its backslashes.
import * as fs from "node:fs";
import Module from "node:module";
import * as path from "node:path";

const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
promiseWithResolvers.withResolvers ??= function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
};

type Engine = typeof import("aws-local-stepfunctions");

const STRIP_BACKSLASHES = 'result = result.replaceAll("\\\\", "");';
const KEEP_THEM_IN_JSON = `if (this.funcDefinition.name !== "States.JsonToString") ${STRIP_BACKSLASHES}`;

function loadEngine(): Engine {
    const file = require.resolve("aws-local-stepfunctions");
    const source = fs.readFileSync(file, "utf8");
    if (source.split(STRIP_BACKSLASHES).length !== 2) {
        throw new Error(
            `${file} no longer has the one line local/sfn/engine.ts corrects (${STRIP_BACKSLASHES}): ` +
                "check whether the new version still strips backslashes from States.JsonToString, and update engine.ts.",
        );
    }
    const engine = new Module(file, module);
    engine.filename = file;
    engine.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    (engine as unknown as { _compile(code: string, file: string): void })._compile(source.replace(STRIP_BACKSLASHES, KEEP_THEM_IN_JSON), file);
    return engine.exports as Engine;
}

const engine = loadEngine();
// Each class both as a value and as a type, as the package itself exports it.
export const StateMachine = engine.StateMachine;
export type StateMachine = import("aws-local-stepfunctions").StateMachine;
export const ExecutionError = engine.ExecutionError;
export type ExecutionError = import("aws-local-stepfunctions").ExecutionError;
export const ExecutionAbortedError = engine.ExecutionAbortedError;
export const ExecutionTimeoutError = engine.ExecutionTimeoutError;
export type { RunOptions, StateMachineDefinition } from "aws-local-stepfunctions";
