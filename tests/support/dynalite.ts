// A real DynamoDB API in memory (dynalite) with the saga's table, for the handlers' tests. The
// handlers find it the way they find DynamoDB on Lambda: through the environment.
import "./aws-env";
import { CreateTableCommand, DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Env } from "../../components/model/conventions";

// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: Record<string, number>) => Server = require("dynalite");

export const TEST_TABLE = "saga-test";

export interface LocalTable {
    close(): Promise<void>;
    endpoint: string;
    tableName: string;
    /** The operation of every request the store received (e.g. `Query`), in order. */
    operations: string[];
    /** Every record of a saga (one Query on its partition key), sorted by sort key. */
    itemsOf(sagaId: string): Promise<Record<string, string>[]>;
}

let started: Promise<LocalTable> | undefined;

// A root-level hook (registered when the first test file imports this module): one server serves
// every test file, because SDK clients at module scope keep the endpoint they first resolved.
after(async () => (await started)?.close());

/** The shared local table, started on first use; the handlers' env points at it from then on. */
export function localTable(): Promise<LocalTable> {
    started ??= start();
    return started;
}

async function start(): Promise<LocalTable> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
    });
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const operations: string[] = [];
    // The target header names the operation, e.g. "DynamoDB_20120810.Query".
    server.on("request", (request) => operations.push(String(request.headers["x-amz-target"]).split(".").pop()!));
    const client = new DynamoDBClient({ endpoint });
    await client.send(
        new CreateTableCommand({
            TableName: TEST_TABLE,
            KeySchema: [
                { AttributeName: "pk", KeyType: "HASH" },
                { AttributeName: "sk", KeyType: "RANGE" },
            ],
            AttributeDefinitions: [
                { AttributeName: "pk", AttributeType: "S" },
                { AttributeName: "sk", AttributeType: "S" },
            ],
            BillingMode: "PAY_PER_REQUEST",
        }),
    );
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    process.env[Env.tableName] = TEST_TABLE;

    return {
        endpoint,
        tableName: TEST_TABLE,
        operations,
        async close() {
            client.destroy();
            await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
        },
        async itemsOf(sagaId) {
            const { Items = [] } = await client.send(
                new QueryCommand({
                    TableName: TEST_TABLE,
                    KeyConditionExpression: "pk = :pk",
                    ExpressionAttributeValues: { ":pk": { S: sagaId } },
                    ConsistentRead: true,
                }),
            );
            return Items.map((item) => Object.fromEntries(Object.entries(item).map(([name, value]) => [name, value.S ?? JSON.stringify(value)])));
        },
    };
}
