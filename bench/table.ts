// What the benchmark prints: plain-text tables for the report, progress lines while it runs.

export function formatTable(title: string, header: string[], rows: (string | number)[][]): string {
    const cells = [header, ...rows.map((row) => row.map(String))];
    const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
    const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
    return [title, line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** A progress line, on stderr so that stdout holds the report alone. */
export function progress(line: string): void {
    process.stderr.write(`  .. ${line}\n`);
}
