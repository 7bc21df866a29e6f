// `npm run bench`: prints the figures users choose a saga implementation by, and writes the same
// figures as JSON to bench/results.json (with the machine they came from). Options: bench/options.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { measureBundles } from "./bundles";
import { measureCompensationFailures } from "./compensation-failures";
import { PRICES } from "./bill";
import { measurePathCosts, PathCost } from "./cost";
import { measureLocalThroughput } from "./local-throughput";
import { parseBenchOptions, USAGE, UsageError } from "./options";
import { measureRepairCosts } from "./repairs";
import { billTable, bundlesTable, compensationFailureTable, pathCostTable, repairCostTable, scaleTable, throughputTables } from "./report";
import { measureScale } from "./scale";
import { round } from "./stats";
import { progress } from "./table";

const RESULTS = path.join(__dirname, "results.json");

/** Whether the program declares `saga:workflowType` (issue 19's EXPRESS sagas): then the bench runs the stack once per type. */
function declaresWorkflowType(): boolean {
    return /^ {2}workflowType:/m.test(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
}

function machine() {
    return {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown"}`,
        memoryGiB: round(os.totalmem() / 2 ** 30),
        // Other work on the machine skews the timings; this says whether it was quiet at the start.
        loadAverage1m: round(os.loadavg()[0], 2),
    };
}

async function main() {
    const options = parseBenchOptions(process.argv.slice(2));
    if (options === "help") return console.log(USAGE);
    const { sections } = options;
    const results: Record<string, unknown> = { machine: machine(), options: { ...options, sections: [...sections] } };
    const print = (table: string) => console.log(`${table}\n`);

    if (sections.has("bundles")) {
        progress("bundles: building each handler and importing it in fresh processes");
        print(bundlesTable((results.bundles = measureBundles())));
    }
    if (sections.has("scale")) {
        progress("scale: building the stack under mocks for 3, 10, 30 and 100 steps");
        print(scaleTable((results.scale = measureScale())));
    }
    if (sections.has("cost")) {
        const standard = await measurePathCosts(options.costRuns, "STANDARD");
        print(pathCostTable(standard));
        const pathCosts: PathCost[] = [...standard];
        if (declaresWorkflowType()) pathCosts.push(...(await measurePathCosts(options.costRuns, "EXPRESS", standard)));
        else progress("cost: EXPRESS not priced: this program does not declare saga:workflowType");
        print(billTable(pathCosts));
        const repairCosts = await measureRepairCosts(options.costRuns);
        print(repairCostTable(repairCosts));
        const failureOptions = { runs: options.failureRuns, rate: options.failureRate, seed: options.seed };
        const compensationFailures = await measureCompensationFailures(standard, failureOptions);
        print(compensationFailureTable(compensationFailures, failureOptions));
        Object.assign(results, { listPrices: PRICES, pathCosts, repairCosts, compensationFailures });
    }
    if (sections.has("throughput")) {
        const throughput = await measureLocalThroughput(options.sagas, options.concurrency);
        print(throughputTables(throughput));
        results.throughput = throughput;
    }

    fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
    console.log(`Figures written to ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((error) => {
    const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    console.error(usage ? `${(error as Error).message}\n${USAGE}` : error);
    process.exit(1);
});
