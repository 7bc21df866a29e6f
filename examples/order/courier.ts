// The courier service: a function this program runs for its own reasons (other flows book
// pickups too), with its own role, its own logs and its own settings. The order saga reuses it as
// it is for one action (`functionArn`): the saga creates no function or role for it, and its
// state machine may invoke exactly this function's ARN.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as esbuild from "esbuild";
import * as path from "node:path";

export interface CourierArgs {
    /** The table the courier books shipments in (the order service's table, which the saga shares). */
    table: aws.dynamodb.Table;
    tags: Record<string, string>;
}

export function courierFunction(args: CourierArgs): aws.lambda.Function {
    const logs = new aws.cloudwatch.LogGroup("courier-logs", { retentionInDays: 14, tags: args.tags });
    const role = new aws.iam.Role("courier-role", {
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: args.tags,
    });
    const policy = new aws.iam.RolePolicy("courier-policy", {
        role: role.name,
        policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
                // A booking is a conditional put; a retry reads what its first attempt wrote.
                { Sid: "BookShipments", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: args.table.arn },
                { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${logs.arn}:*` },
            ],
        }),
    });
    return new aws.lambda.Function(
        "courier",
        {
            runtime: "nodejs22.x",
            architectures: ["arm64"],
            handler: "index.book",
            code: bundle(path.join(__dirname, "handlers", "courier.ts")),
            role: role.arn,
            memorySize: 256,
            timeout: 10,
            environment: { variables: { TABLE_NAME: args.table.name } },
            loggingConfig: { logFormat: "JSON", logGroup: logs.name },
            tags: args.tags,
        },
        // Created after its policy, so that its first invocation can write.
        { dependsOn: [policy] },
    );
}

/** The handler and what it imports as one index.js; the AWS SDK comes with Lambda's Node.js runtime. */
function bundle(entry: string): pulumi.asset.AssetArchive {
    const { outputFiles } = esbuild.buildSync({
        entryPoints: [entry],
        bundle: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        external: ["@aws-sdk/*"],
        outfile: "index.js",
        // Paths in the bundle's comments are relative to this directory: the same code, and so
        // the same deployment, on every machine.
        absWorkingDir: __dirname,
        write: false,
        logLevel: "silent",
    });
    return new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(outputFiles[0].text) });
}
