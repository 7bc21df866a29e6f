// The start Lambda behind the API: reads the saga id and run type from the query string, checks
// them, and starts one execution named after the saga id. Generic: a saga passes its parameter
// name, its run types and how to build its execution input.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { randomUUID } from "node:crypto";
import { Env } from "../../components/model/conventions";
import { log, requireEnv } from "./env";
import { failureInjectionEnabled } from "./failures";
import { ApiGatewayProxyEvent, ApiGatewayProxyResult, respond } from "./http";
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
    /** The execution input for a saga id and an optional run type. */
    buildInput(id: string, runType: string | undefined): object;
}

export const RUN_TYPE_PARAMETER = "runType";

export function createStartHandler(options: StartHandlerOptions) {
    return async function handler(event: ApiGatewayProxyEvent): Promise<ApiGatewayProxyResult> {
        const query = event.queryStringParameters ?? {};
        const request = parseRequest(query, options);
        if ("error" in request) return respond(400, { message: request.error });

        const { id, runType } = request;
        try {
            const started = await sfn.send(
                new StartExecutionCommand({
                    stateMachineArn: requireEnv(Env.stateMachineArn),
                    // The id as the name makes a repeated identical request start nothing new:
                    // Step Functions returns the existing execution (STANDARD machines).
                    name: id,
                    input: JSON.stringify(options.buildInput(id, runType)),
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
                return respond(409, {
                    message: `A saga with ${options.idParameter} "${id}" already exists: it has ended, or was started with another input (e.g. another ${RUN_TYPE_PARAMETER}). Use a new ${options.idParameter} for a new saga.`,
                });
            }
            // Details stay in the logs: they may name the account, the machine or the role.
            log("error", "Could not start the saga", { id, error: String(error), requestId: event.requestContext?.requestId });
            return respond(500, { message: "Could not start the saga; the details are in the start function's logs." });
        }
    };
}

type ParsedRequest = { id: string; runType?: string } | { error: string };

/** Checks the query string; bad input is answered here and never reaches Step Functions. */
export function parseRequest(query: Record<string, string | undefined>, options: StartHandlerOptions): ParsedRequest {
    const rawId = query[options.idParameter];
    if (rawId !== undefined && !SAGA_ID_PATTERN.test(rawId)) {
        return { error: `\`${options.idParameter}\` must be ${SAGA_ID_RULE}; omit it to get a generated id.` };
    }
    const runType = query[RUN_TYPE_PARAMETER];
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
