// The start Lambda behind the API: reads the saga id and run type from the query string, and the
// saga's input from a JSON body when the saga takes one, checks them, and starts one execution
// named after the saga id. Only an explicit request starts one: GET or POST, outside the status
// route's first segment, with known parameters given once, and a body only on a POST to a saga that
// takes one, matching its schema; anything else is answered (405, 404, 400, 413, 415) and starts
// nothing. Generic: a saga passes its parameter name, its run types, the schema of its input and
// how to build its execution input.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { randomUUID } from "node:crypto";
import { WorkflowType } from "../../components/model/args";
import { Env, ExpressOutcomes, SagaRecordFields } from "../../components/model/conventions";
import { log, requireEnv } from "./env";
import { failureInjectionEnabled } from "./failures";
import { ApiGatewayProxyEvent, ApiGatewayProxyResult, hasBody, respond } from "./http";
import { BodyInput, InputSchema, MAX_INPUT_BYTES, readJsonBody } from "./input";
import { claimSaga } from "./records";
import { SAGA_ID_PATTERN, SAGA_ID_RULE } from "./saga-event";

// Created once per container; the SDK reads AWS_ENDPOINT_URL_SFN itself, as on Lambda.
const sfn = new SFNClient({});

export type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from "./http";

export interface StartHandlerOptions {
    /** Query parameter carrying the saga id, e.g. `tripID`. A new UUID is used when absent. */
    idParameter: string;
    /** Name of the id in the response besides the generic `id`, e.g. `tripId`. */
    idField?: string;
    /** Allowed values of the `runType` query parameter (failure injection). */
    runTypes: readonly string[];
    /**
     * What the saga's input must match, when a start request may carry it: `jsonSchema(schema)`
     * from saga/handlers/lib/json-schema (checked with Ajv). Then a POST with an `application/json`
     * body (at most 256 KB) must match it, and its value is passed to `buildInput`. Without it, a
     * request with a body is refused.
     */
    inputSchema?: InputSchema;
    /** The execution input for a saga id, an optional run type and the body's value (undefined when the request has none). */
    buildInput(id: string, runType: string | undefined, body?: unknown): object;
}

export const RUN_TYPE_PARAMETER = "runType";
/** The methods that start a saga: the API routes only these here (START_METHODS of components/api.ts). */
export const START_METHODS: readonly string[] = ["GET", "POST"];

export function createStartHandler(options: StartHandlerOptions) {
    const schema = options.inputSchema;
    return async function handler(event: ApiGatewayProxyEvent): Promise<ApiGatewayProxyResult> {
        const refused = refusal(event, options);
        if (refused) return refused;
        const request = parseRequest(event.multiValueQueryStringParameters ?? event.queryStringParameters ?? {}, options);
        if ("error" in request) return respond(400, { message: request.error });
        const body = schema && hasBody(event) ? bodyInput(event, schema) : { value: undefined };
        if ("status" in body) return respond(body.status, { message: body.message });

        const { id, runType } = request;
        const input = JSON.stringify(options.buildInput(id, runType, body.value));
        if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
            return respond(413, { message: `The saga's input would be ${Buffer.byteLength(input)} bytes; Step Functions takes at most ${MAX_INPUT_BYTES} (256 KB).` });
        }
        if (process.env[Env.workflowType] === WorkflowType.EXPRESS) return startExpress(event, options, id, runType, input);
        try {
            const started = await sfn.send(
                new StartExecutionCommand({
                    stateMachineArn: requireEnv(Env.stateMachineArn),
                    // The id as the name makes a repeated identical request start nothing new:
                    // Step Functions returns the existing execution (STANDARD machines).
                    name: id,
                    input,
                }),
            );
            log("info", "Saga started", { id, runType, executionArn: started.executionArn });
            const idField = options.idField ? { [options.idField]: id } : {};
            return respond(202, {
                id,
                ...idField,
                ...(runType ? { runType } : {}),
                executionArn: started.executionArn,
                startDate: started.startDate?.toISOString(),
                hint: `Follow the execution in the Step Functions console by its ARN; every record of this saga is in the table under pk = "${id}".`,
            });
        } catch (error) {
            // Step Functions returns the running execution for a repeat with the same input, and
            // refuses the name once that execution has ended, or for another input.
            if (error instanceof ExecutionAlreadyExists) {
                return respond(409, { message: alreadyExists(options, id) });
            }
            // Details stay in the logs: they may name the account, the machine or the role.
            log("error", "Could not start the saga", { id, error: String(error), requestId: event.requestContext?.requestId });
            return respond(500, { message: "Could not start the saga; the details are in the start function's logs." });
        }
    };
}

/**
 * Starts an EXPRESS saga. Step Functions does not deduplicate EXPRESS execution names, so the
 * saga's record decides: written only where none has this id, then the execution starts. A repeat
 * of a saga still running answers as STANDARD's start does (202, the same id) and starts nothing;
 * a saga that has ended, or was started with another input, is refused (409), as on STANDARD. A
 * start that recorded the saga and died before its execution started leaves it open: the sweep
 * hands it to the repair after its deadline (docs/express.md).
 */
async function startExpress(event: ApiGatewayProxyEvent, options: StartHandlerOptions, id: string, runType: string | undefined, input: string): Promise<ApiGatewayProxyResult> {
    const answer = (fields: Record<string, unknown>) =>
        respond(202, {
            id,
            ...(options.idField ? { [options.idField]: id } : {}),
            ...(runType ? { runType } : {}),
            ...fields,
            hint: `Follow the saga on its status route; its execution's events are in the state machine's CloudWatch log, and every record of this saga is in the table under pk = "${id}".`,
        });
    try {
        const timeoutSeconds = Number(requireEnv(Env.executionTimeoutSeconds));
        const claim = await claimSaga({ sagaId: id, input, startedAt: new Date(), timeoutSeconds });
        if (!claim.created) {
            const record = claim.record;
            if (record?.outcome === ExpressOutcomes.running && record[SagaRecordFields.input] === input) {
                log("info", "Saga already started: nothing new started", { id, runType });
                return answer({ executionArn: record[SagaRecordFields.executionArn] ?? null, startDate: record[SagaRecordFields.startedAt] ?? null });
            }
            return respond(409, { message: alreadyExists(options, id) });
        }
        const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: requireEnv(Env.stateMachineArn), name: id, input }));
        log("info", "Saga started", { id, runType, executionArn: started.executionArn });
        return answer({ executionArn: started.executionArn, startDate: started.startDate?.toISOString() });
    } catch (error) {
        log("error", "Could not start the saga", { id, error: String(error), requestId: event.requestContext?.requestId });
        return respond(500, { message: "Could not start the saga; the details are in the start function's logs." });
    }
}

const alreadyExists = (options: StartHandlerOptions, id: string) =>
    `A saga with ${options.idParameter} "${id}" already exists: it has ended, or was started with another input (e.g. another ${RUN_TYPE_PARAMETER}). Use a new ${options.idParameter} for a new saga.`;

/**
 * The answer to a request that is no start request, whatever its query string: another method,
 * a path under the status route's first segment (the API routes the exact ones elsewhere; a case
 * variant such as /TRIPS/42 reaches this function), or a body to a saga that takes no input.
 */
function refusal(event: ApiGatewayProxyEvent, options: StartHandlerOptions): ApiGatewayProxyResult | undefined {
    const method = event.httpMethod?.toUpperCase();
    if (method !== undefined && !START_METHODS.includes(method)) {
        return respond(405, { message: `Method not allowed: only ${START_METHODS.join(" and ")} start a saga.` }, { allow: START_METHODS.join(", ") });
    }
    const statusPath = process.env[Env.statusPath];
    const path = requestPath(event);
    if (statusPath && path !== undefined && firstSegment(path)?.toLowerCase() === firstSegment(statusPath)?.toLowerCase()) {
        return respond(404, {
            message:
                `Not found: ${path}. No path under /${firstSegment(statusPath)}, in any letter case, starts a saga: ` +
                `they belong to the status route, GET ${statusPath}.`,
        });
    }
    if (hasBody(event) && !options.inputSchema) {
        return respond(400, { message: `The start request takes no body: give \`${options.idParameter}\` and \`${RUN_TYPE_PARAMETER}\` in the query string.` });
    }
    return undefined;
}

/** The body's value when it is JSON matching the saga's schema; otherwise the answer, every problem named. */
function bodyInput(event: ApiGatewayProxyEvent, schema: InputSchema): BodyInput {
    const body = readJsonBody(event);
    if ("status" in body) return body;
    const problems = schema.validate(body.value);
    return problems.length === 0 ? body : { status: 400, message: `The body is not this saga's input: ${problems.join(" ")}` };
}

/** The path below the stage: the greedy path parameter of /{proxy+} (not prefixed by a custom domain's base path), else the event's path. */
function requestPath(event: ApiGatewayProxyEvent): string | undefined {
    const proxy = event.pathParameters?.proxy;
    return proxy !== undefined ? `/${proxy}` : event.path;
}

const firstSegment = (path: string): string | undefined => path.split("/").find((segment) => segment !== "");

type ParsedRequest = { id: string; runType?: string } | { error: string };

/**
 * Checks the query string (every value of each parameter: the proxy event's multi-value map); bad
 * input is answered here and never reaches Step Functions. A parameter this request does not take
 * is refused, not ignored (a misspelled `runType` would otherwise book a trip that succeeds), and
 * so is a repeated one (which value was meant?).
 */
export function parseRequest(query: Record<string, string | string[] | undefined>, options: StartHandlerOptions): ParsedRequest {
    const known = [options.idParameter, RUN_TYPE_PARAMETER];
    const values = new Map<string, string[]>();
    for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) values.set(name, Array.isArray(value) ? value : [value]);
    }
    const problems = [...values].flatMap(([name, given]) => {
        if (!known.includes(name)) {
            const meant = closest(name, known);
            return [`\`${name}\` is not a parameter of this request${meant ? `; did you mean \`${meant}\`?` : "."}`];
        }
        return given.length > 1 ? [`\`${name}\` is given ${given.length} times; give it once.`] : [];
    });
    if (problems.length > 0) {
        return { error: `${problems.join(" ")} The parameters are \`${options.idParameter}\` and \`${RUN_TYPE_PARAMETER}\`, each at most once.` };
    }
    const rawId = values.get(options.idParameter)?.[0];
    if (rawId !== undefined && !SAGA_ID_PATTERN.test(rawId)) {
        return { error: `\`${options.idParameter}\` must be ${SAGA_ID_RULE}; omit it to get a generated id.` };
    }
    const runType = values.get(RUN_TYPE_PARAMETER)?.[0];
    if (runType !== undefined) {
        if (!failureInjectionEnabled()) {
            return { error: `\`${RUN_TYPE_PARAMETER}\` is not accepted: failure injection is disabled on this stack.` };
        }
        if (!options.runTypes.includes(runType)) {
            return { error: `\`${RUN_TYPE_PARAMETER}\` must be one of ${options.runTypes.join(", ")}; omit it for a run without injected failures.` };
        }
    }
    return { id: rawId ?? randomUUID(), ...(runType !== undefined ? { runType } : {}) };
}

/** The known name a misspelled one most likely meant: the same in another letter case, or at most two edits away. */
function closest(name: string, known: string[]): string | undefined {
    const lower = name.toLowerCase();
    const sameLetters = known.find((candidate) => candidate.toLowerCase() === lower);
    if (sameLetters) return sameLetters;
    const scored = known.map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }));
    const best = scored.sort((a, b) => a.distance - b.distance)[0];
    return best && best.distance <= 2 ? best.candidate : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}
