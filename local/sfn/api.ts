// The Step Functions API (AWS JSON 1.0: POST /, `X-Amz-Target: AWSStepFunctions.<Operation>`)
// served from the local service, so the handlers' SDK clients (AWS_ENDPOINT_URL_SFN) and the AWS
// CLI (`--endpoint-url`) reach it unchanged, each request signed and allowed first (local/iam).
// Timestamps are epoch seconds, as the protocol has them.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash, randomUUID } from "node:crypto";
import { awsJsonAuthError, readBody, send, STEP_FUNCTIONS_MAX_REQUEST_BYTES } from "../http";
import type { ActionRequest, IamGate } from "../iam/gate";
import type { ExecutionRecord, ExecutionStatus } from "./record";
import { SfnError, StepFunctionsService } from "./service";

export const SFN_TARGET_PREFIX = "AWSStepFunctions.";

type Request = Record<string, unknown>;
type Operation = (service: StepFunctionsService, request: Request) => unknown;

const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

/** Step Functions' largest execution input (and output), in UTF-8 bytes. */
export const MAX_INPUT_BYTES = 262_144;
const STATUSES: readonly ExecutionStatus[] = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

const validation = (message: string) => new SfnError("ValidationException", `1 validation error detected: ${message}`);

function required(request: Request, field: string): string {
    const value = optional(request, field);
    if (value === undefined || value === "") throw validation(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return value;
}

/** A string member, absent or a string: any other JSON type is not one (AWS cannot deserialize it). */
function optional(request: Request, field: string): string | undefined {
    const value = request[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") throw new SfnError("SerializationException", `'${field}' must be a string, not ${JSON.stringify(value)}.`);
    return value;
}

/** The statuses ListExecutions filters by: an execution's, and PENDING_REDRIVE (a redrive not yet started: none here, RedriveExecution is not served). */
const FILTERS = [...STATUSES, "PENDING_REDRIVE"] as const;

function statusFilterOf(request: Request): ExecutionStatus | "PENDING_REDRIVE" | undefined {
    const filter = optional(request, "statusFilter");
    if (filter !== undefined && !(FILTERS as readonly string[]).includes(filter)) {
        throw validation(`Value '${filter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${FILTERS.join(", ")}]`);
    }
    return filter as ExecutionStatus | "PENDING_REDRIVE" | undefined;
}

/** How long after it closed an execution may be redriven on AWS: 14 days. */
const REDRIVABLE_DAYS = 14;

/** redriveStatus and redriveStatusReason as DescribeExecution gives them for a STANDARD execution. */
function redriveOf(e: ExecutionRecord): { redriveStatus: string; redriveStatusReason?: string } {
    if (e.status === "RUNNING" || e.status === "SUCCEEDED") return { redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: `Execution is ${e.status} and cannot be redriven.` };
    const closed = e.stopDate ? new Date(e.stopDate).getTime() : Date.now();
    if (Date.now() - closed > REDRIVABLE_DAYS * 24 * 60 * 60 * 1000) return { redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: "Execution redrivable period exceeded." };
    return { redriveStatus: "REDRIVABLE" };
}

/** How long a nextToken is good for, as on AWS: 24 hours. */
const TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

/**
 * The token of the page at `offset` of the listing `listing` names (the operation and the arguments
 * that choose its items): `<offset>.<issued, epoch seconds>.<check>`, base64url. The check binds
 * the offset to the listing, so a token altered, made up, or given with other arguments is no token.
 */
function tokenOf(listing: string, offset: number, issued = Math.floor(Date.now() / 1000)): string {
    const check = createHash("sha256").update(`${listing}\n${offset}\n${issued}`).digest("hex").slice(0, 16);
    return Buffer.from(`${offset}.${issued}.${check}`).toString("base64url");
}

/** The offset a nextToken stands for; InvalidToken (as AWS answers) for anything this API did not give for `listing` in the last 24 hours. */
function offsetOf(listing: string, token: string): number {
    const match = /^(\d{1,9})\.(\d{1,12})\.[0-9a-f]{16}$/.exec(Buffer.from(token, "base64url").toString("latin1"));
    const [offset, issued] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!match || tokenOf(listing, offset, issued) !== token) throw new SfnError("InvalidToken", `Invalid Token: '${token}' is no nextToken of this listing.`);
    if (Date.now() / 1000 - issued > TOKEN_LIFETIME_SECONDS) throw new SfnError("InvalidToken", `Invalid Token: '${token}' has expired (a nextToken is good for 24 hours).`);
    return offset;
}

/** One page of `items`, the listing `listing` names (its nextToken is good for that listing only). */
function page<T>(items: T[], request: Request, listing: string, defaultSize = 100): { items: T[]; nextToken?: string } {
    const max = request.maxResults;
    if (max !== undefined && max !== null && !(Number.isInteger(max) && (max as number) >= 0 && (max as number) <= 1000)) {
        throw validation(`Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000`);
    }
    const size = (max as number | undefined) || defaultSize;
    const token = optional(request, "nextToken");
    const start = token !== undefined ? offsetOf(listing, token) : 0;
    const end = start + size;
    return { items: items.slice(start, end), ...(end < items.length ? { nextToken: tokenOf(listing, end) } : {}) };
}

const summary = (e: ExecutionRecord) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    stopDate: seconds(e.stopDate),
});

const OPERATIONS: Record<string, Operation> = {
    StartExecution(service, request) {
        const input = optional(request, "input");
        if (input !== undefined && Buffer.byteLength(input) > MAX_INPUT_BYTES) {
            throw validation(`Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_BYTES}`);
        }
        const name = optional(request, "name");
        if (name !== undefined && name.length > 80) {
            throw validation(`Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`);
        }
        const execution = service.startExecution(required(request, "stateMachineArn"), name, input);
        return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
    },
    DescribeExecution(service, request) {
        const e = service.describeExecution(required(request, "executionArn"));
        return {
            ...summary(e),
            input: e.input,
            inputDetails: { included: true },
            ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
            ...(e.error !== undefined ? { error: e.error } : {}),
            ...(e.cause !== undefined ? { cause: e.cause } : {}),
            redriveCount: 0,
            ...redriveOf(e),
        };
    },
    GetExecutionHistory(service, request) {
        const executionArn = required(request, "executionArn");
        const events = service.describeExecution(executionArn).history;
        const reversed = request.reverseOrder === true;
        const ordered = reversed ? [...events].reverse() : events;
        const { items, nextToken } = page(ordered, request, `GetExecutionHistory\n${executionArn}\n${reversed}`);
        const withoutData = request.includeExecutionData === false;
        return {
            events: items.map((event) => ({ ...(withoutData ? stripData(event) : event), timestamp: seconds(event.timestamp) })),
            ...(nextToken ? { nextToken } : {}),
        };
    },
    ListExecutions(service, request) {
        const stateMachineArn = required(request, "stateMachineArn");
        const statusFilter = statusFilterOf(request);
        const executions = statusFilter === "PENDING_REDRIVE" ? (service.machine(stateMachineArn), []) : service.listExecutions(stateMachineArn, statusFilter);
        const { items, nextToken } = page(executions, request, `ListExecutions\n${stateMachineArn}\n${statusFilter ?? ""}`);
        return { executions: items.map(summary), ...(nextToken ? { nextToken } : {}) };
    },
    StopExecution(service, request) {
        service.stopExecution(required(request, "executionArn"), optional(request, "error"), optional(request, "cause"));
        return { stopDate: Date.now() / 1000 };
    },
    DescribeStateMachine(service, request) {
        const machine = service.machine(required(request, "stateMachineArn"));
        return {
            stateMachineArn: machine.arn,
            name: machine.name,
            status: "ACTIVE",
            definition: machine.definition,
            roleArn: machine.roleArn,
            type: machine.type,
            creationDate: seconds(machine.creationDate),
            loggingConfiguration: machine.logging
                ? { level: machine.logging.level, includeExecutionData: machine.logging.includeExecutionData, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: machine.logging.logGroupArn } }] }
                : { level: "OFF", includeExecutionData: false },
            tracingConfiguration: { enabled: machine.tracing === true },
        };
    },
    ListStateMachines(service, request) {
        const machines = [...service.machines.values()].map((m) => ({
            stateMachineArn: m.arn,
            name: m.name,
            type: m.type,
            creationDate: seconds(m.creationDate),
        }));
        const { items, nextToken } = page(machines, request, "ListStateMachines");
        return { stateMachines: items, ...(nextToken ? { nextToken } : {}) };
    },
    ListTagsForResource(service, request) {
        const resourceArn = required(request, "resourceArn");
        const machine = service.machines.get(resourceArn);
        if (!machine) throw new SfnError("ResourceNotFound", `Resource not found: '${resourceArn}'`);
        return { tags: Object.entries(machine.tags ?? {}).map(([key, value]) => ({ key, value })) };
    },
};

/** Drops the input and output strings of an event (`includeExecutionData: false`). */
function stripData(event: object): object {
    return Object.fromEntries(
        Object.entries(event).map(([key, value]) => {
            if (!key.endsWith("EventDetails") || typeof value !== "object" || value === null) return [key, value];
            const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
            return [key, rest];
        }),
    );
}

/**
 * What a Step Functions request asks IAM for: `states:<Operation>` on the execution it names, else
 * the state machine, else `*` (ListStateMachines).
 */
export function stepFunctionsRequest(operation: string, request: Request): ActionRequest {
    const resource = [request.executionArn, request.stateMachineArn, request.resourceArn].find((arn): arn is string => typeof arn === "string") ?? "*";
    return { action: `states:${operation}`, resource };
}

export async function handleSfnRequest(service: StepFunctionsService, iam: IamGate, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const operation = String(request.headers["x-amz-target"]).slice(SFN_TARGET_PREFIX.length);
    const reply = (statusCode: number, body: unknown) => {
        const text = JSON.stringify(body);
        response.writeHead(statusCode, {
            "content-type": "application/x-amz-json-1.0",
            "content-length": Buffer.byteLength(text),
            "x-amzn-requestid": randomUUID(),
        });
        response.end(text);
    };
    try {
        const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
        if (!handler) throw new SfnError("UnknownOperationException", `The local cloud does not serve ${operation}; it serves ${Object.keys(OPERATIONS).join(", ")}.`);
        const raw = await readBody(request, STEP_FUNCTIONS_MAX_REQUEST_BYTES);
        const authenticated = await iam.authenticate(request, raw, "states", `Step Functions ${operation}`);
        if ("problem" in authenticated) return send(response, awsJsonAuthError(authenticated.problem));
        const text = raw.toString("utf8");
        const body: unknown = text.trim() === "" ? {} : JSON.parse(text);
        if (typeof body !== "object" || body === null || Array.isArray(body)) {
            throw new SfnError("SerializationException", `The request body must be a JSON object, not ${text.slice(0, 40)}.`);
        }
        const denied = iam.authorize(authenticated.caller, [stepFunctionsRequest(operation, body as Request)]);
        if (denied) return send(response, awsJsonAuthError(denied));
        reply(200, await handler(service, body as Request));
    } catch (error) {
        if (error instanceof SfnError) reply(error.statusCode, { __type: `com.amazonaws.swf.service.v2.model#${error.type}`, message: error.message });
        else if (error instanceof SyntaxError) reply(400, { __type: "SerializationException", message: error.message });
        else reply(500, { __type: "InternalFailure", message: String(error) });
    }
}
