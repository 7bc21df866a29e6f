// The REST APIs the program deployed, served over HTTP: a request to a stage is routed as API
// Gateway routes it and handed to the integrated function as a proxy event, or answered by its
// MOCK integration as declared; a method with AWS_IAM authorization first takes only a signed
// request from a caller allowed execute-api:Invoke (local/iam).
// A stage answers at http://<host>/<stage>/..., or at /restapis/<api id>/<stage>/_user_request_/...
// when another API already took that stage name.
import { executeApiArn } from "../../components/model/arns";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, RequestAborted, RequestTooLarge, sendBeforeBodyEnds, ServiceShape } from "../http";
import type { IamGate } from "../iam/gate";
import type { AuthProblemCode } from "../iam/problems";
import type { InvokeResult } from "../lambda/function";
import { answerMock } from "./mock";
import { proxyEvent, proxyResponse } from "./proxy";
import { gatewayResponse, GatewayResponse, matchRoute, RestApiSpec } from "./routes";

/** API Gateway's largest request payload: 10 MB (10,485,760 bytes), a hard limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** Lambda's largest synchronous invocation request (6 MB): a proxy event over it never reaches the function. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * API Gateway's answers for what no route decides. A body over 10 MB is refused before any route
 * is chosen, as an edge-optimized API (the default) refuses it: 413 with CloudFront's plain-text
 * line, whatever the API's gateway responses say.
 */
export const GATEWAY_SHAPE: ServiceShape = {
    name: "API Gateway",
    tooLarge: (limit) => ({ statusCode: 413, headers: { "content-type": "text; charset=utf-8" }, body: `HTTP content length exceeded ${limit} bytes.` }),
    internalFailure: () => ({ statusCode: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Internal server error" }) }),
};

/** The gateway response type of each refusal, and API Gateway's own message where it differs from the services'. */
const GATEWAY_REFUSALS: Record<AuthProblemCode, [type: string, message?: string]> = {
    MissingAuthenticationToken: ["MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"],
    IncompleteSignature: ["INVALID_SIGNATURE"],
    InvalidSignature: ["INVALID_SIGNATURE"],
    UnrecognizedClient: ["INVALID_SIGNATURE"],
    AccessDenied: ["ACCESS_DENIED"],
};

export interface LocalStage {
    restApiId: string;
    stageName: string;
    variables: Record<string, string>;
    /** The path prefix it answers under: `/v1`, or the long form. */
    prefix: string;
}

export interface GatewayHost {
    accountId: string;
    region: string;
    /** Admits the requests of methods with AWS_IAM authorization. */
    iam: IamGate;
    /** Invokes the function with this ARN; undefined when no such function is deployed. */
    invoke(functionArn: string, event: unknown): Promise<InvokeResult> | undefined;
    log(line: string): void;
}

export class ApiGatewayService {
    readonly apis = new Map<string, { name: string; spec: RestApiSpec }>();
    readonly stages: LocalStage[] = [];

    constructor(private readonly host: GatewayHost) {}

    addRestApi(id: string, name: string, spec: RestApiSpec): void {
        this.apis.set(id, { name, spec });
    }

    /** Serves a stage of an API; answers the path it is served under. */
    addStage(restApiId: string, stageName: string, variables: Record<string, string> = {}): LocalStage {
        const short = `/${stageName}`;
        const prefix = this.stages.some((stage) => stage.prefix === short) ? `/restapis/${restApiId}/${stageName}/_user_request_` : short;
        const stage = { restApiId, stageName, variables, prefix };
        this.stages.push(stage);
        return stage;
    }

    /** Whether a request path belongs to a stage (else it is no API's). */
    stageOf(pathname: string): { stage: LocalStage; path: string } | undefined {
        // The longest prefix first: a long form is never shadowed by a short one.
        const stages = [...this.stages].sort((a, b) => b.prefix.length - a.prefix.length);
        for (const stage of stages) {
            if (pathname === stage.prefix || pathname.startsWith(`${stage.prefix}/`)) {
                return { stage, path: pathname.slice(stage.prefix.length) || "/" };
            }
        }
        return undefined;
    }

    /**
     * API Gateway's answer to a request of a method with AWS_IAM authorization that its caller may
     * not make: no valid signature (service `execute-api`), or no `execute-api:Invoke` on the
     * method's ARN (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`).
     */
    private async refusal(request: IncomingMessage, body: Buffer, spec: RestApiSpec, target: { stage: LocalStage; path: string }, method: string, url: URL) {
        const authenticated = await this.host.iam.authenticate(request, body, "execute-api", `API ${method} ${url.pathname}`);
        const { stage, path } = target;
        const methodArn = executeApiArn({ region: this.host.region, account: this.host.accountId }, stage.restApiId, `${stage.stageName}/${method}/${path.slice(1)}`);
        const refused =
            "problem" in authenticated ? authenticated.problem : this.host.iam.authorize(authenticated.caller, [{ action: "execute-api:Invoke", resource: methodArn }]);
        if (!refused) return undefined;
        const [type, message] = GATEWAY_REFUSALS[refused.code];
        const answer = gatewayResponse(spec, type, { statusCode: 403, message: message ?? refused.message, messageKey: refused.code === "AccessDenied" ? "Message" : "message" });
        return { ...answer, headers: { ...answer.headers, "x-amzn-errortype": `${refused.code}Exception` } };
    }

    async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
        const started = Date.now();
        const method = request.method ?? "GET";
        const send = (answer: GatewayResponse | { statusCode: number; headers: Record<string, string | string[]>; body: Buffer | string }, requestId: string) => {
            response.writeHead(answer.statusCode, { ...answer.headers, "x-amzn-requestid": requestId });
            response.end(answer.body);
            this.host.log(`${method} ${url.pathname}${url.search} -> ${answer.statusCode} (${Date.now() - started} ms)`);
        };
        const requestId = randomUUID();
        let body: Buffer;
        try {
            body = await readBody(request, MAX_PAYLOAD_BYTES);
        } catch (error) {
            if (error instanceof RequestAborted) return;
            if (!(error instanceof RequestTooLarge)) throw error;
            // readBody answered it in the server's scope; here when called without one.
            if (!response.headersSent) sendBeforeBodyEnds(request, response, GATEWAY_SHAPE.tooLarge(MAX_PAYLOAD_BYTES));
            return this.host.log(`${method} ${url.pathname}${url.search} -> 413: body over ${MAX_PAYLOAD_BYTES} bytes (${Date.now() - started} ms)`);
        }
        const target = this.stageOf(url.pathname);
        if (!target) {
            return send({ statusCode: 403, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "Forbidden" }) }, requestId);
        }
        const { spec } = this.apis.get(target.stage.restApiId)!;
        const match = matchRoute(spec, method, target.path);
        if (!match) {
            return send(gatewayResponse(spec, "MISSING_AUTHENTICATION_TOKEN", { statusCode: 403, message: "Missing Authentication Token" }), requestId);
        }
        if (match.integration.iamAuth) {
            const refused = await this.refusal(request, body, spec, target, method, url);
            if (refused) return send(refused, requestId);
        }
        const failed = (why: string) => {
            this.host.log(`${method} ${target.path}: ${why}`);
            send(gatewayResponse(spec, "DEFAULT_5XX", { statusCode: 502, message: "Internal server error" }), requestId);
        };
        const { mock } = match.integration;
        if (mock) {
            if (mock.unsupported) return failed(`the mock integration of ${method} ${match.resource.path} is not served locally: ${mock.unsupported}`);
            const answer = answerMock(mock, { contentType: request.headers["content-type"], accept: request.headers.accept, body });
            if ("unsupportedMediaType" in answer) return send(gatewayResponse(spec, "UNSUPPORTED_MEDIA_TYPE", { statusCode: 415, message: "Unsupported Media Type" }), requestId);
            if ("configurationError" in answer) {
                this.host.log(`${method} ${target.path}: ${answer.configurationError}`);
                return send(gatewayResponse(spec, "DEFAULT_5XX", { statusCode: 500, message: "Internal server error" }), requestId);
            }
            return send(answer, requestId);
        }
        const functionArn = match.integration.functionArn;
        if (!functionArn) return failed(`the ${match.integration.type} integration of ${match.resource.path} is not served locally (Lambda proxy and mock integrations only)`);
        const event = proxyEvent(
            { method, path: target.path, rawHeaders: request.rawHeaders, headers: request.headers, query: url.searchParams, body, sourceIp: request.socket.remoteAddress ?? "127.0.0.1" },
            {
                match,
                stage: target.stage.stageName,
                stageVariables: target.stage.variables,
                restApiId: target.stage.restApiId,
                accountId: this.host.accountId,
                requestId,
                binaryMediaTypes: spec.binaryMediaTypes,
            },
        );
        if (Buffer.byteLength(JSON.stringify(event)) > MAX_INVOKE_PAYLOAD_BYTES) {
            const tooLong = gatewayResponse(spec, "REQUEST_TOO_LARGE", { statusCode: 413, message: "Request Too Long" });
            return send({ ...tooLong, headers: { ...tooLong.headers, "x-amzn-errortype": "BadRequestException" } }, requestId);
        }
        const invoked = this.host.invoke(functionArn, event);
        if (!invoked) return failed(`no function ${functionArn} is deployed`);
        const result = await invoked;
        if (!result.ok) return failed(`the function failed: ${result.error.errorType}: ${result.error.errorMessage}`);
        const mapped = proxyResponse(result.payload);
        if ("malformed" in mapped) return failed(`malformed Lambda proxy response: ${mapped.malformed}`);
        send(mapped, requestId);
    }
}
