// The user documentation's pages, relative to the repository: what the docs tests read.
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

export const DOC_PAGES = [
    "README.md",
    "CONTRIBUTING.md",
    "bench/README.md",
    "policy-pack/README.md",
    ...fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((file) => file.endsWith(".md"))
        .map((file) => `docs/${file}`),
];
