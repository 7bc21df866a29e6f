// The JSON Schema of a saga's input, checked with Ajv: what a start function gives
// createStartHandler as `inputSchema`, so a body that does not match is answered 400, naming each
// field and rule, before anything starts. Imported only by start functions that take a body.
import Ajv, { ErrorObject } from "ajv";
import type { InputSchema } from "./input";

/** A JSON Schema (draft-07 vocabulary, as Ajv reads it by default). */
export type JsonSchema = Record<string, unknown>;

/**
 * Compiles the schema once (a function's cold start): a schema Ajv refuses (an unknown keyword in
 * strict mode, a wrong type of a keyword's value) throws here, naming the problem, before any request.
 */
export function jsonSchema(schema: JsonSchema): InputSchema {
    // allErrors: the caller learns every problem at once; the body is bounded (256 KB).
    const ajv = new Ajv({ allErrors: true, strict: true });
    let validate: ReturnType<typeof ajv.compile>;
    try {
        validate = ajv.compile(schema);
    } catch (error) {
        throw new Error(`The start function's input schema is not a valid JSON Schema: ${(error as Error).message}`);
    }
    return { validate: (value) => (validate(value) ? [] : (validate.errors ?? []).map(describe)) };
}

/** One Ajv error as a sentence: the field (a path such as `lines[0].quantity`), what it must be, and the rule's keyword. */
function describe(error: ErrorObject): string {
    const params = error.params as Record<string, unknown>;
    const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    switch (error.keyword) {
        case "required":
            return `${field([...segments, String(params.missingProperty)])} is required (required).`;
        case "additionalProperties":
            return `${field([...segments, String(params.additionalProperty)])} is not a field of the input (additionalProperties).`;
        case "enum":
            return `${field(segments)} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")} (enum).`;
        default:
            return `${field(segments)} ${error.message ?? "is invalid"} (${error.keyword}).`;
    }
}

/** `lines[0].quantity`, in backquotes; the body itself when the path is empty. */
function field(segments: string[]): string {
    if (segments.length === 0) return "The body";
    const path = segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
    return `\`${path}\``;
}
