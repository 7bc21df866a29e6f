// Requests as a careless or hostile client sends them, which fetch refuses to: a body on any
// method, any header, a body streamed without a length, and bytes written straight to the socket
// (a body cut short, a request target that is no URL). The robustness and fuzz tests use them.
import { IncomingHttpHeaders, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { OPERATOR_CREDENTIALS } from "../../local/iam/operator";
import { NodeSha256 } from "../../local/iam/node-sha256";
import { signRequest, SigningName } from "../../local/iam/signing";

export interface RawAnswer {
    status: number;
    headers: IncomingHttpHeaders;
    text: string;
}

export interface RawRequest {
    method?: string;
    headers?: Record<string, string>;
    /** Sent with a Content-Length; chunks are streamed without one (chunked transfer encoding). */
    body?: string | Buffer | Iterable<Buffer>;
}

/** One request on a connection of its own; rejects when the connection drops without an answer. */
export function rawRequest(url: string, { method = "POST", headers = {}, body }: RawRequest = {}): Promise<RawAnswer> {
    // Node frames no body of a DELETE or OPTIONS by itself; a client that sends one says its length.
    const length = typeof body === "string" || Buffer.isBuffer(body) ? { "content-length": String(Buffer.byteLength(body)) } : {};
    return new Promise((resolve, reject) => {
        const request = httpRequest(url, { method, headers: { ...length, ...headers }, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () => {
                resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") });
                // Answered before the body was all sent (413): stop sending, as curl does.
                if (!request.writableFinished) request.destroy();
            });
            response.on("error", reject);
        });
        // A drop after the answer came (the server answered 413 early) does not change the answer.
        request.on("error", reject);
        if (body === undefined || typeof body === "string" || Buffer.isBuffer(body)) {
            request.end(body);
            return;
        }
        void (async () => {
            for (const chunk of body) {
                if (request.destroyed) return;
                if (!request.write(chunk)) await new Promise((drained) => request.once("drain", drained));
            }
            request.end();
        })();
    });
}

/**
 * Writes `bytes` to a fresh connection and hangs up once an answer (with a Content-Length) has
 * arrived, or after `closeAfterMs`; answers whatever the server sent ("" for nothing).
 */
export function sendRaw(port: number, bytes: string, closeAfterMs = 200): Promise<string> {
    return new Promise((resolve, reject) => {
        let received = Buffer.alloc(0);
        const socket = connect(port, "127.0.0.1", () => {
            socket.write(bytes);
            setTimeout(() => socket.destroy(), closeAfterMs);
        });
        socket.on("data", (chunk: Buffer) => {
            received = Buffer.concat([received, chunk]);
            const head = received.indexOf("\r\n\r\n");
            const length = /\r\ncontent-length: *(\d+)/i.exec(received.subarray(0, Math.max(head, 0)).toString("latin1"));
            if (head >= 0 && length && received.length >= head + 4 + Number(length[1])) socket.destroy();
        });
        socket.on("close", () => resolve(received.toString("utf8")));
        socket.on("error", reject);
    });
}

/** `count` chunks of `size` bytes of "a", the same buffer each time: a large body without holding it. */
export function* repeatedChunks(count: number, size = 1024 * 1024): Iterable<Buffer> {
    const chunk = Buffer.alloc(size, "a");
    for (let i = 0; i < count; i++) yield chunk;
}

/** The headers the AWS SDK sends to DynamoDB, before it signs them (`signedAsOperator`). */
export function dynamoDbHeaders(operation: string): Record<string, string> {
    return { "content-type": "application/x-amz-json-1.0", "x-amz-target": `DynamoDB_20120810.${operation}` };
}

/**
 * The request with the operator's SigV4 signature for `service` added, as the AWS SDK signs it:
 * over the host, the body and the request's own headers; as the local cloud requires (--iam).
 */
export async function signedAsOperator(url: string, request: RawRequest & { body?: string | Buffer }, service: SigningName): Promise<RawRequest> {
    const method = request.method ?? "POST";
    const headers = await signRequest({ method, url, headers: request.headers ?? {}, body: request.body }, OPERATOR_CREDENTIALS, "us-east-1", service, NodeSha256);
    return { ...request, method, headers: { ...headers, host: new URL(url).host } };
}
