// The local cloud's own HTTP pieces: reading a body within a service's limit, answering JSON, and
// the safety net that keeps one request's error inside that request. The endpoints for people and
// tests looking inside (/_local) are in inspect.ts.
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthProblem } from "./iam/problems";

/** A complete answer: what a service sends for errors that are not its business logic. */
export interface Answer {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
}

/** How one service behind the port answers a body over its limit and a failure of the local cloud itself. */
export interface ServiceShape {
    /** For log lines, e.g. "DynamoDB". */
    name: string;
    /** The service's answer to a request body over `limit` bytes (AWS: 413). */
    tooLarge(limit: number): Answer;
    /** The service's answer to an error of the local cloud (a bug, never the caller's input): 500. */
    internalFailure(): Answer;
}

/**
 * The request being served, for everything that runs on its behalf, callbacks and timers included
 * (AsyncLocalStorage): readBody answers a body over the limit in the service's shape, and an error
 * thrown where no handler catches it (a library's callback) is answered on the request it belongs to.
 */
export interface RequestScope {
    request: IncomingMessage;
    response: ServerResponse;
    shape: ServiceShape;
    log(line: string): void;
    /** Set once readBody has answered (413): what the handler does after that is moot. */
    answered?: boolean;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** Runs `serve` (and everything it starts) as the handling of `scope.request`. */
export function withinRequest<T>(scope: RequestScope, serve: () => T): T {
    return scopes.run(scope, serve);
}

/** The request whose handling is running now, if any. */
export function currentRequest(): RequestScope | undefined {
    return scopes.getStore();
}

/** The body was over the service's limit: readBody stopped reading and answered it (413). */
export class RequestTooLarge extends Error {
    constructor(readonly limit: number) {
        super(`The request body is over ${limit} bytes.`);
        this.name = "RequestTooLarge";
    }
}

/** The client went away before its body ended: there is nobody to answer. */
export class RequestAborted extends Error {
    constructor() {
        super("The client closed the connection before the request body ended.");
        this.name = "RequestAborted";
    }
}

/**
 * The request body, read as it arrives and never more than `maxBytes` of it. A body over the
 * limit (a Content-Length that says so, or the bytes once they pass it) is answered at once with
 * the service's own 413 (see ServiceShape) when the request is being served by the local server,
 * the rest of it is discarded unread so the client can read that answer, and the promise rejects
 * with RequestTooLarge. A client that goes away mid-body rejects it with RequestAborted.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
    // Taken now: the stream's events run in the context the connection was opened in, not this request's.
    const scope = currentRequest();
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        const onData = (chunk: Buffer) => {
            received += chunk.length;
            if (received > maxBytes) return refuse();
            chunks.push(chunk);
        };
        const onEnd = () => {
            stop();
            resolve(Buffer.concat(chunks, received));
        };
        const onGone = () => {
            stop();
            reject(new RequestAborted());
        };
        const listeners: [string, (chunk: Buffer) => void][] = [
            ["data", onData],
            ["end", onEnd],
            ["error", onGone],
            ["close", onGone],
        ];
        const stop = () => listeners.forEach(([event, listener]) => request.off(event, listener));
        const refuse = () => {
            stop();
            chunks.length = 0;
            // What is still coming is read and dropped, so the client can send it all and read the answer.
            request.on("error", () => undefined);
            request.resume();
            if (scope && scope.request === request && !scope.response.headersSent) {
                scope.answered = true;
                sendBeforeBodyEnds(request, scope.response, scope.shape.tooLarge(maxBytes));
            }
            reject(new RequestTooLarge(maxBytes));
        };
        const declared = Number(request.headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBytes) return refuse();
        if (request.readableEnded) return resolve(Buffer.alloc(0));
        listeners.forEach(([event, listener]) => request.on(event, listener));
    });
}

/**
 * Sends an answer while the request body is still arriving: all of it at once (its length says
 * where it ends, so the client can read it), but the response is ended, which may close the
 * connection (a client that said `Connection: close`), only once the client has sent the rest. A
 * connection closed under a client still sending resets it, and the answer can be lost.
 */
export function sendBeforeBodyEnds(request: IncomingMessage, response: ServerResponse, answer: Answer): void {
    response.writeHead(answer.statusCode, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
    response.write(answer.body);
    if (request.readableEnded || request.destroyed) return void response.end();
    const end = () => response.end();
    request.once("end", end);
    request.once("close", end);
}

/** Sends a complete answer. */
export function send(response: ServerResponse, answer: Answer): void {
    response.writeHead(answer.statusCode, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) });
    response.end(answer.body);
}

/**
 * The safety net: `error` escaped the handling of a request (a bug, of the local cloud or of a
 * library it runs). It is logged, and the request, when it can still be answered, gets the
 * service's InternalFailure (500); a half-sent answer is cut off. Nothing else is affected.
 */
export function failRequest(error: unknown, scope: RequestScope | undefined = currentRequest(), uncaught = false): void {
    if (!scope) return;
    const { request, response } = scope;
    if (error instanceof RequestAborted || scope.answered) return;
    const where = uncaught ? " (uncaught, thrown in a callback on its behalf)" : "";
    scope.log(`Internal error answering ${scope.shape.name} ${request.method} ${request.url}${where}: ${(error as Error)?.stack ?? String(error)}`);
    if (!response.headersSent) send(response, scope.shape.internalFailure());
    else if (!response.writableEnded) response.destroy();
}

/** An answer of the local cloud's own endpoints (and fallbacks): JSON with a message. */
export function jsonAnswer(statusCode: number, body: unknown, headers: Record<string, string> = {}): Answer {
    return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body, null, 2) };
}

/** The /_local endpoints' shape: there is no AWS service to imitate. */
export const LOCAL_SHAPE: ServiceShape = {
    name: "local endpoint",
    tooLarge: (limit) => jsonAnswer(413, { message: `The local endpoints take no body over ${limit} bytes.` }),
    internalFailure: () => jsonAnswer(500, { message: "Internal error of the local cloud; see its log." }),
};

/** Step Functions' largest request, as AWS counts it (1 MB, a hard quota; the input member alone: 256 KB). */
export const STEP_FUNCTIONS_MAX_REQUEST_BYTES = 1_048_576;

/** Step Functions' answers for what is not an operation's error (local/sfn/api.ts answers those). */
export const STEP_FUNCTIONS_SHAPE: ServiceShape = {
    name: "Step Functions",
    tooLarge: (limit) => awsJson(413, "com.amazon.coral.service#RequestEntityTooLargeException", "message", `Request size exceeds ${limit} bytes.`),
    internalFailure: () => awsJson(500, "com.amazon.coral.service#InternalFailure", "message", "Internal error of the local cloud; see its log."),
};

/** A request refused before its operation, as the AWS JSON services (DynamoDB, Step Functions) answer it. */
export function awsJsonAuthError(refusal: AuthProblem): Answer {
    return awsJson(400, `com.amazon.coral.service#${refusal.code}Exception`, "message", refusal.message);
}

/** An error as AWS JSON 1.0 services answer it: `__type` and a message (DynamoDB spells some `Message`). */
export function awsJson(statusCode: number, type: string, messageKey: "message" | "Message", message: string, headers: Record<string, string> = {}): Answer {
    return { statusCode, headers: { "content-type": "application/x-amz-json-1.0", ...headers }, body: JSON.stringify({ __type: type, [messageKey]: message }) };
}

export function sendJson(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body, null, 2);
    response.writeHead(statusCode, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    response.end(text);
}
