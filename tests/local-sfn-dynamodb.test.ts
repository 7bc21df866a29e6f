// Step Functions' DynamoDB integration on the local engine, against the local DynamoDB: a machine
// that claims an item with a conditional putItem, updates it, reads it back and deletes it; the
// Task results as AWS returns them (the API's response plus Step Functions' SDK metadata); the
// errors as Retry and Catch see them on AWS (DynamoDB.ConditionalCheckFailedException,
// DynamoDB.AmazonDynamoDBException for a validation error or a refusal of the machine's role,
// with the Java SDK's cause); and the Parameters the integration does not take, refused when the
// machine is created.
import "./support/aws-env";
import assert from "node:assert/strict";
import { LocalDynamoDb } from "../local/dynamodb/service";
import type { HistoryEvent } from "../local/sfn/history";
import { StepFunctionsService } from "../local/sfn/service";
import { iamGate } from "./support/iam";

const ACCOUNT_ARN = "arn:aws:states:us-east-1:000000000000";
const TABLE = "claims";
const key = { pk: { "S.$": "$.id" } };

/** Claims `$.id` once (a second claim is caught), counts a visit, reads the item, optionally deletes it. */
const DEFINITION = {
    StartAt: "Claim",
    States: {
        Claim: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:putItem",
            Parameters: {
                TableName: TABLE,
                Item: { pk: { "S.$": "$.id" }, owner: { "S.$": "$$.Execution.Name" } },
                ConditionExpression: "attribute_not_exists(pk)",
            },
            ResultPath: "$.claimed",
            Catch: [{ ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], ResultPath: "$.taken", Next: "Taken" }],
            Next: "Visit",
        },
        Visit: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:updateItem",
            Parameters: {
                TableName: TABLE,
                Key: key,
                UpdateExpression: "ADD visits :one SET #n = :note",
                ExpressionAttributeNames: { "#n": "note" },
                ExpressionAttributeValues: { ":one": { N: "1" }, ":note": { "S.$": "$.note" } },
                ReturnValues: "ALL_NEW",
            },
            ResultSelector: { "visits.$": "$.Attributes.visits.N" },
            ResultPath: "$.visited",
            Next: "Read",
        },
        Read: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:getItem",
            Parameters: { TableName: TABLE, Key: key, ConsistentRead: true },
            ResultPath: "$.read",
            Next: "Remove?",
        },
        "Remove?": { Type: "Choice", Choices: [{ Variable: "$.remove", BooleanEquals: true, Next: "Remove" }], Default: "Done" },
        Remove: {
            Type: "Task",
            Resource: "arn:aws:states:::dynamodb:deleteItem",
            Parameters: { TableName: TABLE, Key: key, ReturnValues: "ALL_OLD" },
            ResultSelector: { "owner.$": "$.Attributes.owner.S" },
            ResultPath: "$.removed",
            Next: "Done",
        },
        Done: { Type: "Succeed" },
        Taken: { Type: "Fail", Error: "Taken", CausePath: "$.taken.Cause" },
    },
};

describe("the local Step Functions' DynamoDB integration (dynamodb:getItem, putItem, updateItem, deleteItem)", () => {
    let dynamo: LocalDynamoDb;
    let service: StepFunctionsService;
    /** Requests the machine's role made, as IAM was asked; the table `forbidden` is refused. */
    const asked: string[] = [];

    const machine = (name: string, definition: object) => {
        const arn = `${ACCOUNT_ARN}:stateMachine:${name}`;
        service.createStateMachine({ name, arn, definition: JSON.stringify(definition), roleArn: "arn:aws:iam::000000000000:role/claims", type: "STANDARD" });
        return arn;
    };
    const run = async (arn: string, name: string, input: object) => {
        const started = service.startExecution(arn, name, JSON.stringify(input));
        await service.idle();
        return service.describeExecution(started.executionArn);
    };
    const taskEvents = (history: HistoryEvent[], type: string) =>
        history.filter((event) => event.type === type).map((event) => event[`${type[0].toLowerCase()}${type.slice(1)}EventDetails`] as Record<string, string>);

    before(async () => {
        dynamo = await LocalDynamoDb.start(iamGate("off"));
        await dynamo.createTable(TABLE, { attributes: [{ name: "pk", type: "S" }], hashKey: "pk", billingMode: "PAY_PER_REQUEST" });
        service = new StepFunctionsService({
            region: "us-east-1",
            retryIntervalMs: 0,
            targets: {
                authorize: (_caller, request) => {
                    asked.push(`${request.action} ${request.resource}`);
                    return request.resource.endsWith("/forbidden") ? `User: claims is not authorized to perform: ${request.action} on resource: ${request.resource}` : undefined;
                },
                hasFunction: () => false,
                invokeFunction: async () => null,
                sendMessage: () => ({ MessageId: "unused" }),
                dynamodb: (operation, request) => dynamo.call(operation, request),
            },
        });
    });
    after(async () => {
        await service.stop();
        await dynamo.close();
    });

    it("writes, updates, reads and deletes items, each Task's result DynamoDB's response with Step Functions' SDK metadata", async () => {
        const arn = machine("claims", DEFINITION);
        const first = await run(arn, "first", { id: "a", note: "hello", remove: false });
        assert.equal(first.status, "SUCCEEDED", first.cause);
        const output = JSON.parse(first.output!);
        assert.deepEqual(output.visited, { visits: "1" });
        assert.deepEqual(output.read.Item, { pk: { S: "a" }, owner: { S: "first" }, visits: { N: "1" }, note: { S: "hello" } });
        assert.equal(output.read.SdkHttpMetadata.HttpStatusCode, 200);
        assert.equal(output.read.SdkHttpMetadata.HttpHeaders["Content-Type"], "application/x-amz-json-1.0");
        assert.match(output.read.SdkResponseMetadata.RequestId, /^\w+$/);
        // A putItem answers no attributes: only the metadata.
        assert.deepEqual(Object.keys(output.claimed).sort(), ["SdkHttpMetadata", "SdkResponseMetadata"]);
        // The history shows each call as AWS does: resourceType dynamodb, the action as resource.
        assert.deepEqual(
            taskEvents(first.history, "TaskScheduled").map((details) => `${details.resourceType}:${details.resource}`),
            ["dynamodb:putItem", "dynamodb:updateItem", "dynamodb:getItem"],
        );
        assert.deepEqual(JSON.parse(taskEvents(first.history, "TaskScheduled")[0].parameters).Item, { pk: { S: "a" }, owner: { S: "first" } });
        // Each call was asked of IAM as the machine's role, as the operation on the table.
        assert.deepEqual(asked.slice(-3), ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"].map((action) => `${action} arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}`));

        const removed = await run(arn, "second", { id: "b", note: "bye", remove: true });
        assert.deepEqual(JSON.parse(removed.output!).removed, { owner: "second" });
        const { body } = await dynamo.call("GetItem", { TableName: TABLE, Key: { pk: { S: "b" } } });
        assert.deepEqual(body, {});
    });

    it("fails a conditional write with DynamoDB.ConditionalCheckFailedException, which Catch matches, and the Java SDK's cause", async () => {
        const arn = `${ACCOUNT_ARN}:stateMachine:claims`;
        const again = await run(arn, "again", { id: "a", note: "again" });
        assert.deepEqual([again.status, again.error], ["FAILED", "Taken"]);
        assert.match(again.cause!, /^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: \w+; Proxy: null\)$/);
        const [failed] = taskEvents(again.history, "TaskFailed");
        assert.deepEqual([failed.resourceType, failed.resource, failed.error], ["dynamodb", "putItem", "DynamoDB.ConditionalCheckFailedException"]);
        // The item is as the first claim left it.
        const { body } = await dynamo.call("GetItem", { TableName: TABLE, Key: { pk: { S: "a" } } });
        assert.deepEqual((body.Item as Record<string, { S?: string }>).owner, { S: "first" });
    });

    it("names a validation error, a missing table and a refusal of the machine's role as AWS names them", async () => {
        const single = (name: string, parameters: object) =>
            machine(name, { StartAt: "Write", States: { Write: { Type: "Task", Resource: "arn:aws:states:::dynamodb:updateItem", Parameters: parameters, End: true } } });
        const invalid = await run(single("invalid", { TableName: TABLE, Key: { pk: { S: "c" } }, UpdateExpression: "SET" }), "x", {});
        assert.equal(invalid.error, "DynamoDB.AmazonDynamoDBException");
        assert.match(invalid.cause!, /Error Code: ValidationException;/);
        const missing = await run(single("missing", { TableName: "nope", Key: { pk: { S: "c" } }, UpdateExpression: "SET a = :a", ExpressionAttributeValues: { ":a": { S: "x" } } }), "x", {});
        assert.equal(missing.error, "DynamoDB.ResourceNotFoundException");
        assert.match(missing.cause!, /^Requested resource not found.*Error Code: ResourceNotFoundException;/);
        const refused = await run(single("refused", { TableName: "forbidden", Key: { pk: { S: "c" } }, UpdateExpression: "SET a = :a", ExpressionAttributeValues: { ":a": { S: "x" } } }), "x", {});
        assert.equal(refused.error, "DynamoDB.AmazonDynamoDBException");
        assert.match(refused.cause!, /^User: claims is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/forbidden \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: AccessDeniedException;/);
    });

    it("refuses, when the machine is created, Parameters the integration does not take or a Task without TableName", () => {
        const definition = (parameters: object) => ({ StartAt: "Write", States: { Write: { Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem", Parameters: parameters, End: true } } });
        assert.throws(() => machine("bad-field", definition({ TableName: TABLE, Item: {}, Limit: 1 })), /The field "Limit" is not supported by Step Functions at \/States\/Write\/Parameters/);
        assert.throws(() => machine("no-table", definition({ "Item.$": "$" })), /The field "TableName" is required/);
        assert.throws(
            () => machine("scan", { StartAt: "Scan", States: { Scan: { Type: "Task", Resource: "arn:aws:states:::dynamodb:scan", Parameters: { TableName: TABLE }, End: true } } }),
            /uses arn:aws:states:::dynamodb:scan, which the local cloud does not run/,
        );
    });
});
