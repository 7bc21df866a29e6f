// Everything the console reads, it reads over HTTP from the local cloud's own APIs, as a user
// could from AWS: the Step Functions API (AWS JSON 1.0 on the one port), the program's REST API
// (start and status routes), and /_local for the stack's outputs and routes and the queues.
// It signs its AWS requests (SigV4) with the operator's credentials, as the AWS console acts
// with its user's: the local cloud verifies them as it verifies everyone's (--iam).
// No DOM: the page and the tests (in Node) call the same code.
import { OPERATOR_CREDENTIALS } from "../iam/operator";
import { signRequest, SigningName } from "../iam/signing";
import { WebSha256 } from "../iam/web-sha256";

export interface Answer<T = unknown> {
    status: number;
    body: T;
}

export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly type: string,
        message: string,
    ) {
        super(message);
        this.name = "ApiError";
    }
}

export interface StateMachineItem {
    stateMachineArn: string;
    name: string;
}

export interface ExecutionItem {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: string;
    /** Epoch seconds. */
    startDate: number;
    stopDate?: number;
}

/** What /_local says of the deployed program. */
export interface Overview {
    project: string;
    stack: string;
    /** The stack's region: the scope of the requests' signatures. */
    region: string;
    outputs: Record<string, unknown>;
    /** The routes each stage serves ("GET /trips/{tripId}"), keyed by the stage's URL. */
    routes: Record<string, string[]>;
}

/** An invocation of a function, as GET /_local/functions/<name>/invocations answers it. */
export interface Invocation {
    requestId: string;
    startedAt: number;
    endedAt?: number;
    eventSha256: string;
    error?: string;
    lines: { at: number; text: string }[];
}

export interface QueueMessage {
    messageId: string;
    sentAt: string;
    json?: Record<string, unknown>;
    body: string;
}

export class ConsoleApi {
    private region?: Promise<string>;

    /** `origin`: "" in the page (same origin), the cloud's URL in Node. */
    constructor(private readonly origin: string) {}

    /** A Step Functions API call; its error (`__type`, `message`) thrown as an ApiError. */
    async stepFunctions<T>(operation: string, request: object): Promise<T> {
        const response = await this.signedFetch("/", "states", {
            method: "POST",
            headers: { "x-amz-target": `AWSStepFunctions.${operation}`, "content-type": "application/x-amz-json-1.0" },
            body: JSON.stringify(request),
        });
        const body = (await response.json()) as { __type?: string; message?: string };
        if (!response.ok) throw new ApiError(response.status, String(body.__type ?? "").replace(/^.*#/, ""), `${operation}: ${body.message ?? response.statusText}`);
        return body as T;
    }

    async stateMachines(): Promise<StateMachineItem[]> {
        return (await this.stepFunctions<{ stateMachines: StateMachineItem[] }>("ListStateMachines", {})).stateMachines;
    }

    async definition(stateMachineArn: string): Promise<unknown> {
        const { definition } = await this.stepFunctions<{ definition: string }>("DescribeStateMachine", { stateMachineArn });
        return JSON.parse(definition);
    }

    /** The newest executions first, as Step Functions lists them: its first page of `max`. */
    async executions(stateMachineArn: string, max: number): Promise<ExecutionItem[]> {
        return (await this.stepFunctions<{ executions: ExecutionItem[] }>("ListExecutions", { stateMachineArn, maxResults: max })).executions;
    }

    async describeExecution(executionArn: string): Promise<{ status: string; error?: string; cause?: string; input?: string; output?: string }> {
        return this.stepFunctions("DescribeExecution", { executionArn });
    }

    /** Every event of an execution's history, page after page. */
    async history<E>(executionArn: string): Promise<E[]> {
        const events: E[] = [];
        let nextToken: string | undefined;
        do {
            const page: { events: E[]; nextToken?: string } = await this.stepFunctions("GetExecutionHistory", { executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
            events.push(...page.events);
            nextToken = page.nextToken;
        } while (nextToken);
        return events;
    }

    /** fetch, signed by the operator for `service` (the region from /_local, asked once). */
    private async signedFetch(path: string, service: SigningName, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> {
        this.region ??= this.overview().then((overview) => overview.region);
        const url = new URL(`${this.origin}${path}`, pageLocation()).href;
        const headers = await signRequest({ url, ...init }, OPERATOR_CREDENTIALS, await this.region, service, WebSha256);
        return fetch(url, { ...init, headers });
    }

    async overview(): Promise<Overview> {
        return (await this.get<Overview>("/_local")).body;
    }

    /** A function's invocations that ran between two moments (epoch ms), with the lines their code wrote (the local cloud keeps them). */
    async invocations(functionName: string, since: number, until: number): Promise<Invocation[] | undefined> {
        const { status, body } = await this.get<{ invocations: Invocation[] }>(`/_local/functions/${encodeURIComponent(functionName)}/invocations?since=${Math.floor(since)}&until=${Math.ceil(until)}`);
        return status === 200 ? body.invocations : undefined;
    }

    /** Every message of every queue: failure records among them. */
    async queueMessages(): Promise<QueueMessage[]> {
        const { body } = await this.get<{ queues: { messages: QueueMessage[] }[] }>("/_local/queues");
        return body.queues.flatMap((queue) => queue.messages);
    }

    /** A GET on a path of the cloud: an API's route (signed), or a local endpoint; the body parsed when it is JSON. */
    async get<T = unknown>(path: string): Promise<Answer<T>> {
        const headers = { accept: "application/json" };
        const response = path.startsWith("/_local") ? await fetch(`${this.origin}${path}`, { headers }) : await this.signedFetch(path, "execute-api", { method: "GET", headers });
        const text = await response.text();
        try {
            return { status: response.status, body: JSON.parse(text) as T };
        } catch {
            return { status: response.status, body: text as T };
        }
    }
}

/** The page's own origin in the browser; none in Node, where `origin` is the cloud's URL. */
const pageLocation = () => (globalThis as { location?: { href: string } }).location?.href;

/** The path of a URL the stack reports (e.g. its apiUrl), so that the page asks its own origin whatever host name it was opened under. */
export const pathOf = (url: string) => new URL(url, "http://local").pathname;
