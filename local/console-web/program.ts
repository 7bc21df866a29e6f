// What the console knows of the deployed program's API, from what it exposes: the stack's outputs
// and routes (/_local). The start form sends what a user's request would send, so its errors are
// the API's own; it learns its fields from the program's outputs, not by asking the API.
import { Overview, pathOf } from "./api";

export interface ProgramApi {
    /** The API's path on this origin, e.g. /v1/ (the program's apiUrl output, else the first stage). */
    apiPath: string;
    /** The status route's path with its parameter, e.g. /v1/trips/{tripId}; absent when the API has none. */
    statusPath?: string;
}

/** A status route is a GET on one collection and one path parameter, as the saga's is. */
const STATUS_ROUTE = /^GET (\/[\w-]+\/\{[\w-]+\})$/;

export function programApiOf(overview: Overview): ProgramApi | undefined {
    const output = overview.outputs.apiUrl;
    const stage = typeof output === "string" ? Object.keys(overview.routes).find((url) => output.startsWith(url)) : Object.keys(overview.routes)[0];
    if (stage === undefined) return undefined;
    const apiPath = pathOf(typeof output === "string" ? output : `${stage}/`);
    const status = overview.routes[stage].map((route) => STATUS_ROUTE.exec(route)?.[1]).find((path) => path !== undefined);
    return { apiPath, ...(status ? { statusPath: `${apiPath.replace(/\/$/, "")}${status}` } : {}) };
}

/** The status route's path for one saga id. */
export const statusPathOf = (program: ProgramApi, id: string) => program.statusPath?.replace(/\{[\w-]+\}/, encodeURIComponent(id));

/** The start request's parameters, as the program describes them. */
export interface StartForm {
    /** The query parameter of the saga id, e.g. tripID; absent: the console sends none (the start route chooses the id). */
    idParameter?: string;
    /** The run types failure injection accepts; empty when it is off. */
    runTypes: string[];
}

export const RUN_TYPE_PARAMETER = "runType";
/** The stack output in which a program describes its start request (index.ts exports it). */
export const START_REQUEST_OUTPUT = "startRequest";

/**
 * The start form, as the program describes its start request in its `startRequest` output
 * (`{ idParameter, runTypes }`): the console sends nothing to learn it. A program without that
 * output gets a form with no field: a start request with no parameter, which SagaComponent's start
 * handler answers with a generated id.
 */
export function startFormOf(overview: Overview): StartForm & { described: boolean } {
    const output = overview.outputs[START_REQUEST_OUTPUT] as { idParameter?: unknown; runTypes?: unknown } | undefined;
    if (typeof output !== "object" || output === null) return { runTypes: [], described: false };
    const idParameter = typeof output.idParameter === "string" && output.idParameter !== "" ? output.idParameter : undefined;
    const runTypes = Array.isArray(output.runTypes) ? output.runTypes.filter((type): type is string => typeof type === "string" && type !== "") : [];
    return { ...(idParameter ? { idParameter } : {}), runTypes, described: true };
}

/** The start request's query string: only what was given, as a user would write it. */
export function startQuery(form: StartForm, id: string, runType: string): string {
    const query = new URLSearchParams();
    if (id !== "" && form.idParameter) query.set(form.idParameter, id);
    if (runType !== "") query.set(RUN_TYPE_PARAMETER, runType);
    return query.toString();
}
