// Small statistics for the benchmark scripts.

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
    if (samples.length === 0) return NaN;
    const sorted = [...samples].sort((a, b) => a - b);
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const median = (samples: number[]) => percentile(samples, 50);

/** Each count divided by `by`, e.g. totals over runs into means per run. */
export const dividedBy = (counts: Record<string, number>, by: number): Record<string, number> =>
    Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count / by]));

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
