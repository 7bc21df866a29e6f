// The local cloud's one HTTP port on 127.0.0.1. Like AWS endpoints, it tells services apart by
// the request: `X-Amz-Target: DynamoDB_20120810.*` is DynamoDB, `AWSStepFunctions.*` is Step
// Functions, `AmazonSQS.*` is SQS (so one AWS_ENDPOINT_URL serves all three), /_local/* is the
// local cloud's own inspection API, and everything else is for the REST APIs' stages.
import { createServer, IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiGatewayService } from "./apigateway/gateway";
import { sendJson } from "./http";
import { handleSfnRequest, SFN_TARGET_PREFIX } from "./sfn/api";
import type { StepFunctionsService } from "./sfn/service";
import type { LocalQueue } from "./sqs";
import { handleSqsRequest, SQS_TARGET_PREFIX } from "./sqs-api";

export const HOST = "127.0.0.1";

export interface Services {
    dynamo: RequestListener;
    stepFunctions: StepFunctionsService;
    gateway: ApiGatewayService;
    /** The queues the SQS API serves; none when absent. */
    queues?(): LocalQueue[];
    /** The /_local/* endpoints. */
    inspect(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> | void;
}

export class PortInUseError extends Error {
    constructor(readonly port: number) {
        super(`Port ${port} on ${HOST} is already in use (another local cloud?). Choose another with --port <n> or SAGA_PORT=<n>, or stop what uses it.`);
        this.name = "PortInUseError";
    }
}

export class LocalServer {
    private services?: Services;

    private constructor(
        private readonly server: Server,
        readonly url: string,
        private readonly log: (line: string) => void,
    ) {}

    /** Listens on the port (0: a free one). Requests wait for `serve` with a 503 until then. */
    static async listen(port: number, log: (line: string) => void): Promise<LocalServer> {
        let local: LocalServer | undefined;
        const server = createServer((request, response) => void local!.dispatch(request, response));
        await new Promise<void>((resolve, reject) => {
            server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? new PortInUseError(port) : error));
            server.listen(port, HOST, resolve);
        });
        local = new LocalServer(server, `http://${HOST}:${(server.address() as AddressInfo).port}`, log);
        return local;
    }

    serve(services: Services): void {
        this.services = services;
    }

    /** Stops listening and closes every open connection (keep-alive ones too). */
    close(): Promise<void> {
        return new Promise((resolve, reject) => {
            this.server.close((error) => (error ? reject(error) : resolve()));
            this.server.closeAllConnections();
        });
    }

    private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
        const url = new URL(request.url ?? "/", this.url);
        const target = String(request.headers["x-amz-target"] ?? "");
        try {
            const services = this.services;
            if (!services) return sendJson(response, 503, { message: "The local cloud is still deploying the program; try again in a moment." });
            if (target.startsWith("DynamoDB_")) return services.dynamo(request, response);
            if (target.startsWith(SFN_TARGET_PREFIX)) return await handleSfnRequest(services.stepFunctions, request, response);
            if (target.startsWith(SQS_TARGET_PREFIX)) return await handleSqsRequest(services.queues?.() ?? [], request, response);
            if (target !== "") {
                return sendJson(response, 400, { __type: "UnknownOperationException", message: `The local cloud serves DynamoDB, Step Functions and SQS, not ${target}.` });
            }
            if (url.pathname === "/_local" || url.pathname.startsWith("/_local/")) return await services.inspect(request, response, url);
            await services.gateway.handle(request, response, url);
        } catch (error) {
            this.log(`Internal error answering ${request.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
            if (!response.headersSent) sendJson(response, 500, { message: "Internal error of the local cloud; see its log." });
            else response.end();
        }
    }
}
