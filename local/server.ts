// The local cloud's one HTTP port on 127.0.0.1. Like AWS endpoints, it tells services apart by
// the request: `X-Amz-Target: DynamoDB_20120810.*` is DynamoDB, `AWSStepFunctions.*` is Step
// Functions, `AmazonSQS.*` is SQS, `Logs_20140328.*` CloudWatch Logs (so one AWS_ENDPOINT_URL serves them all), /_local/* is the
// local cloud's own inspection API, /_console/ (and a browser's GET /) the console
// (console-web/route.ts), and everything else is for the REST APIs' stages.
import { createServer, IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { unlinkSync } from "node:fs";
import { AddressInfo, createServer as createNetServer, Server as NetServer, Socket } from "node:net";
import { ApiGatewayService, GATEWAY_SHAPE } from "./apigateway/gateway";
import { ConnectionGate, ConnectionLimits, defaultConnectionLimits, functionDoorPath, removeAbandonedDoors } from "./connections";
import { isConsoleRequest, serveConsole } from "./console-web/route";
import { DYNAMODB_SHAPE } from "./dynamodb/service";
import { awsJson, currentRequest, failRequest, jsonAnswer, LOCAL_SHAPE, RequestScope, send, sendJson, ServiceShape, STEP_FUNCTIONS_SHAPE, withinRequest } from "./http";
import type { IamGate } from "./iam/gate";
import { handleLogsRequest, LOGS_SHAPE, LOGS_TARGET_PREFIX } from "./logs/api";
import type { LocalLogs } from "./logs/service";
import { handleSfnRequest, SFN_TARGET_PREFIX } from "./sfn/api";
import type { StepFunctionsService } from "./sfn/service";
import type { LocalQueue } from "./sqs/queue";
import { EVENTS_SHAPE, EVENTS_TARGET_PREFIX, handleEventsRequest } from "./events/api";
import type { LocalEventBridge } from "./events/service";
import { handleSqsQueryRequest, handleSqsRequest, isSqsQueryRequest, SQS_QUERY_SHAPE, SQS_SHAPE, SQS_TARGET_PREFIX } from "./sqs/api";
import { foreignHostRefusal, localChangeRefusal } from "./web-guard";

export const HOST = "127.0.0.1";

export interface Services {
    /** DynamoDB's request handler (local/dynamodb/service.ts guards dynalite's). */
    dynamo: RequestListener;
    stepFunctions: StepFunctionsService;
    gateway: ApiGatewayService;
    /** Admits the Step Functions and SQS requests (DynamoDB's handler and the gateway hold their own). */
    iam: IamGate;
    /** The queues the SQS API serves; none when absent. */
    queues?(): LocalQueue[];
    /** The log groups the CloudWatch Logs API serves; absent: that API answers UnknownOperationException. */
    logs?: LocalLogs;
    /** The rules and targets the EventBridge API serves; absent: that API answers UnknownOperationException. */
    events?: LocalEventBridge;
    /** The /_local/* endpoints. */
    inspect(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> | void;
}

export class PortInUseError extends Error {
    constructor(readonly port: number) {
        super(`Port ${port} on ${HOST} is already in use (another local cloud?). Choose another with --port <n> or SAGA_PORT=<n>, or stop what uses it.`);
        this.name = "PortInUseError";
    }
}

/**
 * The last resort, while a local server runs: an error thrown where nothing catches it (a
 * library's callback, a timer) does not end the process. When it was thrown on behalf of a request
 * (AsyncLocalStorage knows which), that request gets its service's InternalFailure (500) if it can
 * still be answered; either way it is logged, and every other request carries on.
 */
const lastResortLogs = new Set<(line: string) => void>();

function lastResort(error: unknown): void {
    const scope = currentRequest();
    if (scope) return failRequest(error, scope, true);
    for (const log of lastResortLogs) log(`Uncaught error outside any request; the local cloud keeps running: ${(error as Error)?.stack ?? String(error)}`);
}

function holdLastResort(log: (line: string) => void): () => void {
    lastResortLogs.add(log);
    if (!process.listeners("uncaughtException").includes(lastResort)) process.on("uncaughtException", lastResort);
    return () => {
        lastResortLogs.delete(log);
        if (lastResortLogs.size === 0) process.off("uncaughtException", lastResort);
    };
}

/** What answers a request with an X-Amz-Target for no service served here. */
const UNKNOWN_TARGET_SHAPE: ServiceShape = { ...STEP_FUNCTIONS_SHAPE, name: "AWS JSON" };

export class LocalServer {
    private services?: Services;
    private readonly releaseLastResort: () => void;
    private closing?: Promise<void>;

    private constructor(
        private readonly server: Server,
        private readonly door: NetServer,
        private readonly gate: ConnectionGate,
        readonly url: string,
        /** Where the functions connect instead of the port (lambda/runtime.ts): connections never counted among the clients'. */
        readonly functionDoor: string,
        private readonly log: (line: string) => void,
    ) {
        this.releaseLastResort = holdLastResort(log);
    }

    /**
     * Listens on the port (0: a free one), within `limits` (connections.ts), and on the functions'
     * door. Requests wait for `serve` with a 503 until then.
     */
    static async listen(port: number, log: (line: string) => void, limits: ConnectionLimits = defaultConnectionLimits()): Promise<LocalServer> {
        let local: LocalServer | undefined;
        const server = createServer(
            {
                headersTimeout: limits.headersTimeoutMs,
                requestTimeout: limits.requestTimeoutMs,
                keepAliveTimeout: limits.keepAliveTimeoutMs,
                // How often the two above are checked (Node's default, 30 s, would let a silent connection live 40 s).
                connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs / 2),
            },
            (request, response) => void local!.dispatch(request, response),
        );
        const gate = new ConnectionGate(limits);
        server.on("connection", (socket: Socket) => gate.admit(socket));
        await new Promise<void>((resolve, reject) => {
            server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? new PortInUseError(port) : error));
            server.listen(port, HOST, resolve);
        });
        const actualPort = (server.address() as AddressInfo).port;
        const doorPath = functionDoorPath(actualPort);
        // The functions' connections come in by the door, then are served as any other.
        const door = createNetServer((socket) => {
            gate.fromFunction(socket);
            server.emit("connection", socket);
        });
        try {
            await listenOn(door, doorPath);
        } catch (error) {
            server.close();
            throw error;
        }
        local = new LocalServer(server, door, gate, `http://${HOST}:${actualPort}`, doorPath, log);
        return local;
    }

    /** The port it listens on. */
    get port(): number {
        return Number(new URL(this.url).port);
    }

    /** Connections clients hold now (the functions' not counted). */
    get clientConnections(): number {
        return this.gate.clientConnections;
    }

    serve(services: Services): void {
        this.services = services;
    }

    /** Stops listening (on the port and the door) and closes every open connection (keep-alive ones too). */
    close(): Promise<void> {
        this.closing ??= this.closeAll();
        return this.closing;
    }

    private closeAll(): Promise<void> {
        const doorClosed = new Promise<void>((resolve) => this.door.close(() => resolve()));
        return new Promise<void>((resolve, reject) => {
            this.server.close((error) => (error ? reject(error) : resolve()));
            this.server.closeAllConnections();
        })
            .then(() => doorClosed)
            .finally(() => {
                removeSocketFile(this.functionDoor);
                this.releaseLastResort();
            });
    }

    /**
     * Each request is served within its scope (local/http.ts): whatever its handling throws, now
     * or later in a callback, is that request's InternalFailure and nobody else's.
     */
    private dispatch(request: IncomingMessage, response: ServerResponse): void {
        // Answered already (503) when it connected over the limit.
        if (this.gate.isRefused(request.socket)) return;
        const target = String(request.headers["x-amz-target"] ?? "");
        const scope: RequestScope = { request, response, shape: shapeOf(target, request), log: this.log };
        // Every answer of the local endpoints and the console, refusals and failures included.
        if (scope.shape === LOCAL_SHAPE) response.setHeader("x-content-type-options", "nosniff");
        withinRequest(scope, () => this.serveRequest(request, response, target).catch((error) => failRequest(error, scope)));
    }

    private async serveRequest(request: IncomingMessage, response: ServerResponse, target: string): Promise<void> {
        // Before anything else: a request addressed to another name is a web page's (DNS rebinding).
        const foreign = foreignHostRefusal(request.headers, this.port);
        if (foreign) return send(response, { ...foreign, headers: { ...foreign.headers, "x-content-type-options": "nosniff" } });
        const services = this.services;
        if (!services) return sendJson(response, 503, { message: "The local cloud is still deploying the program; try again in a moment." });
        // The AWS JSON services ignore the path; only the local endpoints and the APIs route by it.
        const service = jsonServiceOf(target);
        if (service?.served(services)) return await service.serve(services, request, response);
        if (target !== "") {
            return send(response, awsJson(400, "UnknownOperationException", "message", `The local cloud serves DynamoDB, Step Functions, SQS, CloudWatch Logs and EventBridge, not ${target}.`));
        }
        const url = parseUrl(request.url, this.url);
        if (!url) return send(response, jsonAnswer(400, { message: "Bad Request: the request target is not a URL path." }));
        // SQS's query protocol (older boto3 and AWS CLI): Action=... at / or at a queue's AWS-style URL.
        if (isSqsQueryRequest(request.method, request.headers, url)) return await handleSqsQueryRequest(services.queues?.() ?? [], services.iam, request, response, url);
        if (isLocalPath(url.pathname)) {
            const refusal = localChangeRefusal(request.method ?? "GET", request.headers);
            return refusal ? send(response, refusal) : await services.inspect(request, response, url);
        }
        if (isConsoleRequest(request.method, url.pathname)) return await serveConsole(request, response, url);
        await services.gateway.handle(request, response, url);
    }
}

/** Listens on a socket file (removing one a crashed process left) or a named pipe. */
function listenOn(door: NetServer, doorPath: string): Promise<void> {
    removeAbandonedDoors();
    removeSocketFile(doorPath);
    return new Promise<void>((resolve, reject) => {
        door.once("error", reject);
        door.listen(doorPath, () => {
            door.off("error", reject);
            resolve();
        });
    });
}

function removeSocketFile(doorPath: string): void {
    if (process.platform === "win32") return;
    try {
        unlinkSync(doorPath);
    } catch {
        // Not there: nothing to remove.
    }
}

const isLocalPath = (pathname: string) => pathname === "/_local" || pathname.startsWith("/_local/");

function parseUrl(target: string | undefined, base: string): URL | undefined {
    try {
        return new URL(target ?? "/", base);
    } catch {
        return undefined;
    }
}

/** An AWS JSON service on the port: the X-Amz-Target prefix of the API it serves, its own answers for what is not an operation's error, and its handler. */
interface JsonService {
    targetPrefix: string;
    shape: ServiceShape;
    /** Whether this cloud serves it (absent: requests to it get UnknownOperationException). */
    served(services: Services): boolean;
    serve(services: Services, request: IncomingMessage, response: ServerResponse): Promise<void> | void;
}

const JSON_SERVICES: readonly JsonService[] = [
    { targetPrefix: "DynamoDB_", shape: DYNAMODB_SHAPE, served: () => true, serve: (services, request, response) => services.dynamo(request, response) },
    {
        targetPrefix: SFN_TARGET_PREFIX,
        shape: STEP_FUNCTIONS_SHAPE,
        served: () => true,
        serve: (services, request, response) => handleSfnRequest(services.stepFunctions, services.iam, request, response),
    },
    {
        targetPrefix: SQS_TARGET_PREFIX,
        shape: SQS_SHAPE,
        served: () => true,
        serve: (services, request, response) => handleSqsRequest(services.queues?.() ?? [], services.iam, request, response),
    },
    {
        targetPrefix: LOGS_TARGET_PREFIX,
        shape: LOGS_SHAPE,
        served: (services) => services.logs !== undefined,
        serve: (services, request, response) => handleLogsRequest(services.logs!, services.iam, request, response),
    },
    {
        targetPrefix: EVENTS_TARGET_PREFIX,
        shape: EVENTS_SHAPE,
        served: (services) => services.events !== undefined,
        serve: (services, request, response) => handleEventsRequest(services.events!, services.iam, request, response),
    },
];

const jsonServiceOf = (target: string) => JSON_SERVICES.find((service) => target.startsWith(service.targetPrefix));

/** Whose answers a request gets when it is refused or fails: the service it is addressed to. */
function shapeOf(target: string, request: IncomingMessage): ServiceShape {
    const service = jsonServiceOf(target);
    if (service) return service.shape;
    if (target !== "") return UNKNOWN_TARGET_SHAPE;
    const url = parseUrl(request.url, "http://local");
    if (url && isSqsQueryRequest(request.method, request.headers, url)) return SQS_QUERY_SHAPE;
    const path = url?.pathname ?? "";
    return isLocalPath(path) || isConsoleRequest(request.method, path) ? LOCAL_SHAPE : GATEWAY_SHAPE;
}
