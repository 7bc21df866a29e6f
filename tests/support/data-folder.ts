// Tests that change a data folder as a crash, a person or a disk would.
import * as fs from "node:fs";
import * as path from "node:path";

/** The folder as a crash leaves it: without the seal a clean stop writes (local/data-folder.ts). */
export function unseal(dataDir: string): void {
    const file = path.join(dataDir, "data-folder.json");
    const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
    delete manifest.sealed;
    fs.writeFileSync(file, JSON.stringify(manifest));
}

/** A line of a file of records (local/jsonl.ts) without its checksum: the record's JSON. */
export const withoutChecksum = (line: string) => line.replace(/\t[0-9a-f]{8}$/, "");
