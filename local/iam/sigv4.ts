// Verifies the SigV4 signature of a request, in the order and with the messages AWS's services
// use (as recorded in dynalite, from DynamoDB): a missing or incomplete Authorization header, a
// malformed or stale date, an unsigned Host, a credential scoped elsewhere, an unknown access key,
// a wrong signature, a wrong session token. The signature itself is computed by
// @smithy/signature-v4 (signing.ts) from the request as received, with the caller's secret.
import type { IncomingHttpHeaders } from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import type { Credentials } from "./operator";
import { NodeSha256 } from "./node-sha256";
import { AuthProblem, INVALID_SESSION_TOKEN, MISSING_TOKEN, problem, SIGNATURE_MISMATCH, UNKNOWN_ACCESS_KEY } from "./problems";
import { signableParts, signer, SigningName } from "./signing";

export interface ReceivedRequest {
    method: string;
    /** The request target as sent: path and query, still escaped. */
    target: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
}

export interface Endpoint {
    service: SigningName;
    region: string;
}

/** How far a request's date may be from now: 15 minutes, as AWS allows. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const ALGORITHM = "AWS4-HMAC-SHA256";

/** The access key that signed the request, or why the request is refused. */
export async function verifySignature(
    request: ReceivedRequest,
    endpoint: Endpoint,
    lookup: (accessKeyId: string) => Credentials | undefined,
    now = new Date(),
): Promise<{ accessKeyId: string } | { problem: AuthProblem }> {
    const authorization = header(request.headers, "authorization");
    if (authorization === undefined || !authorization.trim().startsWith("AWS4-")) return { problem: MISSING_TOKEN };
    const [algorithm, ...rest] = authorization.trim().split(/\s+/);
    const params = parseParams(rest.join(" "));
    const amzDate = header(request.headers, "x-amz-date");
    let missing = ["Credential", "Signature", "SignedHeaders"]
        .filter((name) => !params[name])
        .map((name) => `Authorization header requires '${name}' parameter. `)
        .join("");
    if (amzDate === undefined) missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    if (missing) return { problem: problem("IncompleteSignature", `${missing}Authorization=${authorization}`) };

    const signingDate = parseAmzDate(amzDate!);
    if (!signingDate) return { problem: problem("IncompleteSignature", `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`) };
    if (signingDate.getTime() < now.getTime() - MAX_SKEW_MS) {
        const earliest = new Date(now.getTime() - MAX_SKEW_MS);
        return { problem: problem("InvalidSignature", `Signature expired: ${amzDate} is now earlier than ${basic(earliest)} (${basic(now)} - 15 min.)`) };
    }
    if (signingDate.getTime() > now.getTime() + MAX_SKEW_MS) {
        const latest = new Date(now.getTime() + MAX_SKEW_MS);
        return { problem: problem("InvalidSignature", `Signature not yet current: ${amzDate} is still later than ${basic(latest)} (${basic(now)} + 15 min.)`) };
    }
    const signedHeaders = params.SignedHeaders.toLowerCase().split(";");
    if (!signedHeaders.includes("host")) return { problem: problem("InvalidSignature", "'Host' must be a 'SignedHeader' in the AWS Authorization.") };
    if (algorithm !== ALGORITHM) return { problem: problem("IncompleteSignature", `Unsupported AWS 'algorithm': '${algorithm}' (only ${ALGORITHM} for now). `) };
    const scope = params.Credential.replace(/\/+$/, "").split("/");
    if (scope.length !== 5) {
        return { problem: problem("IncompleteSignature", `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${params.Credential}'`) };
    }
    const [accessKeyId, date, region, service, terminator] = scope;
    const scoping = [
        region !== endpoint.region ? `Credential should be scoped to a valid region, not '${region}'. ` : "",
        service !== endpoint.service ? `Credential should be scoped to correct service: '${endpoint.service}'. ` : "",
        terminator !== "aws4_request" ? `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. ` : "",
        date !== amzDate!.slice(0, 8) ? `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate!.slice(0, 8)}', from '${amzDate}'.` : "",
    ].join("");
    if (scoping) return { problem: problem("InvalidSignature", scoping.trim()) };

    const credentials = lookup(accessKeyId);
    if (!credentials) return { problem: UNKNOWN_ACCESS_KEY };
    // Whatever the signer cannot take in a request (none is known) makes its signature wrong, not a 500.
    const expected = await expectedSignature(request, signedHeaders, signingDate, endpoint, credentials).catch(() => undefined);
    if (expected === undefined || !sameText(expected, params.Signature)) return { problem: SIGNATURE_MISMATCH };
    const token = header(request.headers, "x-amz-security-token");
    if (token !== credentials.sessionToken) return { problem: INVALID_SESSION_TOKEN };
    return { accessKeyId };
}

/** The signature of the request as received, by the caller's secret; undefined when the payload hash it claims is not its body's. */
async function expectedSignature(
    request: ReceivedRequest,
    signedHeaders: string[],
    signingDate: Date,
    endpoint: Endpoint,
    credentials: Credentials,
): Promise<string | undefined> {
    // None of these services takes an unsigned payload (S3 alone does): each hashes the body it
    // received, so a signed x-amz-content-sha256 that is not that hash (UNSIGNED-PAYLOAD included) makes the signature wrong.
    const signedHash = signedHeaders.includes("x-amz-content-sha256") ? header(request.headers, "x-amz-content-sha256") : undefined;
    if (signedHash !== undefined && signedHash !== createHash("sha256").update(request.body).digest("hex")) return undefined;
    const parts = signableParts(request.target);
    if (!parts) return undefined;
    // Exactly the headers the client signed: the signer signs every header it is given.
    const headers: Record<string, string> = Object.create(null);
    for (const name of signedHeaders) {
        const value = header(request.headers, name);
        if (value !== undefined) headers[name] = value;
    }
    // The token as sent, when signed (the signer puts the credentials' token in its place): whether it is the key's is checked after.
    const sessionToken = signedHeaders.includes("x-amz-security-token") ? header(request.headers, "x-amz-security-token") : undefined;
    const signed = await signer({ ...credentials, sessionToken }, endpoint.region, endpoint.service, NodeSha256).sign(
        { method: request.method, protocol: "http:", hostname: "", path: parts.path, query: parts.query, headers, body: request.body },
        {
            signingDate,
            // Sign what the client signed, even headers the signer leaves out by default (user-agent...).
            signableHeaders: new Set(signedHeaders),
            unsignableHeaders: new Set(signedHeaders.includes("x-amz-date") ? [] : ["x-amz-date"]),
        },
    );
    return /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value.join(",") : value;
}

/** `Credential=a/b, SignedHeaders=c;d, Signature=e` -> { Credential: "a/b", ... } */
function parseParams(text: string): Record<string, string> {
    // No prototype: a header may name any key.
    const params: Record<string, string> = Object.create(null);
    for (const part of text.split(/[,\s]+/)) {
        const equals = part.indexOf("=");
        if (equals > 0) params[part.slice(0, equals)] = part.slice(equals + 1);
    }
    return params;
}

/** `20260102T030405Z` -> its Date; undefined when it is not in that form. */
function parseAmzDate(text: string): Date | undefined {
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) return undefined;
    const [, y, mo, d, h, mi, s] = match.map(Number);
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    return Number.isNaN(date.getTime()) ? undefined : date;
}

const basic = (date: Date) => date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

function sameText(a: string, b: string): boolean {
    const [x, y] = [Buffer.from(a), Buffer.from(b)];
    return x.length === y.length && timingSafeEqual(x, y);
}
