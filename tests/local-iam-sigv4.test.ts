// The local cloud's SigV4 verification (local/iam/sigv4.ts), alone: any request signed as the AWS
// SDK signs it verifies, whatever its method, path, query, headers and body; any change to it, and
// any Authorization header made up, is refused with a problem, never an exception.
import fc from "fast-check";
import { createHash } from "node:crypto";
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { NodeSha256 } from "../local/iam/node-sha256";
import type { Credentials } from "../local/iam/operator";
import { signRequest } from "../local/iam/signing";
import { ReceivedRequest, verifySignature } from "../local/iam/sigv4";

const FUNCTION: Credentials = { accessKeyId: "ASIAFUNCTION", secretAccessKey: "secret", sessionToken: "token" };
const ENDPOINT = { service: "execute-api" as const, region: "us-east-1" };
const lookup = (accessKeyId: string) => (accessKeyId === FUNCTION.accessKeyId ? FUNCTION : undefined);

const segment = fc.oneof(fc.constantFrom("", "a b", "%", "é", "..", ".", "trips", "{x}", "a+b", "~"), fc.string({ maxLength: 8 }));
const requests = fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
    path: fc.array(segment, { maxLength: 4 }).map((segments) => `/${segments.map(encodeURIComponent).join("/")}`),
    query: fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })), { maxLength: 3 }),
    headers: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,10}$/), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/), { maxKeys: 3 }),
    body: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 50 })),
});

type SignedRequest = typeof requests extends fc.Arbitrary<infer R> ? R : never;

/** What the server receives of a request signed by `credentials`: Node's lower-case headers. */
async function signed(request: SignedRequest, credentials = FUNCTION): Promise<ReceivedRequest> {
    const search = request.query.length > 0 ? `?${request.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}` : "";
    const url = `http://127.0.0.1:3000${request.path}${search}`;
    const headers = await signRequest({ method: request.method, url, headers: request.headers, body: request.body }, credentials, "us-east-1", "execute-api", NodeSha256);
    const received: IncomingHttpHeaders = { host: "127.0.0.1:3000" };
    for (const [name, value] of Object.entries(headers)) received[name.toLowerCase()] = value;
    return { method: request.method, target: new URL(url).pathname + new URL(url).search, headers: received, body: Buffer.from(request.body ?? "") };
}

describe("SigV4 verification (local/iam/sigv4.ts)", function () {
    it("accepts every request signed as the AWS SDK signs it, and refuses it with another body, path or secret", async () => {
        await fc.assert(
            fc.asyncProperty(requests, async (request) => {
                const received = await signed(request);
                assert.deepEqual(await verifySignature(received, ENDPOINT, lookup), { accessKeyId: FUNCTION.accessKeyId });
                const otherBody = await verifySignature({ ...received, body: Buffer.from(`${request.body ?? ""}!`) }, ENDPOINT, lookup);
                assert.match("problem" in otherBody ? otherBody.problem.message : "", /^The request signature we calculated does not match the signature you provided\./);
                const elsewhere = await verifySignature({ ...received, target: `${received.target.split("?")[0]}x` }, ENDPOINT, lookup);
                assert.equal("problem" in elsewhere && elsewhere.problem.code, "InvalidSignature");
                const wrongSecret = await verifySignature(await signed(request, { ...FUNCTION, secretAccessKey: "other" }), ENDPOINT, lookup);
                assert.equal("problem" in wrongSecret && wrongSecret.problem.code, "InvalidSignature");
                const wrongToken = await verifySignature({ ...received, headers: { ...received.headers, "x-amz-security-token": "other" } }, ENDPOINT, lookup);
                assert.equal("problem" in wrongToken && wrongToken.problem.code, "InvalidSignature", "the token is signed");
                const otherToken = await verifySignature(await signed(request, { ...FUNCTION, sessionToken: "other" }), ENDPOINT, lookup);
                assert.deepEqual(otherToken, { problem: { code: "UnrecognizedClient", message: "The security token included in the request is invalid" } });
            }),
            { seed: 11, numRuns: 150 },
        );
    });

    it("refuses any made-up Authorization header and date with a problem, never an exception", async () => {
        const authorization = fc.oneof(
            fc.string({ maxLength: 120 }),
            fc
                .tuple(fc.constantFrom("AWS4-HMAC-SHA256", "AWS4-", "AWS4-HMAC-SHA1"), fc.array(fc.tuple(fc.constantFrom("Credential", "SignedHeaders", "Signature", "x", ""), fc.string({ maxLength: 40 })), { maxLength: 4 }))
                .map(([algorithm, params]) => `${algorithm} ${params.map(([k, v]) => `${k}=${v}`).join(", ")}`),
        );
        const date = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "")));
        await fc.assert(
            fc.asyncProperty(authorization, date, async (auth, amzDate) => {
                const headers: IncomingHttpHeaders = { host: "h", authorization: auth, ...(amzDate !== undefined ? { "x-amz-date": amzDate } : {}) };
                const result = await verifySignature({ method: "POST", target: "/", headers, body: Buffer.alloc(0) }, ENDPOINT, lookup);
                assert.ok("problem" in result, JSON.stringify(result));
            }),
            { seed: 12, numRuns: 300 },
        );
    });
    it("takes no UNSIGNED-PAYLOAD (S3 alone does): a body hashed by the client is checked against the body received, any other claim refused", async () => {
        const request = { method: "POST", path: "/", query: [], headers: {}, body: '{"stateMachineArn":"a"}' } as SignedRequest;
        const unsigned = await signed({ ...request, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
        for (const body of [unsigned.body, Buffer.from('{"stateMachineArn":"b"}')]) {
            const answer = await verifySignature({ ...unsigned, body }, ENDPOINT, lookup);
            assert.equal("problem" in answer && answer.problem.code, "InvalidSignature", body.toString());
        }
        const hashed = await signed({ ...request, headers: { "x-amz-content-sha256": createHash("sha256").update(request.body!).digest("hex") } });
        assert.deepEqual(await verifySignature(hashed, ENDPOINT, lookup), { accessKeyId: FUNCTION.accessKeyId });
        const swapped = await verifySignature({ ...hashed, body: Buffer.from('{"stateMachineArn":"b"}') }, ENDPOINT, lookup);
        assert.equal("problem" in swapped && swapped.problem.code, "InvalidSignature");
        // Unsigned, the header is no claim: the body is hashed as received (as AWS ignores a header nobody signed).
        const plain = await signed(request);
        assert.deepEqual(await verifySignature({ ...plain, headers: { ...plain.headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }, ENDPOINT, lookup), { accessKeyId: FUNCTION.accessKeyId });
    });
});
