// The endpoints for people and tests looking inside the local cloud:
//   GET    /_local                what was deployed: outputs, routes, provisioned and acknowledged resources
//   GET    /_local/queues         every queue with its messages (the saga's failure records, what
//                                 the functions sent through the SQS API)
//   GET    /_local/queues/<name>  one queue (its `url` output points here)
//   DELETE /_local/queues/<name>  purges it
//   GET    /_local/metrics        Lambda requests, DynamoDB requests, Step Functions transitions (metrics.ts)
//   DELETE /_local/metrics        starts counting afresh; answers the counts until then
//   GET    /_local/faults         the compensation failure rate of each function (faults.ts)
//   PUT    /_local/faults         sets it, e.g. {"compensationFailureRate": 0} ends a fault while sagas run
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http";
import type { CloudMetrics } from "./metrics";
import type { LocalQueue } from "./sqs/queue";

export interface CloudView {
    overview(): object;
    queues(): LocalQueue[];
    metrics: CloudMetrics;
    /** GET and PUT /_local/faults. */
    faults(request: IncomingMessage, response: ServerResponse): Promise<void> | void;
}

export function inspectHandler(view: CloudView) {
    return (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> | void => {
        const method = request.method ?? "GET";
        const [, , collection, name, ...rest] = url.pathname.split("/");
        if (collection === undefined && method === "GET") return sendJson(response, 200, view.overview());
        if (collection === "metrics" && name === undefined && method === "GET") return sendJson(response, 200, view.metrics.snapshot());
        if (collection === "metrics" && name === undefined && method === "DELETE") return sendJson(response, 200, view.metrics.reset());
        if (collection === "faults" && name === undefined) return view.faults(request, response);
        if (collection === "queues" && name === undefined && method === "GET") {
            return sendJson(response, 200, { queues: view.queues().map((queue) => queue.summary()) });
        }
        if (collection === "queues" && name !== undefined && rest.length === 0) {
            let decoded: string;
            try {
                decoded = decodeURIComponent(name);
            } catch {
                return sendJson(response, 400, { message: `The queue name in ${url.pathname} is not valid percent-encoding.` });
            }
            const queue = view.queues().find((candidate) => candidate.name === decoded);
            if (!queue) return sendJson(response, 404, { message: `No queue named ${name}; GET /_local/queues lists them.` });
            if (method === "GET") return sendJson(response, 200, queue.summary());
            if (method === "DELETE") return sendJson(response, 200, { purged: queue.purge() });
        }
        sendJson(response, 404, {
            message: "The local endpoints are GET /_local, GET /_local/queues, GET and DELETE /_local/queues/<name>, GET and DELETE /_local/metrics, GET and PUT /_local/faults.",
        });
    };
}
