// The saga's input from a start request's body: a POST with an `application/json` body of at most
// 256 KB (Step Functions' limit on an execution's input), read before it is checked against the
// saga's schema (json-schema.ts). No validator here, so a saga without a schema bundles none.
import type { ApiGatewayProxyEvent } from "./http";

/** Step Functions' limit on an execution's input (and so on the body that becomes it): 256 KB, in UTF-8 bytes. */
export const MAX_INPUT_BYTES = 256 * 1024;

/** The body's value, or the answer to a request whose body cannot be the saga's input. */
export type BodyInput = { value: unknown } | { status: number; message: string };

/** What a start request's body must match: `jsonSchema(...)` of json-schema.ts makes one from a JSON Schema. */
export interface InputSchema {
    /** The problems of a value, each a sentence naming its field and rule; none when it matches. */
    validate(value: unknown): string[];
}

/** A header's value, whatever the letter case of its name (API Gateway passes the client's). */
function header(event: ApiGatewayProxyEvent, name: string): string | undefined {
    const lower = name.toLowerCase();
    const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === lower);
    return found?.[1] ?? undefined;
}

/**
 * The body of a request that carries one, read as the saga's input: only a POST carries it, as
 * `application/json` (any charset parameter must be UTF-8), at most MAX_INPUT_BYTES, and JSON.
 */
export function readJsonBody(event: ApiGatewayProxyEvent): BodyInput {
    const method = event.httpMethod?.toUpperCase();
    if (method !== undefined && method !== "POST") {
        return { status: 400, message: `Only a POST carries the saga's input in its body; this ${method} request has a body.` };
    }
    const contentType = header(event, "content-type");
    const [mediaType, ...parameters] = (contentType ?? "").split(";").map((part) => part.trim().toLowerCase());
    const charset = parameters.find((p) => p.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
    if (mediaType !== "application/json" || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
        return {
            status: 415,
            message: `The saga's input must be sent as \`content-type: application/json\` (UTF-8); this request's is ${contentType ? `\`${contentType}\`` : "missing"}.`,
        };
    }
    const bytes = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
    if (bytes.length > MAX_INPUT_BYTES) {
        return { status: 413, message: `The body is ${bytes.length} bytes; the saga's input may be at most ${MAX_INPUT_BYTES} bytes (256 KB, Step Functions' limit).` };
    }
    try {
        return { value: JSON.parse(bytes.toString("utf8")) };
    } catch (error) {
        return { status: 400, message: `The body is not JSON: ${(error as Error).message}.` };
    }
}
