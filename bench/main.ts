// `npm run bench`: prints the figures users choose a saga implementation by, and writes the same
// figures as JSON to bench/results.json (with the machine they came from).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { measureBundles } from "./bundles";
import { measureScale } from "./scale";
import { round } from "./stats";
import { formatTable } from "./table";

const RESULTS = path.join(__dirname, "results.json");

function machine() {
    return {
        date: new Date().toISOString(),
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown"}`,
        memoryGiB: round(os.totalmem() / 2 ** 30),
    };
}

async function main() {
    const bundles = measureBundles();
    console.log(
        formatTable(
            "Lambda bundles (as deployed; the AWS SDK comes from the runtime)",
            ["module", "bytes", "gzip bytes", "cold import ms (median of 5)"],
            bundles.map((b) => [b.module, b.bytes, b.gzipBytes, round(b.coldImportMs)]),
        ),
        "\n",
    );

    const scale = measureScale();
    console.log(
        formatTable(
            "Program scale (building the stack under Pulumi mocks, one fresh process per size)",
            ["steps", "resources", "build ms", "heap MB", "ms per step"],
            scale.map((s) => [s.steps, s.resources, round(s.buildMs), round(s.heapMB), round(s.buildMs / s.steps)]),
        ),
        "\n",
    );

    const results = { machine: machine(), bundles, scale };
    fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
    console.log(`Figures written to ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
