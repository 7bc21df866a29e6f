// Files of records that a process appends to, one whole line per write (the data folder's
// executions, queues and events). Each line is a record's JSON, a tab and the CRC-32 of that JSON
// (8 hex digits), so that damage is detected, not loaded:
//   {"messageId":"...","body":"..."}\t1c291ca3
// Reading them back:
//   - the last line cut short by a crash (no newline after it: the process stopped while writing
//     it) is dropped and the file cut back to its last whole line, so what is appended next starts
//     on a line of its own; nothing was acknowledged for it;
//   - any other line that fails its checksum, is no JSON, or is not what the file holds (the
//     caller's check: `null`, `{}`, a record missing its fields) is damage: DataFolderDamaged,
//     naming the file, the line and what the line held, as far as it can still be read;
//   - lines without a checksum were written by a local cloud before checksums: read as before
//     (still checked), as long as no line with a checksum came before them in the file.
import * as fs from "node:fs";
import { crc32 } from "node:zlib";
import { DataFolderDamaged } from "./data-folder";

/** One record as a line of the file: its JSON, a tab, its checksum, a newline. */
export function encodeLine(value: unknown): string {
    const json = JSON.stringify(value);
    return `${json}\t${checksum(json)}\n`;
}

/**
 * Appends one record, whole, in one write. A write that fails part way (a full disk) is cut back
 * off, so that a later append does not leave the part in the middle of the file.
 */
export function appendRecord(file: string, value: unknown): void {
    const line = encodeLine(value);
    let size: number | undefined;
    try {
        size = fs.statSync(file).size;
    } catch {
        // A new file.
    }
    try {
        fs.appendFileSync(file, line);
    } catch (error) {
        try {
            if (size === undefined) fs.rmSync(file, { force: true });
            else fs.truncateSync(file, size);
        } catch {
            // The file cannot be changed at all (a read-only folder): nothing was written either.
        }
        throw error;
    }
}

export interface ReadOptions {
    /** What the file holds, in words, for messages: "closed executions". */
    holds: string;
    /** What is wrong with a record that parses (`null`, a missing field), or undefined when it is one. */
    check?(value: unknown): string | undefined;
    /** Told of what was repaired: a last line cut short by a crash, dropped. */
    warn?(line: string): void;
}

const CHECKED = /\t([0-9a-f]{8})$/;

/** The records of a file of records (none when it does not exist); see the top of this file. */
export function readRecords(file: string, options: ReadOptions): unknown[] {
    if (!fs.existsSync(file)) return [];
    const text = fs.readFileSync(file, "utf8");
    const lines = text.split("\n");
    // The last element is what follows the last newline: "" when the file ends with one.
    const torn = lines.pop()!;
    const values: unknown[] = [];
    let checked = false;
    lines.forEach((line, index) => {
        if (line.trim() === "") return;
        const damage = (problem: string) =>
            new DataFolderDamaged(file, `line ${index + 1} of ${lines.length} (of ${options.holds}) ${problem}; it held ${whatItHeld(line)}`);
        const match = CHECKED.exec(line);
        let json = line;
        if (match) {
            json = line.slice(0, match.index);
            if (checksum(json) !== match[1]) throw damage("fails its checksum");
            checked = true;
        } else if (checked) {
            throw damage("has no checksum (every line after the first with one has one)");
        }
        let value: unknown;
        try {
            value = JSON.parse(json);
        } catch {
            throw damage("is not JSON");
        }
        const wrong = options.check?.(value);
        if (wrong !== undefined) throw damage(`is no record of ${options.holds}: ${wrong}`);
        values.push(value);
    });
    if (torn !== "") {
        options.warn?.(`${file} ended with a line cut short (the process stopped while writing it): dropped.`);
        fs.truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(torn));
    }
    return values;
}

/** What a line held, as far as it can be read: the name or id it names, or its first characters. */
function whatItHeld(line: string): string {
    const named = /"(executionArn|name|messageId|id)":"([^"\\]{1,200})"/.exec(line);
    if (named) return `${named[1]} ${named[2]}`;
    const text = line.replace(CHECKED, "");
    return text.length <= 40 ? JSON.stringify(text) : `${Buffer.byteLength(text)} bytes starting ${JSON.stringify(text.slice(0, 40))}`;
}

const checksum = (json: string) => crc32(json).toString(16).padStart(8, "0");

/** A check for `readRecords`: the record is an object with these fields of these types. */
export function hasFields(fields: Record<string, "string" | "number" | "object" | "array">): (value: unknown) => string | undefined {
    return (value) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return `${value === null ? "null" : Array.isArray(value) ? "a list" : typeof value}, not an object`;
        const record = value as Record<string, unknown>;
        for (const [field, type] of Object.entries(fields)) {
            const present = record[field];
            const ok = type === "array" ? Array.isArray(present) : type === "object" ? typeof present === "object" && present !== null : typeof present === type;
            if (!ok) return `its ${field} is ${present === undefined ? "missing" : `not ${type === "array" ? "a list" : `a ${type}`}`}`;
        }
        return undefined;
    };
}
