// SigV4 signing of a request, as the AWS SDKs and `curl --aws-sigv4` sign it, with
// @smithy/signature-v4 (the SDKs' own signer). The local cloud verifies a request by signing it
// again with the caller's secret (sigv4.ts); clients (SagaClient, the console) sign with the
// operator's credentials. No Node.js imports: the console's page runs this in the browser, each
// side giving its own SHA-256.
import { SignatureV4 } from "@smithy/signature-v4";
import type { ChecksumConstructor } from "@smithy/types";
import type { Credentials } from "./operator";

export interface RequestToSign {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string | Uint8Array;
}

/** The services' signing names: the `service` part of a credential scope. */
export type SigningName = "dynamodb" | "states" | "sqs" | "execute-api" | "logs" | "events";

/** A request's parts as SigV4 reads them: the path as sent (escaped once more by the signer), the query decoded. */
export function signableParts(target: string): { path: string; query: Record<string, string | string[]> } | undefined {
    const at = target.indexOf("?");
    const path = at < 0 ? target : target.slice(0, at);
    // No prototype: a parameter may be named `constructor` or `__proto__`.
    const query: Record<string, string | string[]> = Object.create(null);
    if (at >= 0) {
        for (const pair of target.slice(at + 1).split("&")) {
            if (pair === "") continue;
            const equals = pair.indexOf("=");
            let key: string, value: string;
            try {
                key = decodeURIComponent(equals < 0 ? pair : pair.slice(0, equals));
                value = equals < 0 ? "" : decodeURIComponent(pair.slice(equals + 1));
            } catch {
                return undefined;
            }
            const known = query[key];
            query[key] = known === undefined ? value : [...(Array.isArray(known) ? known : [known]), value];
        }
    }
    return { path, query };
}

export function signer(credentials: Credentials, region: string, service: SigningName, sha256: ChecksumConstructor): SignatureV4 {
    // applyChecksum: the signer would add x-amz-content-sha256, which only S3 requires.
    return new SignatureV4({ credentials, region, service, sha256, applyChecksum: false });
}

/** The headers to send: the request's own plus `authorization`, `x-amz-date` (and the session token, if any). */
export async function signRequest(
    request: RequestToSign,
    credentials: Credentials,
    region: string,
    service: SigningName,
    sha256: ChecksumConstructor,
): Promise<Record<string, string>> {
    const url = new URL(request.url);
    const parts = signableParts(`${url.pathname}${url.search}`)!;
    const signed = await signer(credentials, region, service, sha256).sign({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === "" ? undefined : Number(url.port),
        path: parts.path,
        query: parts.query,
        headers: { ...request.headers, host: url.host },
        body: request.body,
    });
    // The browser sets Host itself (and refuses a script that does); Node's fetch sets it too.
    const { host: _host, ...headers } = signed.headers;
    return headers;
}
