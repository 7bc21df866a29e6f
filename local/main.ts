// `npm start`: the Pulumi program deployed onto a local cloud, served until Ctrl-C.
//   npm start -- --port 4000 --data .local-data --config saga:compensationFailureRate=0.4
//   npm start -- --program examples/order --config paymentsApiKey=sk_test_local
// The functions run on this machine's Node.js, not Lambda's 22; the AWS SDK's notice about
// Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import * as path from "node:path";
import { parseArgs } from "node:util";
import { banner } from "./banner";
import { LocalCloud, startLocalCloud } from "./cloud";
import { ConfigError, parseConfigOverrides } from "./config";
import { DeploymentError } from "./deploy";
import { PortInUseError } from "./server";

const USAGE = `Usage: npm start -- [options]
  --program <dir>         the Pulumi program to deploy: the directory of its Pulumi.yaml (default: this project, index.ts)
  --port <n>              port of the local cloud on 127.0.0.1 (default 3000, or SAGA_PORT; 0 picks a free one)
  --data <dir>            keep DynamoDB tables, finished executions and queued messages in <dir> across restarts (default: in memory)
  --stack <name>          read the program's Pulumi.<name>.yaml (default dev)
  --config <key=value>    override a config value, repeatable (e.g. saga:compensationFailureRate=0.4); the way to give
                          secrets, which the local cloud cannot decrypt from a stack file
  --retry-interval <ms>   wait between retries locally (default 250), or "definition" for the definition's intervals
  --function-logs <level> which lines of the functions' logs to show: debug, info, warn (default), error, off`;

/** A mistake in how the command was called: told with the usage, no stack trace. */
class UsageError extends Error {}

function options() {
    const { values } = parseArgs({
        options: {
            program: { type: "string" },
            port: { type: "string" },
            data: { type: "string" },
            stack: { type: "string" },
            config: { type: "string", multiple: true },
            "retry-interval": { type: "string" },
            "function-logs": { type: "string" },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help) {
        console.log(USAGE);
        process.exit(0);
    }
    const port = Number(values.port ?? process.env.SAGA_PORT ?? 3000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`The port must be a whole number from 0 to 65535, not "${values.port ?? process.env.SAGA_PORT}".`);
    const retry = values["retry-interval"] ?? "250";
    const retryIntervalMs = retry === "definition" ? undefined : Number(retry);
    if (retryIntervalMs !== undefined && !(Number.isInteger(retryIntervalMs) && retryIntervalMs >= 0)) {
        throw new UsageError(`--retry-interval takes milliseconds (0 or more) or "definition", not "${retry}".`);
    }
    const functionLogLevel = values["function-logs"] === "off" ? "fatal" : (values["function-logs"] ?? "warn");
    const programDir = values.program === undefined ? undefined : path.resolve(values.program);
    return { programDir, port, dataDir: values.data, stack: values.stack, config: parseConfigOverrides(values.config ?? []), retryIntervalMs, functionLogLevel };
}

function stopOnSignals(cloud: LocalCloud): void {
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
        if (stopping) {
            console.log(`${signal} again: exiting without waiting.`);
            process.exit(130);
        }
        stopping = true;
        console.log(`\n${signal}: stopping the local cloud (running sagas are aborted)...`);
        await cloud.stop();
        console.log("Stopped: the port is closed and every function's worker has ended.");
        // Nothing should keep the process alive now; if something does, say so rather than hang.
        setTimeout(() => {
            console.error("Something still holds the process open after stopping; exiting anyway.");
            process.exit(1);
        }, 5000).unref();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

async function main(): Promise<void> {
    const settings = options();
    console.log("Starting the local cloud: deploying the program onto it...");
    const cloud = await startLocalCloud(settings);
    stopOnSignals(cloud);
    console.log(banner(cloud, settings));
}

main().catch((error: unknown) => {
    const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    const known = usage || error instanceof PortInUseError || error instanceof ConfigError || error instanceof DeploymentError;
    console.error(known ? (error as Error).message : error);
    if (usage) console.error(USAGE);
    process.exit(1);
});
