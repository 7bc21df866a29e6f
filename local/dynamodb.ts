// DynamoDB on this machine: dynalite (the DynamoDB API on LevelDB), in memory, or in a data
// folder so tables and items survive a restart. Tables are created from the inputs of the
// program's aws.dynamodb.Table resources.
import {
    CreateTableCommand,
    CreateTableCommandInput,
    DescribeTableCommand,
    DynamoDBClient,
    ResourceInUseException,
} from "@aws-sdk/client-dynamodb";
import * as fs from "node:fs";
import type { RequestListener, Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: Record<string, unknown>) => Server = require("dynalite");

type Inputs = Record<string, any>;

export class LocalDynamoDb {
    private constructor(
        private readonly server: Server,
        private readonly client: DynamoDBClient,
        /** dynalite's request handler: the local cloud's port serves DynamoDB requests through it. */
        readonly handle: RequestListener,
    ) {}

    /** In memory, or under `<dataDir>/dynamodb` when a data folder is given. */
    static async start(dataDir?: string): Promise<LocalDynamoDb> {
        const store = dataDir ? path.join(dataDir, "dynamodb") : undefined;
        if (store) fs.mkdirSync(store, { recursive: true });
        const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(store ? { path: store } : {}) });
        // dynalite closes its store only when its own server closes, so it listens, on a free
        // port nobody is told about; requests reach it through the local cloud's port.
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", resolve);
        });
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
        return new LocalDynamoDb(server, client, server.listeners("request")[0] as RequestListener);
    }

    /** Creates the table, or checks that the one kept in the data folder has the same keys. */
    async createTable(name: string, inputs: Inputs): Promise<{ created: boolean }> {
        const request = createTableRequest(name, inputs);
        try {
            await this.client.send(new CreateTableCommand(request));
            return { created: true };
        } catch (error) {
            if (!(error instanceof ResourceInUseException)) throw error;
        }
        const { Table } = await this.client.send(new DescribeTableCommand({ TableName: name }));
        const keys = (schema: unknown) => JSON.stringify(schema);
        if (keys(Table?.KeySchema) !== keys(request.KeySchema)) {
            throw new Error(
                `The table ${name} in the data folder has the keys ${keys(Table?.KeySchema)}, the program declares ${keys(request.KeySchema)}: ` +
                    "start with another --data folder, or delete this one.",
            );
        }
        return { created: false };
    }

    async close(): Promise<void> {
        this.client.destroy();
        await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
    }
}

/** CreateTable from the inputs of an aws.dynamodb.Table. */
export function createTableRequest(name: string, inputs: Inputs): CreateTableCommandInput {
    const keySchema = (hashKey: string, rangeKey?: string) => [
        { AttributeName: hashKey, KeyType: "HASH" as const },
        ...(rangeKey ? [{ AttributeName: rangeKey, KeyType: "RANGE" as const }] : []),
    ];
    const projection = (index: Inputs) => ({
        ProjectionType: index.projectionType,
        ...(index.nonKeyAttributes ? { NonKeyAttributes: index.nonKeyAttributes } : {}),
    });
    const provisioned = inputs.billingMode !== "PAY_PER_REQUEST";
    const throughput = (spec: Inputs) =>
        provisioned ? { ProvisionedThroughput: { ReadCapacityUnits: spec.readCapacity ?? 1, WriteCapacityUnits: spec.writeCapacity ?? 1 } } : {};
    const gsis: Inputs[] = inputs.globalSecondaryIndexes ?? [];
    const lsis: Inputs[] = inputs.localSecondaryIndexes ?? [];
    return {
        TableName: name,
        AttributeDefinitions: (inputs.attributes ?? []).map((a: Inputs) => ({ AttributeName: a.name, AttributeType: a.type })),
        KeySchema: keySchema(inputs.hashKey, inputs.rangeKey),
        BillingMode: provisioned ? "PROVISIONED" : "PAY_PER_REQUEST",
        ...throughput(inputs),
        ...(gsis.length > 0
            ? { GlobalSecondaryIndexes: gsis.map((g) => ({ IndexName: g.name, KeySchema: keySchema(g.hashKey, g.rangeKey), Projection: projection(g), ...throughput(g) })) }
            : {}),
        ...(lsis.length > 0
            ? { LocalSecondaryIndexes: lsis.map((l) => ({ IndexName: l.name, KeySchema: keySchema(inputs.hashKey, l.rangeKey), Projection: projection(l) })) }
            : {}),
    };
}
