// The running switch of the saga's random compensation failures, so a fault can be ended (or begun)
// while sagas run: `GET /_local/faults` reads, `PUT` `{"compensationFailureRate": 0}` (JSON, see web-guard.ts)
// sets the variable they come from (SAGA_COMPENSATION_FAILURE_RATE, which the component sets from
// `testing.compensationFailureRate`, e.g. `--config saga:compensationFailureRate=1`) on every
// function that declares it, from its next invocation on. A restart goes back to the stack's config.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Env } from "../components/model/conventions";
import { readBody, sendJson } from "./http";
import type { LocalFunction } from "./lambda/function";

interface FaultSettings {
    /** The rate each function that declares it has now, by function name. */
    compensationFailureRate: Record<string, number>;
}

const MAX_BODY_BYTES = 4096;

/** The functions whose compensations fail at random: those that declare the variable. */
const injecting = (functions: LocalFunction[]) => functions.filter((fn) => Env.compensationFailureRate in fn.spec.environment);

function faultSettings(functions: LocalFunction[]): FaultSettings {
    return { compensationFailureRate: Object.fromEntries(injecting(functions).map((fn) => [fn.spec.name, Number(fn.spec.environment[Env.compensationFailureRate])])) };
}

/** Sets the rate on every function that declares it; answers the settings, or why the rate is refused. */
function setCompensationFailureRate(functions: LocalFunction[], rate: unknown): FaultSettings | string {
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) return `\`compensationFailureRate\` must be a number from 0 to 1, not ${JSON.stringify(rate)}.`;
    for (const fn of injecting(functions)) fn.updateEnvironment({ [Env.compensationFailureRate]: String(rate) });
    return faultSettings(functions);
}

export async function serveFaults(functions: LocalFunction[], request: IncomingMessage, response: ServerResponse, log: (line: string) => void): Promise<void> {
    const method = request.method ?? "GET";
    if (method === "GET") return sendJson(response, 200, faultSettings(functions));
    if (method !== "PUT") return sendJson(response, 405, { message: "GET reads the faults; PUT {\"compensationFailureRate\": <0..1>} (application/json) sets them." }, { allow: "GET, PUT" });
    // A body over the limit is answered by readBody (413); only what is not JSON is answered here.
    const raw = (await readBody(request, MAX_BODY_BYTES)).toString("utf8");
    let body: unknown;
    try {
        body = JSON.parse(raw);
    } catch {
        return sendJson(response, 400, { message: "The body must be JSON: {\"compensationFailureRate\": <0..1>}." });
    }
    const fields = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const unknown = Object.keys(fields).filter((key) => key !== "compensationFailureRate");
    if (unknown.length > 0 || !("compensationFailureRate" in fields)) {
        return sendJson(response, 400, { message: `The body takes \`compensationFailureRate\` only${unknown.length > 0 ? `, not ${unknown.join(", ")}` : ""}.` });
    }
    const result = setCompensationFailureRate(functions, fields.compensationFailureRate);
    if (typeof result === "string") return sendJson(response, 400, { message: result });
    log(`Faults: compensationFailureRate is now ${fields.compensationFailureRate} for ${Object.keys(result.compensationFailureRate).length} function(s).`);
    sendJson(response, 200, result);
}
