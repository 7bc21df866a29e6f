// Files of JSON lines that a process appends to, one whole line per write (the data folder's
// executions and queues): read back so that a line cut short by a crash (the last one) is dropped
// and the file cut back to its last whole line, rather than failing the next start.
import * as fs from "node:fs";

/**
 * The JSON values of a file of JSON lines. A line that does not parse is skipped; when that is
 * the last line (a write cut short), the file is cut back to its last whole line, so what is
 * appended next starts on a line of its own.
 */
export function readJsonLines(file: string, warn: (line: string) => void = () => undefined): unknown[] {
    if (!fs.existsSync(file)) return [];
    const text = fs.readFileSync(file, "utf8");
    const values: unknown[] = [];
    let offset = 0;
    let wholeUpTo = 0;
    while (offset < text.length) {
        const newline = text.indexOf("\n", offset);
        const end = newline === -1 ? text.length : newline;
        const line = text.slice(offset, end);
        offset = end + 1;
        if (line.trim() === "") {
            if (newline !== -1) wholeUpTo = offset;
            continue;
        }
        try {
            values.push(JSON.parse(line));
            if (newline !== -1) wholeUpTo = offset;
            else wholeUpTo = text.length;
        } catch {
            if (newline === -1) break;
            warn(`Skipped an unreadable line in ${file}.`);
            wholeUpTo = offset;
        }
    }
    const bytes = Buffer.byteLength(text.slice(0, wholeUpTo));
    if (wholeUpTo < text.length) {
        warn(`${file} ended with a line cut short (the process stopped while writing it): dropped.`);
        fs.truncateSync(file, bytes);
    } else if (text.length > 0 && !text.endsWith("\n")) {
        fs.appendFileSync(file, "\n");
    }
    return values;
}
