// What the console knows of the deployed program's API, from what it exposes: the stack's outputs
// and routes (/_local), and the start route's own answers. The start form sends what a user's
// request would send, so its errors are the API's own.
import { ConsoleApi, Overview, pathOf } from "./api";

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

/** The start request's parameters, as the start route names them. */
export interface StartForm {
    /** The query parameter of the saga id, e.g. tripID. */
    idParameter: string;
    /** The run types failure injection accepts; empty when the stack refuses them. */
    runTypes: string[];
}

export const RUN_TYPE_PARAMETER = "runType";
/** A parameter no start request takes: the probe that makes the route name its parameters. */
export const PROBE_PARAMETER = "_console";

/** "The parameters are `tripID` and `runType`" of the start handler's 400 to an unknown parameter. */
export function idParameterFrom(message: string): string | undefined {
    return new RegExp(`The parameters are \`([^\`]+)\` and \`${RUN_TYPE_PARAMETER}\``).exec(message)?.[1];
}

/** The run types the start handler's 400 to an empty runType lists; [] when it refuses any (injection off); undefined when it says neither. */
export function runTypesFrom(message: string): string[] | undefined {
    if (message.includes("failure injection is disabled")) return [];
    const listed = /must be one of (.+?); omit it/.exec(message)?.[1];
    return listed?.split(", ");
}

/**
 * Asks the start route what it takes, with two requests it refuses with 400 and starts nothing
 * for (an unknown parameter; an empty runType): SagaComponent's start handler names its
 * parameters and run types in those answers. Undefined when the route answers otherwise.
 */
export async function discoverStartForm(api: ConsoleApi, program: ProgramApi): Promise<StartForm | undefined> {
    const message = async (query: string) => {
        const { status, body } = await api.get<{ message?: unknown }>(`${program.apiPath}?${query}`);
        return status === 400 && typeof body?.message === "string" ? body.message : undefined;
    };
    const parameters = await message(`${PROBE_PARAMETER}=`);
    const idParameter = parameters && idParameterFrom(parameters);
    if (!idParameter) return undefined;
    const runTypes = runTypesFrom((await message(`${RUN_TYPE_PARAMETER}=`)) ?? "") ?? [];
    return { idParameter, runTypes };
}

/** The start request's query string: only what was given, as a user would write it. */
export function startQuery(form: StartForm, id: string, runType: string): string {
    const query = new URLSearchParams();
    if (id !== "") query.set(form.idParameter, id);
    if (runType !== "") query.set(RUN_TYPE_PARAMETER, runType);
    return query.toString();
}
