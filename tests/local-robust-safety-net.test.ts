// The local server's safety net: an error that escapes a request's handler, now or later in a
// callback no handler can catch (dynalite ends its store callbacks with `if (err) throw err`),
// is answered on the request it was thrown for, in that service's shape, and logged; the process
// never exits for it, and every other request carries on. Every uncaughtException listener there
// was (mocha's, another cloud's) is set aside meanwhile, so nothing but this local server's last
// resort stands between such an error and the end of this process.
import "./support/aws-env";
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { ApiGatewayService } from "../local/apigateway/gateway";
import { LocalDynamoDb } from "../local/dynamodb/service";
import { LocalServer } from "../local/server";
import { StepFunctionsService } from "../local/sfn/service";
import { dynamoDbHeaders, rawRequest, signedAsOperator } from "./support/raw-http";
import { allowEveryCall, iamGate } from "./support/iam";

describe("the local server's safety net (errors no handler catches)", function () {
    let server: LocalServer;
    let dynamo: LocalDynamoDb;
    const lines: string[] = [];
    let listenersBefore: NodeJS.UncaughtExceptionListener[];
    /** The inspect endpoint here fails on purpose: later, in a timer, without answering. */
    let late: ((response: ServerResponse) => void) | undefined;

    before(async () => {
        // A DynamoDB whose store is closed: every operation fails in dynalite's store callback.
        dynamo = await LocalDynamoDb.start(iamGate());
        await dynamo.createTable("closed", { attributes: [{ name: "pk", type: "S" }], hashKey: "pk", billingMode: "PAY_PER_REQUEST" });
        await dynamo.close();
        listenersBefore = process.listeners("uncaughtException");
        process.removeAllListeners("uncaughtException");
        server = await LocalServer.listen(0, (line) => lines.push(line));
        // (Node's domain module, once loaded, adds a listener of its own that only resets its state.)
        const listening = process.listeners("uncaughtException").filter((listener) => listener.name !== "domainUncaughtExceptionClear");
        assert.deepEqual(listening.map((listener) => listener.name), ["lastResort"], "the local server's last resort, alone");
        server.serve({
            dynamo: dynamo.handle,
            iam: iamGate(),
            stepFunctions: new StepFunctionsService({ region: "us-east-1", targets: { authorize: allowEveryCall, hasFunction: () => false, invokeFunction: async () => null, sendMessage: () => ({ MessageId: "" }) } }),
            gateway: new ApiGatewayService({ accountId: "000000000000", region: "us-east-1", iam: iamGate(), invoke: () => undefined, log: () => undefined }),
            inspect: (_request, response) => void setTimeout(() => late?.(response), 1),
        });
    });
    after(async () => {
        await server?.close();
        process.removeAllListeners("uncaughtException");
        for (const listener of listenersBefore) process.on("uncaughtException", listener);
    });

    it("answers an error dynalite throws in its store's callback with DynamoDB's InternalFailure (500), on that request, and logs it", async () => {
        const answer = await rawRequest(server.url, await signedAsOperator(server.url, { headers: dynamoDbHeaders("GetItem"), body: JSON.stringify({ TableName: "closed", Key: { pk: { S: "a" } } }) }, "dynamodb"));
        assert.equal(answer.status, 500);
        assert.deepEqual(JSON.parse(answer.text), { __type: "com.amazon.coral.service#InternalFailure", message: "Internal error of the local cloud; see its log." });
        const logged = lines.filter((line) => line.startsWith("Internal error answering DynamoDB POST / (uncaught, thrown in a callback on its behalf): Error: Database is closed"));
        assert.equal(logged.length, 1, lines.join("\n"));
    });

    it("answers a late error in any handler's timer with that service's InternalFailure, while other requests are served", async () => {
        late = () => {
            throw new Error("thrown by a timer of the inspect endpoint");
        };
        const [failed, served] = await Promise.all([
            rawRequest(`${server.url}/_local/anything`, { method: "GET" }),
            rawRequest(server.url, { headers: { "x-amz-target": "AWSStepFunctions.ListStateMachines" }, body: "{}" }),
        ]);
        assert.deepEqual([failed.status, JSON.parse(failed.text)], [500, { message: "Internal error of the local cloud; see its log." }]);
        assert.deepEqual([served.status, JSON.parse(served.text)], [200, { stateMachines: [] }]);
        assert.ok(lines.some((line) => line.startsWith("Internal error answering local endpoint GET /_local/anything (uncaught, thrown in a callback on its behalf): Error: thrown by a timer")));
    });

    it("logs an error thrown outside any request, and keeps serving", async () => {
        await new Promise<void>((resolve) =>
            setImmediate(() => {
                setImmediate(resolve);
                throw new Error("thrown by nobody's request");
            }),
        );
        assert.ok(lines.some((line) => line.startsWith("Uncaught error outside any request; the local cloud keeps running: Error: thrown by nobody's request")));
        assert.equal((await rawRequest(server.url, { headers: { "x-amz-target": "AWSStepFunctions.ListStateMachines" }, body: "{}" })).status, 200);
    });
});
