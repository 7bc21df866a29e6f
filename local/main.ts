// `npm start`: the Pulumi program deployed onto a local cloud, served until Ctrl-C (or SIGTERM),
// which refuses new requests, gives running sagas a grace period, and keeps what still runs in
// the data folder for the next start.
//   npm start -- --port 4000 --data .local-data --config saga:compensationFailureRate=0.4
//   npm start -- --program examples/order --config paymentsApiKey=sk_test_local
// The functions run on this machine's Node.js, not Lambda's 22; the AWS SDK's notice about
// Node 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import * as path from "node:path";
import { parseArgs } from "node:util";
import { banner } from "./banner";
import { describePositions, LocalCloud, startLocalCloud } from "./cloud";
import { ConfigError, parseConfigOverrides } from "../harness/config";
import { DataFolderError } from "./data-folder";
import { DataDirInUseError } from "./data-lock";
import { DeploymentError } from "./deploy";
import { IAM_MODES, IamMode } from "./iam/gate";
import { PortInUseError } from "./server";

const USAGE = `Usage: npm start -- [options]
  --program <dir>         the Pulumi program to deploy: the directory of its Pulumi.yaml (default: this project, index.ts)
  --port <n>              port of the local cloud on 127.0.0.1 (default 3000, or SAGA_PORT; 0 picks a free one)
  --data <dir>            keep DynamoDB tables, queued messages and every execution in <dir> across restarts and crashes;
                          running executions resume at the next start (default: in memory, nothing kept)
  --grace <seconds>       on Ctrl-C or SIGTERM, how long running sagas may take to finish (default 10); what still
                          runs then is kept in the data folder and resumes at the next start (aborted without --data)
  --stack <name>          read the program's Pulumi.<name>.yaml (default dev)
  --config <key=value>    override a config value, repeatable (e.g. saga:compensationFailureRate=0.4); the way to give
                          secrets, which the local cloud cannot decrypt from a stack file
  --retry-interval <ms>   wait between retries locally, repairs' and asynchronous invocations' too (default 250),
                          or "definition" for the definition's intervals
  --repair-retry-interval <ms>  wait between a repair's retries locally (default 15000): a repair retries each
                          compensation up to its horizon (35 times for 24 hours), so it keeps going for minutes
  --schedules-every <ms>  fire every EventBridge schedule rule (rate(...), cron(...)) every <ms> instead of on its own
                          schedule (default: on its schedule, as EventBridge); POST /_local/schedules/<rule> fires one now
  --express-duplicates <p>  run an EXPRESS execution a second time with probability p (0 to 1; default 0), at once or
                          soon after it ended, as Step Functions' at-least-once allows
  --function-logs <level> which lines of the functions' logs to show: debug, info, warn (default), error, off
  --function-log-format <f>  short (default: level, message, fields) or json (each line as the function wrote it)
  --iam <mode>            enforce (default): every request must be SigV4-signed and allowed by its caller's role, as on
                          AWS (each function signs as its role; you as the operator, access key "local", secret "local");
                          warn: log what enforce would refuse and let it through; off: check nothing
  --verbose               the start-up banner also lists every resource provisioned and not provisioned, every output
                          and route, more requests to try and the AWS CLI (GET /_local serves the same lists)`;

/**
 * Settles when the reader of this process's output goes away (`npm start | head`, a pipe or
 * terminal closed): from then on every write fails. The failures are handled here, once and for
 * all, so none reaches the last-resort handler, which would log it, fail to write, and so on
 * without end.
 */
const outputClosed = new Promise<void>((resolve) => {
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => resolve());
});

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
            "repair-retry-interval": { type: "string" },
            "schedules-every": { type: "string" },
            "express-duplicates": { type: "string" },
            "function-logs": { type: "string" },
            "function-log-format": { type: "string" },
            grace: { type: "string" },
            iam: { type: "string" },
            verbose: { type: "boolean" },
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
    const repairRetry = values["repair-retry-interval"] ?? "15000";
    const repairRetryIntervalMs = Number(repairRetry);
    if (!(Number.isInteger(repairRetryIntervalMs) && repairRetryIntervalMs >= 0 && repairRetry.trim() !== "")) {
        throw new UsageError(`--repair-retry-interval takes milliseconds (0 or more), not "${repairRetry}".`);
    }
    const every = values["schedules-every"];
    const scheduleEveryMs = every === undefined ? undefined : Number(every);
    if (scheduleEveryMs !== undefined && !(Number.isInteger(scheduleEveryMs) && scheduleEveryMs >= 1)) {
        throw new UsageError(`--schedules-every takes milliseconds (1 or more), not "${every}".`);
    }
    const duplicates = values["express-duplicates"];
    const expressDuplicates = duplicates === undefined ? undefined : Number(duplicates);
    if (expressDuplicates !== undefined && !(duplicates!.trim() !== "" && expressDuplicates >= 0 && expressDuplicates <= 1)) {
        throw new UsageError(`--express-duplicates takes a probability from 0 to 1, not "${duplicates}".`);
    }
    const functionLogLevel = values["function-logs"] === "off" ? "fatal" : (values["function-logs"] ?? "warn");
    const format = values["function-log-format"] ?? "short";
    if (format !== "short" && format !== "json") throw new UsageError(`--function-log-format takes short or json, not "${format}".`);
    // json: as written, after the function's name, so a program reading this output can parse each line.
    const onFunctionLog = format === "json" ? (name: string, line: string) => console.log(`  fn ${name}: ${line}`) : undefined;
    const graceSeconds = Number(values.grace ?? 10);
    if (!(Number.isFinite(graceSeconds) && graceSeconds >= 0) || values.grace?.trim() === "") {
        throw new UsageError(`--grace takes seconds (0 or more), not "${values.grace}".`);
    }
    const programDir = values.program === undefined ? undefined : path.resolve(values.program);
    const config = parseConfigOverrides(values.config ?? []);
    const iam = (values.iam ?? "enforce") as IamMode;
    if (!IAM_MODES.includes(iam)) throw new UsageError(`--iam takes ${IAM_MODES.join(", ")}, not "${values.iam}".`);
    return { programDir, port, dataDir: values.data, stack: values.stack, config, retryIntervalMs, repairRetryIntervalMs, scheduleEveryMs, expressDuplicates, functionLogLevel, onFunctionLog, graceSeconds, iam, verbose: values.verbose === true };
}

/**
 * Ctrl-C or SIGTERM stops: new requests get 503, running sagas get the grace period, told what
 * they are waiting for; a second signal ends the grace at once, a third exits on the spot (with
 * --data nothing is lost either way: the data folder has every execution's progress). Output
 * whose reader went away stops it the same way, as the shell's SIGPIPE would (Node.js ignores it).
 */
function stopOnSignals(cloud: LocalCloud, graceSeconds: number): void {
    let signals = 0;
    const seconds = (ms: number) => `${Math.ceil(ms / 1000)} s`;
    const kept = cloud.dataDir ? `the data folder ${cloud.dataDir} keeps them as they are; they resume at the next start` : "";
    const stop = async (signal: NodeJS.Signals) => {
        console.log(`\n${signal}: stopping the local cloud. New requests get 503 from now on.`);
        const report = await cloud.stop({
            graceMs: graceSeconds * 1000,
            onWaiting: (running, leftMs) =>
                console.log(`Waiting up to ${seconds(leftMs)} for ${running.length} running saga(s) to finish (Ctrl-C again to stop now): ${describePositions(running)}`),
        });
        if (report.finished > 0) console.log(`${report.finished} saga(s) finished while stopping.`);
        if (report.suspended.length > 0) console.log(`Still running when the stop ended its wait: ${describePositions(report.suspended, Infinity)}; ${kept}.`);
        if (report.aborted.length > 0) {
            console.log(`Aborted, still running when the stop ended its wait: ${describePositions(report.aborted, Infinity)} (without --data nothing is kept).`);
        }
        console.log("Stopped: the port is closed and every function's worker has ended.");
        // Nothing should keep the process alive now; if something does, say so rather than hang.
        setTimeout(() => {
            console.error("Something still holds the process open after stopping; exiting anyway.");
            process.exit(1);
        }, 5000).unref();
    };
    const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals === 1) {
            stop(signal).catch((error: unknown) => {
                console.error("Could not stop cleanly:", error);
                process.exit(1);
            });
        } else if (signals === 2) {
            console.log(`${signal} again: not waiting for the running sagas${kept ? `; ${kept}` : ": they are aborted"}. (Once more exits on the spot.)`);
            cloud.hurry();
        } else {
            console.log(`${signal} a third time: exiting now.${kept ? ` Every execution's progress is in ${cloud.dataDir}: they resume at the next start.` : ""}`);
            process.exit(130);
        }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    void outputClosed.then(() => onSignal("SIGPIPE"));
}

async function main(): Promise<void> {
    const settings = options();
    console.log("Starting the local cloud: deploying the program onto it...");
    const cloud = await startLocalCloud(settings);
    stopOnSignals(cloud, settings.graceSeconds);
    console.log(banner(cloud, settings));
    // Lambda starts a function at its first invocation; loading every one now tells at once of code that fails to load.
    for (const warning of await cloud.loadFunctions()) console.log(`Warning: ${warning}`);
}

main().catch((error: unknown) => {
    const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    const known =
        usage || error instanceof PortInUseError || error instanceof ConfigError || error instanceof DeploymentError || error instanceof DataDirInUseError || error instanceof DataFolderError;
    // A file the system refused (a permission, a full disk): what and where, in one line; its stack says nothing more.
    const systemRefusal = typeof (error as NodeJS.ErrnoException).code === "string" && typeof (error as NodeJS.ErrnoException).syscall === "string";
    console.error(known ? (error as Error).message : systemRefusal ? `The local cloud could not start: ${(error as Error).message}` : error);
    if (usage) console.error(USAGE);
    process.exit(1);
});
