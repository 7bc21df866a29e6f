// Runs the state machine that buildSagaDefinition generates on a local ASL engine
// (aws-local-stepfunctions), with each Lambda task bound to a handler function called the way the
// Lambda integration calls it, and the failure queue kept in memory.
import { ExecutionError, RunOptions, StateMachine, StateMachineDefinition } from "aws-local-stepfunctions";
import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import { AslDefinition, buildSagaDefinition, DefinitionOptions } from "../../components/definition";
import { actionsOf, stateNameOf } from "../../components/steps";
import type { SagaStep } from "../../components/types";

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+) in every Task state. On Node 20
// each Task would then throw a TypeError, and the definition's Catch on States.ALL would quietly
// turn the success path into a rollback.
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

export const REPO_ROOT = path.resolve(__dirname, "../..");
const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
const SQS_SEND = "arn:aws:states:::sqs:sendMessage";
const ACCOUNT = "000000000000";
const REGION = "us-east-1";
export const FAILURE_QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/saga-compensation-failures`;

export type LambdaHandler = (event: unknown) => unknown;

export interface LocalSagaRun {
    steps: SagaStep[];
    /** A handler for every action, keyed by the action's state name (e.g. `Reserve Hotel`). */
    handlers: Record<string, LambdaHandler>;
    input: object;
    /** The definition to run, e.g. one a stack deployed under mocks; by default built from `steps`. */
    definition?: AslDefinition;
    /** The execution name; the saga id, as the start Lambda names executions. */
    executionName: string;
    definitionOptions?: Partial<DefinitionOptions>;
}

export interface LocalSagaResult {
    /** State names in the order the execution entered them (a retry does not re-enter). */
    statesEntered: string[];
    output?: unknown;
    /** The execution's error (a Fail state's Error and Cause) when it failed. */
    error?: { name: string; cause: string };
    /** Bodies of the messages sent to the failure queue, parsed. */
    queue: Record<string, unknown>[];
    retries: number;
    retriesByState: Record<string, number>;
}

/** Binds each action of the steps to its real handler: the module and export the step names. */
export function loadStepHandlers(steps: SagaStep[], root = REPO_ROOT): Record<string, LambdaHandler> {
    const handlers: Record<string, LambdaHandler> = {};
    for (const step of steps) {
        for (const { role, action } of actionsOf(step)) {
            const exportName = action.export ?? "handler";
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const handler = require(path.resolve(root, action.module))[exportName];
            if (typeof handler !== "function") {
                throw new Error(`${action.module} has no exported function "${exportName}" (step "${step.name}" ${role}).`);
            }
            handlers[stateNameOf(step, role)] = handler;
        }
    }
    return handlers;
}

export async function runLocalSaga(run: LocalSagaRun): Promise<LocalSagaResult> {
    const definition =
        run.definition ??
        buildSagaDefinition({
            steps: run.steps,
            functionArns: Object.fromEntries(Object.keys(run.handlers).map((name) => [name, functionArnOf(name)])),
            failureQueueUrl: FAILURE_QUEUE_URL,
            options: run.definitionOptions,
        });
    const queue: Record<string, unknown>[] = [];
    // The function each action's state invokes runs that action's handler, wherever else it is invoked.
    const handlerByArn = new Map(
        Object.entries(run.handlers).map(([name, handler]) => [functionOf(definition, name), handler]),
    );
    const machine = machineFor(definition);
    const execution = machine.run(JSON.parse(JSON.stringify(run.input)), {
        overrides: {
            taskResourceLocalHandlers: bindTasks(definition, handlerByArn, queue),
            retryIntervalOverrides: Object.fromEntries(Object.keys(definition.States).map((name) => [name, 0])),
        },
        context: {
            Execution: {
                Name: run.executionName,
                Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:saga-local:${run.executionName}`,
            },
        },
    });

    // Settled at once, so a failed execution is never an unhandled rejection while the events stream.
    const outcome = execution.result.then(
        (output) => ({ output }),
        (error: unknown) => {
            if (!(error instanceof ExecutionError)) throw error;
            const failure = error.cause as Error;
            return { error: { name: failure.name, cause: failure.message } };
        },
    );
    const statesEntered: string[] = [];
    const retriesByState: Record<string, number> = {};
    for await (const event of execution.eventLogs) {
        if (event.type === "StateEntered") statesEntered.push(event.state.name);
        if (event.type === "StateRetried") retriesByState[event.state.name] = (retriesByState[event.state.name] ?? 0) + 1;
    }
    const retries = Object.values(retriesByState).reduce((sum, count) => sum + count, 0);
    return { statesEntered, ...(await outcome), queue, retries, retriesByState };
}

// Validating a definition takes the engine ~100 ms, running one a few: build each machine once.
const machines = new Map<string, StateMachine>();
function machineFor(definition: AslDefinition): StateMachine {
    const key = JSON.stringify(definition);
    let machine = machines.get(key);
    if (!machine) {
        // Our AslDefinition types states loosely; the engine validates the definition itself.
        machine = new StateMachine(definition as unknown as StateMachineDefinition);
        machines.set(key, machine);
    }
    return machine;
}

type TaskHandlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;
// The engine hands a task its JSON input; these fields are what the definition's Parameters build.
type TaskInput = { Payload?: unknown; MessageBody?: unknown };
type JsonValue = Parameters<TaskHandlers[string]>[0];

/** One local handler per Task state, by state name, as the engine wants; unknown tasks fail loudly. */
function bindTasks(definition: AslDefinition, handlerByArn: Map<string, LambdaHandler>, queue: Record<string, unknown>[]): TaskHandlers {
    const bound: TaskHandlers = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
        if (state.Type !== "Task") continue;
        const parameters = state.Parameters as Record<string, unknown>;
        if (state.Resource === LAMBDA_INVOKE) {
            const handler = handlerByArn.get(parameters.FunctionName as string);
            if (!handler) throw new Error(`No handler bound for the function of the state "${stateName}".`);
            bound[stateName] = (input) => invokeLikeLambda(handler, (input as TaskInput).Payload);
        } else if (state.Resource === SQS_SEND) {
            bound[stateName] = async (input) => {
                // Step Functions serialises an object MessageBody to a JSON string.
                const body = JSON.stringify((input as TaskInput).MessageBody);
                queue.push(JSON.parse(body));
                return { MessageId: randomUUID(), MD5OfMessageBody: createHash("md5").update(body).digest("hex") };
            };
        } else {
            throw new Error(`Mock not implemented: the Task "${stateName}" uses ${String(state.Resource)}.`);
        }
    }
    return bound;
}

/**
 * Calls a handler as the lambda:invoke integration does: a JSON copy of the payload in, the result
 * wrapped as { StatusCode, Payload }. A thrown error reaches the engine as Lambda reports it: the
 * state's Error is the error's name (what Retry and Catch match), its Cause the JSON error.
 */
async function invokeLikeLambda(handler: LambdaHandler, payload: unknown): Promise<{ StatusCode: number; Payload: JsonValue }> {
    try {
        const result = await handler(JSON.parse(JSON.stringify(payload)));
        const returned: JsonValue = result === undefined ? null : JSON.parse(JSON.stringify(result));
        return { StatusCode: 200, Payload: returned };
    } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        const reported = new Error(JSON.stringify({ errorType: error.name, errorMessage: error.message }));
        reported.name = error.name;
        throw reported;
    }
}

function functionOf(definition: AslDefinition, stateName: string): string {
    const parameters = definition.States[stateName]?.Parameters as { FunctionName?: string } | undefined;
    if (!parameters?.FunctionName) throw new Error(`The definition has no Lambda task named "${stateName}".`);
    return parameters.FunctionName;
}

function functionArnOf(stateName: string): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:saga-local-${stateName.replace(/[^A-Za-z0-9-]/g, "-")}`;
}
