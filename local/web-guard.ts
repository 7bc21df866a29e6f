// What keeps the pages open in the developer's browser from driving the local cloud. A page on
// another origin may send requests it cannot read the answers of: a `text/plain` or form POST
// needs no CORS preflight. And a page whose DNS name it rebinds to 127.0.0.1 becomes, to the
// browser, the same origin as the cloud: it could read the console's script (with the operator's
// keys) and anything else. So:
// - every request must be addressed to the cloud by one of its own names (the Host header):
//   127.0.0.1, localhost or [::1], with its port. The AWS SDKs and CLIs, curl, the API Gateway
//   stand-in's clients and the functions all send the endpoint URL's host, so they pass; a
//   rebinding page sends its own name, and is refused;
// - the local endpoints change only through their documented method (never a form's POST), with
//   a JSON body, and from no other origin: a browser says where a request comes from (Origin),
//   and the CORS preflight a cross-origin JSON request needs is never answered;
// - their answers and the console's say `X-Content-Type-Options: nosniff`, so no page can load
//   them as a script or a style sheet.
import type { IncomingHttpHeaders } from "node:http";
import { Answer, jsonAnswer } from "./http";

/** The hosts the local cloud on `port` answers to, as a client writes them in a Host header. */
export function ownHosts(port: number): string[] {
    const names = ["127.0.0.1", "localhost", "[::1]"];
    // A client leaves out the scheme's default port.
    return [...names.map((name) => `${name}:${port}`), ...(port === 80 ? names : [])];
}

/** Why the request is not for this cloud (its Host is another's), or undefined when it is. */
export function foreignHostRefusal(headers: IncomingHttpHeaders, port: number): Answer | undefined {
    const host = headers.host?.toLowerCase();
    const own = ownHosts(port);
    if (host !== undefined && own.includes(host)) return undefined;
    return jsonAnswer(403, {
        message:
            `The local cloud answers requests addressed to it as ${own.slice(0, 3).join(", ")}, not ${host === undefined ? "without a Host header" : `to ${JSON.stringify(headers.host)}`}: ` +
            "a web page whose name points at 127.0.0.1 (DNS rebinding) must not reach it. Use one of those in the endpoint URL.",
    });
}

/** The methods that read; every other changes something. */
const READS = new Set(["GET", "HEAD"]);

/**
 * Why a request to /_local is refused as one a web page could have sent, or undefined: a change
 * (any method but GET and HEAD) from another origin, or whose body is not JSON.
 */
export function localChangeRefusal(method: string, headers: IncomingHttpHeaders): Answer | undefined {
    if (READS.has(method)) return undefined;
    const origin = headers.origin;
    // Same origin: the scheme and the Host the request was sent to (already one of the cloud's own).
    if (origin !== undefined && origin.toLowerCase() !== `http://${String(headers.host).toLowerCase()}`) {
        return jsonAnswer(403, {
            message: `The local endpoints take changes from the local cloud's own origin only (or from no browser at all), not from ${JSON.stringify(origin)}.`,
        });
    }
    const type = String(headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    const hasBody = headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) > 0;
    if ((hasBody || method === "PUT") && type !== "application/json") {
        return jsonAnswer(415, {
            message: `The local endpoints take a ${method} with a JSON body only: send Content-Type: application/json${type ? `, not ${type}` : ""} (e.g. curl -H 'content-type: application/json').`,
        });
    }
    return undefined;
}
