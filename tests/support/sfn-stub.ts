// A tiny stand-in for the Step Functions API (AWS JSON 1.0 protocol) on 127.0.0.1, enough for
// StartExecution: the real SDK client of the start Lambda talks HTTP to it through
// AWS_ENDPOINT_URL_SFN, and the tests read the calls it received.
import "./aws-env";
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StartExecutionCall {
    stateMachineArn: string;
    name: string;
    input: string;
}

export interface SfnStub {
    /** The ARN the stub knows; any other answers StateMachineDoesNotExist. */
    stateMachineArn: string;
    calls: StartExecutionCall[];
    reset(): void;
    close(): Promise<void>;
}

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:saga-test";

let started: Promise<SfnStub> | undefined;

// Root-level hook, as for the local table: the start Lambda's client keeps its first endpoint.
after(async () => (await started)?.close());

export function sfnStub(): Promise<SfnStub> {
    started ??= start();
    return started;
}

async function start(): Promise<SfnStub> {
    const calls: StartExecutionCall[] = [];
    // Executions by name, as Step Functions keeps them: same name and input is the same execution.
    const executions = new Map<string, { input: string; executionArn: string; startDate: number }>();

    const server = createServer(async (request, response) => {
        const body = JSON.parse(await readBody(request)) as StartExecutionCall;
        if (request.headers["x-amz-target"] !== "AWSStepFunctions.StartExecution") {
            return reply(response, 400, { __type: "UnknownOperationException", message: "The stub only knows StartExecution." });
        }
        calls.push(body);
        if (body.stateMachineArn !== STATE_MACHINE_ARN) {
            return reply(response, 400, { __type: "StateMachineDoesNotExist", message: `State Machine Does Not Exist: '${body.stateMachineArn}'` });
        }
        const existing = executions.get(body.name);
        if (existing && existing.input !== body.input) {
            return reply(response, 400, { __type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${existing.executionArn}'` });
        }
        const execution = existing ?? {
            input: body.input,
            executionArn: `${STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:")}:${body.name}`,
            startDate: Date.now() / 1000,
        };
        executions.set(body.name, execution);
        return reply(response, 200, { executionArn: execution.executionArn, startDate: execution.startDate });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    return {
        stateMachineArn: STATE_MACHINE_ARN,
        calls,
        reset() {
            calls.length = 0;
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

function reply(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
    response.end(JSON.stringify(body));
}
