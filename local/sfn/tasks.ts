// Binds the Task states of a definition to local targets, the way Step Functions calls AWS: the
// lambda:invoke integration (and a plain Lambda ARN as Resource) calls a function, the
// sqs:sendMessage integration sends to a queue. aws-local-stepfunctions takes one local handler
// per state name; a Task left unbound would call real AWS, so every Task must bind or fail here.
// the dynamodb:getItem/putItem/updateItem/deleteItem integration calls the local DynamoDB
// (dynamodb-task.ts). Each call is first authorized as the state machine's role, as Step Functions
// calls with it. Also: the Lambda-style error mapping.
import type { RunOptions } from "./engine";
import { createHash, randomUUID } from "node:crypto";
import { lambdaArn } from "../../components/model/arns";
import type { ActionRequest } from "../iam/gate";
import { dynamoDbRequests } from "../dynamodb/service";
import { sqsRequest } from "../sqs/api";
import { DYNAMODB_TASK_ACTIONS, dynamoDbAction, dynamoDbParametersProblem, dynamoDbTaskError, dynamoDbTaskOutput } from "./dynamodb-task";

export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
export const SQS_SEND = "arn:aws:states:::sqs:sendMessage";

export type TaskHandlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;
type JsonValue = Parameters<TaskHandlers[string]>[0];

/** Who makes a machine's Task calls: the machine, as its role. */
export interface TaskCaller {
    stateMachineArn: string;
    roleArn: string;
}

/** What the Tasks reach. */
export interface TaskTargets {
    /** Why the caller may not make the request (AWS's AccessDenied message), or undefined when it may. */
    authorize(caller: TaskCaller, request: ActionRequest): string | undefined;
    /** Runs the function named (by ARN or name) with a JSON payload; rejects with `lambdaTaskError`. */
    invokeFunction(functionName: string, payload: unknown): Promise<unknown>;
    /** Whether the function exists, to fail at binding rather than at the first call. */
    hasFunction(functionName: string): boolean;
    /** Enqueues a message body; rejects when the queue does not exist. */
    sendMessage(queueUrl: string, body: string): Promise<{ MessageId: string }> | { MessageId: string };
    /** One DynamoDB operation (e.g. `UpdateItem`) as the service answers it; absent: no DynamoDB Task can run. */
    dynamodb?(operation: string, request: Record<string, unknown>): Promise<{ statusCode: number; body: Record<string, unknown>; requestId: string }>;
}

/** One call of a Task's resource, as the execution history reports it. */
export interface TaskCall {
    state: string;
    /** `lambda` / `invoke`, `sqs` / `sendMessage`: the history's resourceType and resource. */
    resourceType: string;
    resource: string;
    parameters: unknown;
    scheduledAt: number;
    endedAt?: number;
    output?: unknown;
    error?: { error: string; cause: string };
}

export interface DefinitionLike {
    StartAt?: string;
    TimeoutSeconds?: number;
    States: Record<string, Record<string, unknown>>;
}

/** One local handler per Task state, calling as `caller`; `onCall` sees every call (each retry is a call). */
export function bindTasks(definition: DefinitionLike, targets: TaskTargets, caller: TaskCaller, onCall?: (call: TaskCall) => void): TaskHandlers {
    const bound: TaskHandlers = {};
    const [, , , region, account] = caller.stateMachineArn.split(":");
    // Step Functions' service integrations report a refusal as the SDK exception of the service, with AWS's message.
    const authorized = (request: ActionRequest, errorName: string, service: string) => {
        const denied = targets.authorize(caller, request);
        if (denied) throw Object.assign(new Error(`${denied} (Service: ${service}, Status Code: 403, Request ID: ${randomUUID()})`), { name: errorName });
    };
    const invoke = (functionName: string, payload: unknown) => {
        const functionArn = functionName.startsWith("arn:") ? functionName : lambdaArn({ region, account }, functionName);
        authorized({ action: "lambda:InvokeFunction", resource: functionArn }, "Lambda.AWSLambdaException", "Lambda");
        return targets.invokeFunction(functionName, payload);
    };
    for (const [state, spec] of Object.entries(definition.States)) {
        if (spec.Type !== "Task") continue;
        const resource = String(spec.Resource);
        const staticFunction = (spec.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName;
        const call = (resourceType: string, name: string, run: (input: Record<string, unknown>) => Promise<unknown>) => {
            bound[state] = async (input) => {
                const record: TaskCall = { state, resourceType, resource: name, parameters: input, scheduledAt: Date.now() };
                onCall?.(record);
                try {
                    record.output = await run((input ?? {}) as Record<string, unknown>);
                    return record.output as JsonValue;
                } catch (error) {
                    record.error = { error: (error as Error).name, cause: (error as Error).message };
                    throw error;
                } finally {
                    record.endedAt = Date.now();
                }
            };
        };
        if (resource === LAMBDA_INVOKE) {
            if (typeof staticFunction === "string" && !targets.hasFunction(staticFunction)) {
                throw new Error(`The Task "${state}" invokes ${staticFunction}, which is not deployed.`);
            }
            call("lambda", "invoke", async (input) => ({
                ExecutedVersion: "$LATEST",
                Payload: await invoke(String(input.FunctionName), input.Payload ?? null),
                StatusCode: 200,
            }));
        } else if (resource.startsWith("arn:aws:lambda:")) {
            if (!targets.hasFunction(resource)) throw new Error(`The Task "${state}" invokes ${resource}, which is not deployed.`);
            call("lambda", "invokeFunction", (input) => invoke(resource, input));
        } else if (resource === SQS_SEND) {
            call("sqs", "sendMessage", async (input) => {
                // Step Functions serialises an object MessageBody to a JSON string.
                const body = typeof input.MessageBody === "string" ? input.MessageBody : JSON.stringify(input.MessageBody);
                authorized(sqsRequest("SendMessage", { QueueUrl: input.QueueUrl }, { region, account }), "SQS.SqsException", "Sqs");
                const { MessageId } = await targets.sendMessage(String(input.QueueUrl), body);
                return { MessageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex") };
            });
        } else if (dynamoDbAction(resource)) {
            const action = dynamoDbAction(resource)!;
            const problem = dynamoDbParametersProblem(state, action, spec.Parameters);
            if (problem) throw new Error(problem);
            const dynamodb = targets.dynamodb;
            if (!dynamodb) throw new Error(`The Task "${state}" uses ${resource}, and this engine has no DynamoDB to call.`);
            const operation = DYNAMODB_TASK_ACTIONS[action];
            call("dynamodb", action, async (input) => {
                const [request] = dynamoDbRequests(operation, input, { region, account });
                const denied = targets.authorize(caller, request);
                if (denied) throw dynamoDbTaskError("AccessDeniedException", denied, 400, randomUUID());
                const answer = await dynamodb(operation, input);
                if (answer.statusCode !== 200) {
                    const message = String(answer.body.message ?? answer.body.Message ?? "");
                    throw dynamoDbTaskError(String(answer.body.__type ?? "InternalFailure"), message, answer.statusCode, answer.requestId);
                }
                return dynamoDbTaskOutput(answer.body, answer.requestId);
            });
        } else {
            throw new Error(`The Task "${state}" uses ${resource}, which the local cloud does not run (lambda:invoke, sqs:sendMessage and dynamodb:getItem, putItem, updateItem, deleteItem only).`);
        }
    }
    return bound;
}

/**
 * An error as the Lambda integration reports it to the state machine: the state's Error is the
 * function's errorType (what Retry and Catch match), its Cause the function's JSON error.
 */
export function lambdaTaskError(errorType: string, errorMessage: string, trace?: string[]): Error {
    const error = new Error(JSON.stringify({ errorType, errorMessage, ...(trace ? { trace } : {}) }));
    error.name = errorType;
    return error;
}

/**
 * Calls an in-process handler as Lambda would: a JSON copy of the payload in, a JSON copy of the
 * result out (undefined becomes null), a thrown error reported by `lambdaTaskError`.
 */
export async function invokeInProcess(handler: (event: unknown) => unknown, payload: unknown): Promise<unknown> {
    try {
        const result = await handler(JSON.parse(JSON.stringify(payload ?? null)));
        return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        throw lambdaTaskError(error.name, error.message);
    }
}
