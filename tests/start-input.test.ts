// A start request that carries the saga's input: a POST with an `application/json` body of at most
// 256 KB, checked against the JSON Schema the saga's start function gives (the order example's),
// before anything starts. Every refusal names the field and the rule and starts nothing; a GET with
// query parameters works as before.
import "./support/aws-env";
import assert from "node:assert/strict";
import { Env } from "../components/model/conventions";
import { handler as startOrder } from "../examples/order/handlers/start";
import { DEMO_ORDER, ORDER_ID_FIELD } from "../examples/order/handlers/order";
import { ApiGatewayProxyEvent } from "../handlers/lib/http";
import { MAX_INPUT_BYTES } from "../handlers/lib/input";
import { jsonSchema } from "../handlers/lib/json-schema";
import { createStartHandler } from "../handlers/lib/start";
import { withEnv } from "./support/aws-env";
import { SfnStub, sfnStub } from "./support/sfn-stub";

const ORDER = { lines: [{ sku: "MUG-042", quantity: 1 }, { sku: "PEN-007", quantity: 3 }], address: "7 Harbour Road, Cork", currency: "GBP" };
const JSON_TYPE = { "Content-Type": "application/json" };

describe("a start request's JSON body as the saga's input (the order example's schema)", () => {
    let sfn: SfnStub;
    before(async () => {
        sfn = await sfnStub();
    });
    beforeEach(() => sfn.reset());

    const send = (event: ApiGatewayProxyEvent, start = startOrder) =>
        withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn, [Env.failureInjection]: "true", [Env.statusPath]: undefined }, () => start(event));
    const post = (body: unknown, headers: Record<string, string> = JSON_TYPE, query: Record<string, string> = { orderID: "order-1" }) =>
        send({ httpMethod: "POST", path: "/", headers, queryStringParameters: query, body: typeof body === "string" ? body : JSON.stringify(body) });
    const messageOf = (response: { body: string }) => JSON.parse(response.body).message as string;

    it("starts the saga with the order the body carries, under the query string's id and run type", async () => {
        const response = await post(ORDER, JSON_TYPE, { orderID: "order-1", runType: "failStock" });
        assert.equal(response.statusCode, 202, response.body);
        assert.equal(sfn.calls.length, 1);
        assert.deepEqual(JSON.parse(sfn.calls[0].input), { [ORDER_ID_FIELD]: "order-1", ...ORDER, run_type: "failStock" });
    });

    it("reads a body API Gateway passed base64-encoded, and a content type with a UTF-8 charset, in any letter case", async () => {
        const encoded = await send({
            httpMethod: "POST",
            headers: { "content-type": "Application/JSON; charset=UTF-8" },
            queryStringParameters: { orderID: "order-2" },
            body: Buffer.from(JSON.stringify(ORDER)).toString("base64"),
            isBase64Encoded: true,
        });
        assert.equal(encoded.statusCode, 202, encoded.body);
        assert.deepEqual(JSON.parse(sfn.calls[0].input).lines, ORDER.lines);
    });

    it("places the demo order on a GET with query parameters, as before (and on a POST without a body)", async () => {
        for (const method of ["GET", "POST"]) {
            sfn.reset();
            const response = await send({ httpMethod: method, path: "/", queryStringParameters: { orderID: `demo-${method}` } });
            assert.equal(response.statusCode, 202, response.body);
            assert.deepEqual(JSON.parse(sfn.calls[0].input), { [ORDER_ID_FIELD]: `demo-${method}`, ...DEMO_ORDER });
        }
    });

    it("answers 400 naming each field and the rule it breaks, and starts nothing", async () => {
        const cases: [unknown, string][] = [
            [{ lines: ORDER.lines, currency: "GBP" }, "`address` is required (required)."],
            [{ ...ORDER, lines: [{ sku: "MUG-042", quantity: 0 }] }, "`lines[0].quantity` must be >= 1 (minimum)."],
            [{ ...ORDER, lines: [{ sku: "MUG-042", quantity: 1.5 }] }, "`lines[0].quantity` must be integer (type)."],
            [{ ...ORDER, lines: [{ sku: "CAR-1", quantity: 1 }] }, '`lines[0].sku` must be one of "BOOK-978-0", "MUG-042", "PEN-007" (enum).'],
            [{ ...ORDER, lines: [] }, "`lines` must NOT have fewer than 1 items (minItems)."],
            [{ ...ORDER, currency: "JPY" }, '`currency` must be one of "EUR", "USD", "GBP" (enum).'],
            [{ ...ORDER, discount: 100 }, "`discount` is not a field of the input (additionalProperties)."],
            [["an", "array"], "The body must be object (type)."],
        ];
        for (const [body, problem] of cases) {
            const response = await post(body);
            assert.equal(response.statusCode, 400, JSON.stringify(body));
            assert.equal(messageOf(response), `The body is not this saga's input: ${problem}`);
        }
        // Every problem at once.
        const both = messageOf(await post({ lines: [{ sku: "MUG-042" }], currency: "GBP" }));
        assert.equal(both, "The body is not this saga's input: `address` is required (required). `lines[0].quantity` is required (required).");
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 400 to a body that is not JSON, 415 to another content type, 400 to a body on a GET, and starts nothing", async () => {
        const notJson = await post("{ lines: 1");
        assert.equal(notJson.statusCode, 400);
        assert.match(messageOf(notJson), /^The body is not JSON: /);
        for (const [headers, named] of [[{ "content-type": "text/plain" }, "`text/plain`"], [{}, "missing"], [{ "content-type": "application/json; charset=latin1" }, "`application/json; charset=latin1`"]] as const) {
            const response = await post(ORDER, headers);
            assert.equal(response.statusCode, 415);
            assert.equal(messageOf(response), `The saga's input must be sent as \`content-type: application/json\` (UTF-8); this request's is ${named}.`);
        }
        const get = await send({ httpMethod: "GET", headers: JSON_TYPE, queryStringParameters: { orderID: "order-3" }, body: JSON.stringify(ORDER) });
        assert.equal(get.statusCode, 400);
        assert.equal(messageOf(get), "Only a POST carries the saga's input in its body; this GET request has a body.");
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 413 to a body over 256 KB (Step Functions' input limit) before reading it, and starts nothing", async () => {
        const body = JSON.stringify({ ...ORDER, address: "x".repeat(MAX_INPUT_BYTES) });
        const response = await post(body);
        assert.equal(response.statusCode, 413);
        assert.equal(messageOf(response), `The body is ${Buffer.byteLength(body)} bytes; the saga's input may be at most 262144 bytes (256 KB, Step Functions' limit).`);
        assert.equal(sfn.calls.length, 0);
    });

    it("answers 413 when the input the saga builds from a body grows past 256 KB, and starts nothing", async () => {
        const padded = createStartHandler({ idParameter: "id", runTypes: [], inputSchema: jsonSchema({ type: "object" }), buildInput: (id, _runType, body) => ({ id, body, note: "n".repeat(MAX_INPUT_BYTES) }) });
        const response = await send({ httpMethod: "POST", headers: JSON_TYPE, body: "{}" }, padded);
        assert.equal(response.statusCode, 413);
        assert.match(messageOf(response), /^The saga's input would be 262\d{3} bytes; Step Functions takes at most 262144 \(256 KB\)\.$/);
        assert.equal(sfn.calls.length, 0);
    });

    it("still answers query-string problems first, as before", async () => {
        const response = await post(ORDER, JSON_TYPE, { orderId: "order-4" });
        assert.equal(response.statusCode, 400);
        assert.match(messageOf(response), /^`orderId` is not a parameter of this request; did you mean `orderID`\?/);
    });

    it("refuses, when the function loads, a schema Ajv cannot use, naming the problem", () => {
        assert.throws(
            () => jsonSchema({ type: "object", properties: { n: { type: "integr" } } }),
            /^Error: The start function's input schema is not a valid JSON Schema: schema is invalid: data\/properties\/n\/type must be equal to one of the allowed values/,
        );
        assert.throws(() => jsonSchema({ type: "object", minimun: 1 }), /strict mode: unknown keyword: "minimun"/);
    });
});
