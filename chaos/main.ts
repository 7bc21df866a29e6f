// `npm run chaos`: N sagas on a local cloud with faults injected at every action, some stopped
// while they run, some past their time limit, through an outage of every compensation; then, once
// every repair has ended, every invariant checked; exits non-zero when any is violated.
//   npm run chaos -- --sagas 500 --seed 1 --concurrency 8
//   npm run chaos -- --kill-every 50     (the cloud in its own process, killed and restarted as it goes)
// The functions run on this machine's Node.js, not Lambda's 22; the AWS SDK's notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import * as os from "node:os";
import { parseArgs } from "node:util";
import { formatReport } from "./report";
import { passed, runChaos } from "./run";

const USAGE = `Usage: npm run chaos -- [options]
  --sagas <n>        how many sagas (default 500)
  --seed <n>         seeds every injected fault: the same seed injects the same faults (default 1)
  --concurrency <n>  sagas under way at once (default 8)
  --kill-every <n>   run the local cloud in a process of its own with a data folder, kill it after every n sagas
                     started and start it again on that folder: the running sagas must resume (default: never)
  --kill-signal <s>  SIGKILL (a crash, default) or SIGTERM (a stop: running sagas get the grace period)`;

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number): number {
    const number = Number(value ?? fallback);
    if (!Number.isInteger(number) || number < min) {
        console.error(`--${flag} takes a whole number of at least ${min}, not "${value}".\n${USAGE}`);
        process.exit(2);
    }
    return number;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            sagas: { type: "string" },
            seed: { type: "string" },
            concurrency: { type: "string" },
            "kill-every": { type: "string" },
            "kill-signal": { type: "string" },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help) return void console.log(USAGE);
    const sagas = wholeNumber("sagas", values.sagas, 500, 1);
    const seed = wholeNumber("seed", values.seed, 1, 0);
    const concurrency = wholeNumber("concurrency", values.concurrency, 8, 1);
    const killEvery = values["kill-every"] === undefined ? undefined : wholeNumber("kill-every", values["kill-every"], 0, 1);
    const killSignal = values["kill-signal"] ?? "SIGKILL";
    if (killSignal !== "SIGKILL" && killSignal !== "SIGTERM") {
        console.error(`--kill-signal takes SIGKILL or SIGTERM, not "${killSignal}".\n${USAGE}`);
        process.exit(2);
    }
    const step = Math.max(1, Math.ceil(sagas / 10));
    const restarts = killEvery ? `, the cloud in its own process, sent ${killSignal} after every ${killEvery} sagas started and restarted` : "";
    process.stderr.write(`Deploying the stack with chaos on, then running ${sagas} sagas${restarts}...\n`);
    const report = await runChaos({
        sagas,
        seed,
        concurrency,
        killEvery,
        killSignal,
        onProgress: (done) => {
            if (done % step === 0 || done === sagas) process.stderr.write(`  .. ${done} of ${sagas} sagas ended\n`);
        },
    });
    console.log(formatReport(report));
    console.log(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    process.exitCode = passed(report) ? 0 : 1;
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
