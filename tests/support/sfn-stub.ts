// A tiny stand-in for the Step Functions API (AWS JSON 1.0 protocol) on 127.0.0.1, enough for
// StartExecution and DescribeExecution: the real SDK clients of the start and status Lambdas talk
// HTTP to it through AWS_ENDPOINT_URL_SFN, and the tests read the calls it received and set how
// each execution stands.
import "./aws-env";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { executionArnOf } from "../../components/model/arns";

export interface StartExecutionCall {
    stateMachineArn: string;
    name: string;
    input: string;
}

/** How an execution stands, as DescribeExecution reports it. */
export interface ExecutionState {
    status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED" | "PENDING_REDRIVE";
    error?: string;
    cause?: string;
}

export interface SfnStub {
    /** The ARN the stub knows; any other answers StateMachineDoesNotExist. */
    stateMachineArn: string;
    /** The StartExecution calls, in order. */
    calls: StartExecutionCall[];
    /** The execution ARNs DescribeExecution was asked about, in order. */
    described: string[];
    /**
     * Makes an execution named `name` stand as `state` (created if needed, as if started; ended
     * one minute after its start unless RUNNING), started with `input` when it is created (`{}`
     * unless given). Returns its ARN.
     */
    setExecution(name: string, state: ExecutionState, input?: string): string;
    reset(): void;
    close(): Promise<void>;
}

interface Execution extends ExecutionState {
    name: string;
    input: string;
    executionArn: string;
    /** Epoch seconds, as the protocol carries timestamps. */
    startDate: number;
    stopDate?: number;
}

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:saga-test";

let started: Promise<SfnStub> | undefined;

// Root-level hook, as for the local table: the handlers' clients keep their first endpoint.
after(async () => (await started)?.close());

export function sfnStub(): Promise<SfnStub> {
    started ??= start();
    return started;
}

type Reply = [status: number, body: Record<string, unknown>];

async function start(): Promise<SfnStub> {
    const calls: StartExecutionCall[] = [];
    const described: string[] = [];
    // Executions by name, as Step Functions keeps them: same name and input is the same execution.
    const executions = new Map<string, Execution>();
    const newExecution = (name: string, input: string): Execution => ({
        name,
        input,
        executionArn: executionArnOf(STATE_MACHINE_ARN, name),
        startDate: Math.floor(Date.now() / 1000),
        status: "RUNNING",
    });

    const operations: Record<string, (body: Record<string, string>) => Reply> = {
        "AWSStepFunctions.StartExecution"(body) {
            const call = body as unknown as StartExecutionCall;
            calls.push(call);
            if (call.stateMachineArn !== STATE_MACHINE_ARN) {
                return [400, { __type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${call.stateMachineArn}'` }];
            }
            const existing = executions.get(call.name);
            if (existing && existing.input !== call.input) {
                return [400, { __type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${existing.executionArn}'` }];
            }
            const execution = existing ?? newExecution(call.name, call.input);
            executions.set(call.name, execution);
            return [200, { executionArn: execution.executionArn, startDate: execution.startDate }];
        },
        "AWSStepFunctions.DescribeExecution"({ executionArn }) {
            described.push(executionArn);
            // What IAM answers the status Lambda, whose role covers this machine's executions only.
            if (!executionArn.startsWith(executionArnOf(STATE_MACHINE_ARN, ""))) {
                return [400, { __type: "AccessDeniedException", message: `Not authorized to perform states:DescribeExecution on resource ${executionArn}` }];
            }
            const execution = [...executions.values()].find((e) => e.executionArn === executionArn);
            if (!execution) return [400, { __type: "ExecutionDoesNotExist", message: `Execution Does Not Exist: '${executionArn}'` }];
            return [200, { ...execution, stateMachineArn: STATE_MACHINE_ARN }];
        },
    };

    const server = createServer(async (request, response) => {
        const body = JSON.parse(await readBody(request));
        const operation = operations[String(request.headers["x-amz-target"])];
        if (!operation) {
            return reply(response, [400, { __type: "UnknownOperationException", message: "The stub only knows StartExecution and DescribeExecution." }]);
        }
        return reply(response, operation(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        stateMachineArn: STATE_MACHINE_ARN,
        calls,
        described,
        setExecution(name, state, given = "{}") {
            const { input, executionArn, startDate } = executions.get(name) ?? newExecution(name, given);
            const stopDate = state.status === "RUNNING" ? undefined : startDate + 60;
            executions.set(name, { name, input, executionArn, startDate, ...state, stopDate });
            return executionArn;
        },
        reset() {
            calls.length = 0;
            described.length = 0;
            executions.clear();
        },
        close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
    };
}

async function readBody(request: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}

function reply(response: ServerResponse, [status, body]: Reply): void {
    response.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
    response.end(JSON.stringify(body));
}
