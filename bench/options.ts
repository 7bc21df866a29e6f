// The options of `npm run bench`, e.g. `npm run bench -- --sagas 200 --only cost,throughput`.
import { parseArgs } from "node:util";

export const SECTIONS = ["bundles", "scale", "cost", "throughput"] as const;
export type Section = (typeof SECTIONS)[number];

export const USAGE = `Usage: npm run bench -- [options]
  --only <sections>        comma-separated, among ${SECTIONS.join(", ")} (default: all)
  --sagas <n>              sagas per concurrency for throughput and latency (default 1000)
  --concurrency <list>     comma-separated concurrencies (default 1,16)
  --cost-runs <n>          sagas per path for the cost per path and of the repairs (default 3)
  --failure-runs <n>       sagas per path with random compensation failures (default 200)
  --failure-rate <p>       probability that a compensation attempt fails (default 0.4, as the original)
  --seed <n>               seed of the functions' Math.random for those runs (default 1)`;

export interface BenchOptions {
    sections: Set<Section>;
    sagas: number;
    concurrency: number[];
    costRuns: number;
    failureRuns: number;
    failureRate: number;
    seed: number;
}

export class UsageError extends Error {}

export function parseBenchOptions(args: string[]): BenchOptions | "help" {
    const { values } = parseArgs({
        args,
        options: {
            only: { type: "string" },
            sagas: { type: "string", default: "1000" },
            concurrency: { type: "string", default: "1,16" },
            "cost-runs": { type: "string", default: "3" },
            "failure-runs": { type: "string", default: "200" },
            "failure-rate": { type: "string", default: "0.4" },
            seed: { type: "string", default: "1" },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help) return "help";
    const sections = values.only?.split(",").map((name) => name.trim()) ?? [...SECTIONS];
    const unknown = sections.filter((name) => !(SECTIONS as readonly string[]).includes(name));
    if (unknown.length > 0) throw new UsageError(`--only takes ${SECTIONS.join(", ")}; not ${unknown.join(", ")}.`);
    const failureRate = Number(values["failure-rate"]);
    if (!(failureRate >= 0 && failureRate <= 1)) throw new UsageError(`--failure-rate must be from 0 to 1, not "${values["failure-rate"]}".`);
    return {
        sections: new Set(sections as Section[]),
        sagas: count("--sagas", values.sagas),
        concurrency: values.concurrency.split(",").map((value) => count("--concurrency", value)),
        costRuns: count("--cost-runs", values["cost-runs"]),
        failureRuns: count("--failure-runs", values["failure-runs"]),
        failureRate,
        seed: count("--seed", values.seed, 0),
    };
}

function count(option: string, value: string, min = 1): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${option} takes whole numbers of ${min} or more, not "${value}".`);
    return n;
}
