// The local cloud's own HTTP pieces: reading a body, answering JSON, and the endpoints for people
// and tests looking inside:
//   GET    /_local                what was deployed: outputs, routes, provisioned and acknowledged resources
//   GET    /_local/queues         every queue with its messages (the saga's failure records, what
//                                 the functions sent through the SQS API)
//   GET    /_local/queues/<name>  one queue (its `url` output points here)
//   DELETE /_local/queues/<name>  purges it
//   GET    /_local/metrics        Lambda requests, DynamoDB requests, Step Functions transitions (metrics.ts)
//   DELETE /_local/metrics        starts counting afresh; answers the counts until then
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudMetrics } from "./metrics";
import type { LocalQueue } from "./sqs";

export function readBody(request: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => resolve(Buffer.concat(chunks)));
        request.on("error", reject);
    });
}

export function sendJson(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body, null, 2);
    response.writeHead(statusCode, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    response.end(text);
}

export interface CloudView {
    overview(): object;
    queues(): LocalQueue[];
    metrics: CloudMetrics;
}

export function inspectHandler(view: CloudView) {
    return (request: IncomingMessage, response: ServerResponse, url: URL): void => {
        const method = request.method ?? "GET";
        const [, , collection, name, ...rest] = url.pathname.split("/");
        if (collection === undefined && method === "GET") return sendJson(response, 200, view.overview());
        if (collection === "metrics" && name === undefined && method === "GET") return sendJson(response, 200, view.metrics.snapshot());
        if (collection === "metrics" && name === undefined && method === "DELETE") return sendJson(response, 200, view.metrics.reset());
        if (collection === "queues" && name === undefined && method === "GET") {
            return sendJson(response, 200, { queues: view.queues().map((queue) => queue.summary()) });
        }
        if (collection === "queues" && name !== undefined && rest.length === 0) {
            const queue = view.queues().find((candidate) => candidate.name === decodeURIComponent(name));
            if (!queue) return sendJson(response, 404, { message: `No queue named ${name}; GET /_local/queues lists them.` });
            if (method === "GET") return sendJson(response, 200, queue.summary());
            if (method === "DELETE") return sendJson(response, 200, { purged: queue.purge() });
        }
        sendJson(response, 404, {
            message: "The local endpoints are GET /_local, GET /_local/queues, GET and DELETE /_local/queues/<name>, GET and DELETE /_local/metrics.",
        });
    };
}
