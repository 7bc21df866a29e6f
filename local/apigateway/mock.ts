// MOCK integrations of a REST API, served from their OpenAPI declaration as API Gateway serves
// them: the request template for the request's content type gives a status code, which selects an
// integration response (by its regex, else `default`); that response gives the method response's
// status code, its headers (static values) and its body (its template for the accepted type).
// Templates are Velocity (VTL); the local cloud serves static ones only (no `$` or `#`), and says
// so for any other. Pure.

/** One integration response: the selection pattern, and what it answers. */
export interface MockResponse {
    /** `default`, or a regular expression the status code must match entirely. */
    pattern: string;
    statusCode: number;
    /** Header name -> static value. */
    headers: Record<string, string>;
    /** Content type -> body. */
    templates: Record<string, string>;
}

export interface MockIntegration {
    /** Content type -> request template. */
    requestTemplates: Record<string, string>;
    /** `when_no_match` (API Gateway's default), `when_no_templates` or `never`. */
    passthroughBehavior: string;
    responses: MockResponse[];
    /** Why the local cloud cannot serve this integration as API Gateway would, when it cannot. */
    unsupported?: string;
}

export type MockOperation = {
    responses?: Record<string, { headers?: Record<string, unknown> } | undefined>;
    "x-amazon-apigateway-integration"?: {
        requestTemplates?: Record<string, string>;
        passthroughBehavior?: string;
        responses?: Record<string, { statusCode?: string | number; responseParameters?: Record<string, string>; responseTemplates?: Record<string, string> }>;
    };
};

/** The definition is one AWS refuses to deploy. */
export class InvalidRestApi extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidRestApi";
    }
}

const isVtl = (template: string) => /[$#]/.test(template);
const HEADER = "method.response.header.";

/** Reads a MOCK integration of an operation (`where` names it, e.g. `ANY /trips`); throws what AWS would refuse. */
export function parseMock(operation: MockOperation, where: string): MockIntegration {
    const integration = operation["x-amazon-apigateway-integration"] ?? {};
    const problems: string[] = [];
    const responses = Object.entries(integration.responses ?? {}).map(([pattern, response]): MockResponse => {
        const statusCode = String(response.statusCode ?? "");
        const declared = operation.responses?.[statusCode];
        if (!declared) throw new InvalidRestApi(`${where}: the integration response "${pattern}" answers ${statusCode || "no status code"}, which the method does not declare among its responses.`);
        const headers: Record<string, string> = {};
        for (const [parameter, value] of Object.entries(response.responseParameters ?? {})) {
            const name = parameter.startsWith(HEADER) ? parameter.slice(HEADER.length) : undefined;
            if (name === undefined || !Object.keys(declared.headers ?? {}).some((h) => h.toLowerCase() === name.toLowerCase())) {
                throw new InvalidRestApi(`${where}: the integration response maps ${parameter}, which is not a header the method's ${statusCode} response declares.`);
            }
            const literal = /^'(.*)'$/s.exec(value);
            if (literal) headers[name] = literal[1];
            else problems.push(`the header ${name} comes from ${value}`);
        }
        const templates = response.responseTemplates ?? {};
        for (const [type, template] of Object.entries(templates)) if (isVtl(template)) problems.push(`its ${type} response template uses VTL`);
        return { pattern, statusCode: Number(statusCode), headers, templates };
    });
    const requestTemplates = integration.requestTemplates ?? {};
    for (const [type, template] of Object.entries(requestTemplates)) if (isVtl(template)) problems.push(`its ${type} request template uses VTL`);
    return {
        requestTemplates,
        passthroughBehavior: (integration.passthroughBehavior ?? "when_no_match").toLowerCase(),
        responses,
        ...(problems.length > 0 ? { unsupported: `the local cloud serves static mock integrations only: ${problems.join(", ")}` } : {}),
    };
}

export interface MockRequest {
    contentType?: string;
    accept?: string;
    body: Buffer;
}

export type MockAnswer =
    | { statusCode: number; headers: Record<string, string>; body: string }
    /** API Gateway refuses the request's content type (no template for it, and no passthrough). */
    | { unsupportedMediaType: true }
    /** The integration fails as configured (API Gateway answers 500, "Internal server error"). */
    | { configurationError: string };

const mediaType = (header: string | undefined) => (header ?? "").split(";")[0].trim().toLowerCase();

/** What API Gateway answers to a request on a MOCK integration. */
export function answerMock(mock: MockIntegration, request: MockRequest): MockAnswer {
    // No Content-Type means application/json, for the choice of a template.
    const contentType = mediaType(request.contentType) || "application/json";
    const templateType = Object.keys(mock.requestTemplates).find((type) => type.toLowerCase() === contentType);
    const hasTemplates = Object.keys(mock.requestTemplates).length > 0;
    let integrationRequest: string;
    if (templateType !== undefined) {
        integrationRequest = mock.requestTemplates[templateType];
    } else if (mock.passthroughBehavior === "never" || (mock.passthroughBehavior === "when_no_templates" && hasTemplates)) {
        return { unsupportedMediaType: true };
    } else {
        // Passed through: the body itself must say the status code.
        integrationRequest = request.body.toString("utf8");
    }
    let statusCode: unknown;
    try {
        statusCode = (JSON.parse(integrationRequest) as { statusCode?: unknown } | null)?.statusCode;
    } catch {
        statusCode = undefined;
    }
    if (!Number.isInteger(statusCode)) {
        return { configurationError: "Execution failed due to configuration error: Unable to parse statusCode. It should be an integer that is defined in the request template." };
    }
    const selected =
        mock.responses.find((r) => r.pattern !== "default" && new RegExp(`^(?:${r.pattern})$`).test(String(statusCode))) ??
        mock.responses.find((r) => r.pattern === "default");
    if (!selected) return { configurationError: `Execution failed due to configuration error: No match for output mapping and no default output mapping configured (status ${statusCode}).` };
    const body = responseBody(selected.templates, request.accept);
    return {
        statusCode: selected.statusCode,
        headers: { "content-type": body?.type ?? "application/json", ...selected.headers },
        body: body?.text ?? "",
    };
}

/** The response template for the Accept header's first listed type, else application/json's, else the first. */
function responseBody(templates: Record<string, string>, accept: string | undefined): { type: string; text: string } | undefined {
    const types = Object.keys(templates);
    if (types.length === 0) return undefined;
    const wanted = (accept ?? "").split(",").map(mediaType);
    const type = types.find((t) => wanted.includes(t.toLowerCase())) ?? types.find((t) => t.toLowerCase() === "application/json") ?? types[0];
    return { type, text: templates[type] };
}
