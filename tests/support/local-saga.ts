// Runs the state machine that buildSagaDefinition generates on a local ASL engine
// (aws-local-stepfunctions), with each Lambda task bound to a handler function called the way the
// Lambda integration calls it, and the failure queue kept in memory.
import { ExecutionError, StateMachine, StateMachineDefinition } from "../../local/sfn/engine";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { SagaDefinitionOptions } from "../../components/model/args";
import { AslDefinition, buildSagaDefinition } from "../../components/model/definition";
import { actionsOf, stateNameOf } from "../../components/model/steps";
import type { SagaStep } from "../../components/model/args";
// The binding of Tasks to local targets, the Lambda-style error mapping and the engine's Node 20
// polyfill are the local cloud's own (`npm start`); these tests reuse them.
import { bindTasks, invokeInProcess } from "../../local/sfn/tasks";
import { allowEveryCall } from "./iam";

export const REPO_ROOT = path.resolve(__dirname, "../..");
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
    definitionOptions?: SagaDefinitionOptions;
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
            const handler = require(path.resolve(root, action.module!))[exportName];
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
            taskResourceLocalHandlers: bindTasks(definition, {
                authorize: allowEveryCall,
                hasFunction: (name) => handlerByArn.has(name),
                invokeFunction: (name, payload) => invokeInProcess(handlerByArn.get(name)!, payload),
                sendMessage: (_queueUrl, body) => {
                    queue.push(JSON.parse(body));
                    return { MessageId: randomUUID() };
                },
            }, { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:saga-local`, roleArn: `arn:aws:iam::${ACCOUNT}:role/saga-local` }),
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

function functionOf(definition: AslDefinition, stateName: string): string {
    const parameters = definition.States[stateName]?.Parameters as { FunctionName?: string } | undefined;
    if (!parameters?.FunctionName) throw new Error(`The definition has no Lambda task named "${stateName}".`);
    return parameters.FunctionName;
}

function functionArnOf(stateName: string): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:saga-local-${stateName.replace(/[^A-Za-z0-9-]/g, "-")}`;
}
