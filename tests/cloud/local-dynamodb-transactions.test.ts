// DynamoDB's transactions on the local cloud (issue 22, item 6), through @aws-sdk/client-dynamodb
// as a step handler reserves atomically: all or nothing, a reason per item when cancelled (the old
// item with ALL_OLD), ConditionCheck, at most 100 items, one action per item, the client token's
// idempotency, and no reader ever sees a transaction half done. IAM asks for each item's action.
import "../support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
    DynamoDBClient,
    DynamoDBServiceException,
    GetItemCommand,
    IdempotentParameterMismatchException,
    PutItemCommand,
    TransactGetItemsCommand,
    TransactionCanceledException,
    TransactWriteItemsCommand,
    TransactWriteItemsCommandInput,
    ConditionalCheckFailedException,
    DescribeContinuousBackupsCommand,
    DescribeTableCommand,
    ListTagsOfResourceCommand,
    UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { bootCloud, Booted, operatorFetch } from "../../local/client";
import { dynamoDbRequests } from "../../local/dynamodb/service";

describe("DynamoDB transactions on the local cloud (TransactWriteItems, TransactGetItems)", function () {
    let booted: Booted;
    let dynamo: DynamoDBClient;
    let table: string;
    const key = (pk: string) => ({ pk: { S: pk }, sk: { S: "reservation" } });
    const seats = async (pk: string) => (await dynamo.send(new GetItemCommand({ TableName: table, Key: key(pk), ConsistentRead: true }))).Item?.seats?.N;

    before(async () => {
        booted = await bootCloud();
        table = String(booted.cloud.outputs.tableName);
        dynamo = new DynamoDBClient({ endpoint: booted.cloud.url, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    });
    after(() => booted?.cloud.stop());

    it("writes every action, or none: a failed condition cancels the rest, with a reason per item and the old item when asked", async () => {
        const [flight, hotel, car] = [randomUUID(), randomUUID(), randomUUID()];
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(flight), seats: { N: "1" } } }));
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(hotel), seats: { N: "0" } } }));
        const reserve = (pk: string): NonNullable<TransactWriteItemsCommandInput["TransactItems"]>[number] => ({
            Update: {
                TableName: table,
                Key: key(pk),
                UpdateExpression: "SET seats = seats - :one",
                ConditionExpression: "seats >= :one",
                ExpressionAttributeValues: { ":one": { N: "1" } },
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
        });
        const cancelled = await dynamo
            .send(new TransactWriteItemsCommand({ TransactItems: [reserve(flight), reserve(hotel), { Put: { TableName: table, Item: { ...key(car), seats: { N: "4" } } } }] }))
            .then(
                () => assert.fail("expected the transaction to be cancelled"),
                (error: unknown) => error,
            );
        assert.ok(cancelled instanceof TransactionCanceledException, String(cancelled));
        assert.equal(cancelled.message, "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]");
        assert.deepEqual(cancelled.CancellationReasons, [
            { Code: "None" },
            { Code: "ConditionalCheckFailed", Message: "The conditional request failed", Item: { ...key(hotel), seats: { N: "0" } } },
            { Code: "None" },
        ]);
        // Nothing written: the flight still has its seat, no car.
        assert.deepEqual([await seats(flight), await seats(hotel), await seats(car)], ["1", "0", undefined]);

        // A ConditionCheck on another item, and the writes go through together.
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(hotel), seats: { N: "2" } } }));
        const guard = randomUUID();
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(guard), open: { BOOL: true } } }));
        await dynamo.send(
            new TransactWriteItemsCommand({
                TransactItems: [
                    reserve(flight),
                    reserve(hotel),
                    { ConditionCheck: { TableName: table, Key: key(guard), ConditionExpression: "#open = :yes", ExpressionAttributeNames: { "#open": "open" }, ExpressionAttributeValues: { ":yes": { BOOL: true } } } },
                    { Delete: { TableName: table, Key: key(car) } },
                ],
            }),
        );
        assert.deepEqual([await seats(flight), await seats(hotel)], ["0", "1"]);
        const read = await dynamo.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: table, Key: key(flight) } }, { Get: { TableName: table, Key: key(car) } }] }));
        assert.deepEqual(read.Responses, [{ Item: { ...key(flight), seats: { N: "0" } } }, {}]);
    });

    it("refuses what DynamoDB refuses: two actions on one item, over 100 items, a missing table; an update DynamoDB rejects puts back what was written", async () => {
        const failure = (input: TransactWriteItemsCommandInput) =>
            dynamo.send(new TransactWriteItemsCommand(input)).then(
                () => assert.fail("expected a refusal"),
                (error: unknown) => {
                    assert.ok(error instanceof DynamoDBServiceException, String(error));
                    return { name: error.name, message: error.message };
                },
            );
        const pk = randomUUID();
        assert.deepEqual(
            await failure({ TransactItems: [{ Put: { TableName: table, Item: { ...key(pk), n: { N: "1" } } } }, { Delete: { TableName: table, Key: key(pk) } }] }),
            { name: "ValidationException", message: "Transaction request cannot include multiple operations on one item" },
        );
        const many = Array.from({ length: 101 }, () => ({ Put: { TableName: table, Item: key(randomUUID()) } }));
        assert.match((await failure({ TransactItems: many })).message, /Member must have length less than or equal to 100/);
        assert.equal((await failure({ TransactItems: [{ Put: { TableName: "no-such-table", Item: key(pk) } }] })).name, "ResourceNotFoundException");
        assert.equal(await seats(pk), undefined);

        // The first write is made, the second refused by the table store: the first is undone.
        const first = randomUUID();
        const refused = await failure({
            TransactItems: [
                { Put: { TableName: table, Item: { ...key(first), seats: { N: "9" } } } },
                { Update: { TableName: table, Key: key(randomUUID()), UpdateExpression: "SET seats = seats + :one", ExpressionAttributeValues: { ":one": { S: "text" } } } },
            ],
        });
        assert.equal(refused.name, "ValidationException");
        assert.equal(await seats(first), undefined);
    });

    it("applies a transaction once per client token, and refuses the token for another transaction", async () => {
        const pk = randomUUID();
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(pk), seats: { N: "5" } } }));
        const input = {
            ClientRequestToken: randomUUID(),
            TransactItems: [{ Update: { TableName: table, Key: key(pk), UpdateExpression: "SET seats = seats - :one", ExpressionAttributeValues: { ":one": { N: "1" } } } }],
        };
        await dynamo.send(new TransactWriteItemsCommand(input));
        await dynamo.send(new TransactWriteItemsCommand(input));
        assert.equal(await seats(pk), "4");
        await assert.rejects(
            dynamo.send(new TransactWriteItemsCommand({ ...input, TransactItems: [{ Delete: { TableName: table, Key: key(pk) } }] })),
            IdempotentParameterMismatchException,
        );
    });

    it("is isolated: concurrent transactions moving seats between two items never let a reader see the total change", async () => {
        const [a, b] = [randomUUID(), randomUUID()];
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(a), seats: { N: "50" } } }));
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(b), seats: { N: "50" } } }));
        const move = (from: string, to: string) =>
            dynamo.send(
                new TransactWriteItemsCommand({
                    TransactItems: [
                        { Update: { TableName: table, Key: key(from), UpdateExpression: "SET seats = seats - :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
                        { Update: { TableName: table, Key: key(to), UpdateExpression: "SET seats = seats + :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
                    ],
                }),
            );
        const totals: number[] = [];
        const moves = Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? move(a, b) : move(b, a))));
        const reads = Promise.all(
            Array.from({ length: 20 }, async () => {
                const { Responses } = await dynamo.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: table, Key: key(a) } }, { Get: { TableName: table, Key: key(b) } }] }));
                totals.push(Number(Responses![0].Item!.seats.N) + Number(Responses![1].Item!.seats.N));
            }),
        );
        await Promise.all([moves, reads]);
        assert.deepEqual([...new Set(totals)], [100]);
        assert.deepEqual([await seats(a), await seats(b)], ["50", "50"]);
    });

    it("describes the table as the program declares it: encryption, deletion protection, point-in-time recovery, tags", async () => {
        const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
        // The saga table (components/table.ts) is encrypted with the AWS managed key, without deletion protection.
        assert.deepEqual([Table?.SSEDescription?.Status, Table?.SSEDescription?.SSEType, Table?.DeletionProtectionEnabled], ["ENABLED", "KMS", false]);
        assert.match(Table?.SSEDescription?.KMSMasterKeyArn ?? "", /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
        const backups = (await dynamo.send(new DescribeContinuousBackupsCommand({ TableName: table }))).ContinuousBackupsDescription;
        assert.deepEqual([backups?.ContinuousBackupsStatus, backups?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus], ["ENABLED", "ENABLED"]);
        await assert.rejects(dynamo.send(new DescribeContinuousBackupsCommand({ TableName: "no-such-table" })), (error: Error) => error.name === "TableNotFoundException");
        const { Tags } = await dynamo.send(new ListTagsOfResourceCommand({ ResourceArn: Table!.TableArn! }));
        assert.ok(Tags?.some((tag) => tag.Key === "saga:name" && tag.Value), JSON.stringify(Tags));
    });

    it("returns the item a condition failed on with ReturnValuesOnConditionCheckFailure ALL_OLD, and answers an unknown operation as DynamoDB does", async () => {
        const pk = randomUUID();
        await dynamo.send(new PutItemCommand({ TableName: table, Item: { ...key(pk), seats: { N: "0" } } }));
        const refused = await dynamo
            .send(
                new UpdateItemCommand({
                    TableName: table,
                    Key: key(pk),
                    UpdateExpression: "SET seats = seats - :one",
                    ConditionExpression: "seats >= :one",
                    ExpressionAttributeValues: { ":one": { N: "1" } },
                    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
                }),
            )
            .then(
                () => assert.fail("expected the condition to fail"),
                (error: unknown) => error,
            );
        assert.ok(refused instanceof ConditionalCheckFailedException, String(refused));
        assert.deepEqual(refused.Item, { ...key(pk), seats: { N: "0" } });
        const unknown = await operatorFetch(booted.cloud.url, "dynamodb", "us-east-1", {
            method: "POST",
            headers: { "x-amz-target": "DynamoDB_20120810.RestoreTableToPointInTime", "content-type": "application/x-amz-json-1.0" },
            body: "{}",
        });
        assert.deepEqual([unknown.status, await unknown.json()], [400, { __type: "com.amazon.coral.service#UnknownOperationException", message: "Unknown operation exception" }]);
    });
});

describe("what IAM is asked for a transaction", () => {
    const arns = { account: "000000000000", region: "us-east-1" };
    it("each item's own action on its table (ConditionCheckItem for a check), as DynamoDB authorizes it", () => {
        const table = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
        assert.deepEqual(
            dynamoDbRequests(
                "TransactWriteItems",
                {
                    TransactItems: [
                        { Put: { TableName: "a", Item: {} } },
                        { Update: { TableName: "b", Key: {} } },
                        { Delete: { TableName: "a", Key: {} } },
                        { ConditionCheck: { TableName: "c", Key: {} } },
                    ],
                },
                arns,
            ),
            [
                { action: "dynamodb:PutItem", resource: table("a") },
                { action: "dynamodb:UpdateItem", resource: table("b") },
                { action: "dynamodb:DeleteItem", resource: table("a") },
                { action: "dynamodb:ConditionCheckItem", resource: table("c") },
            ],
        );
        assert.deepEqual(dynamoDbRequests("TransactGetItems", { TransactItems: [{ Get: { TableName: "a", Key: {} } }] }, arns), [{ action: "dynamodb:GetItem", resource: table("a") }]);
    });
});
