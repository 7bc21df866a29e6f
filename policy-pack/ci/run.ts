// `npm run policy`: the policy pack over a program's stack, the way `pulumi preview --policy-pack
// ./policy-pack` checks it, but with no Pulumi CLI and no AWS account. The program runs under the
// mock harness (harness/harness.ts, plain provisioning), the real pack runs as its own
// process and gets the resources over the analyzer gRPC protocol. Prints a report; exits 1 on any
// mandatory violation, 2 if the run itself failed.
//   npm run policy -- --program examples/order --stack dev --config saga:publicApi=true
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadProjectSettings, parseConfigOverrides } from "../../harness/config";
import { DeploymentError } from "../../harness/harness";
import { analyzeWithPack, formatReport } from "./analyzer";
import { captureProgram } from "./capture";

const USAGE = `Usage: npm run policy -- [options]
  --program <dir>        the Pulumi program to check: a directory with Pulumi.yaml (default: this repository's own, index.ts)
  --stack <name>         read <dir>/Pulumi.<name>.yaml (default dev)
  --config <key=value>   override a config value, repeatable (e.g. saga:publicApi=true)`;

const REPO_ROOT = path.join(__dirname, "..", "..");

/** A mistake in how the command was called, or a program that is not there: told plainly. */
class UsageError extends Error {}

function options() {
    let values;
    try {
        ({ values } = parseArgs({
            options: { program: { type: "string" }, stack: { type: "string" }, config: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
        }));
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    if (values.help) return "help" as const;
    const programDir = path.resolve(values.program ?? REPO_ROOT);
    if (!fs.existsSync(programDir)) throw new UsageError(`--program ${values.program}: the directory ${programDir} does not exist.`);
    if (!fs.existsSync(path.join(programDir, "Pulumi.yaml"))) throw new UsageError(`--program ${values.program}: ${programDir} has no Pulumi.yaml; point it at a Pulumi program's directory.`);
    return { programDir, stack: values.stack ?? "dev", config: parseConfigOverrides(values.config ?? []) };
}

async function main(): Promise<number> {
    const chosen = options();
    if (chosen === "help") {
        console.log(USAGE);
        return 0;
    }
    const settings = loadProjectSettings(chosen.programDir, chosen.stack, chosen.config);
    console.log(`Program ${path.relative(process.cwd(), settings.programFile) || settings.programFile}, project ${settings.project}, stack ${settings.stack}`);
    if (settings.skippedSecrets.length > 0) console.log(`Secrets left unset (they cannot be decrypted here): ${settings.skippedSecrets.join(", ")}`);
    const stack = await captureProgram(settings);
    const { pack, diagnostics } = await analyzeWithPack(stack);
    console.log(formatReport(pack, diagnostics, stack.length));
    return diagnostics.some((d) => d.enforcement === "mandatory") ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        const known = error instanceof UsageError || error instanceof ConfigError || error instanceof DeploymentError;
        console.error(known ? (error as Error).message : error);
        if (error instanceof UsageError) console.error(USAGE);
        // A secret the stack file holds encrypted, or does not hold: no policy needs its real value.
        const missing = /Missing required configuration variable '([^']+)'/.exec(String((error as Error)?.message));
        if (missing) console.error(`Give it on the command line; the check needs no real value: npm run policy -- ${[...process.argv.slice(2), "--config", `${missing[1]}=<any value>`].join(" ")}`);
        process.exit(2);
    },
);
