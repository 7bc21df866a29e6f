// Configuration of the handlers comes from the environment the component gives each Lambda.
// Read at first use, not at import, so tests (and tools) can import a handler before setting it.

/** A setting the function cannot work without is missing or malformed. */
export class InvalidConfiguration extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidConfiguration";
    }
}

/** The value of a required environment variable; fails fast with a message that names it. */
export function requireEnv(name: string): string {
    const value = process.env[name];
    if (value === undefined || value.trim() === "") {
        throw new InvalidConfiguration(`${name} environment variable is not set.`);
    }
    return value;
}

/** Whether an on/off switch is on: only the exact value "true" turns it on. */
export function isEnabled(name: string): boolean {
    return process.env[name] === "true";
}

type Level = "debug" | "info" | "warn" | "error";
// Lambda's level names, lowest first; an unknown value logs everything rather than hide errors.
const RANKS: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

/**
 * One JSON line per event, so CloudWatch Logs Insights can filter on fields. Written to stdout
 * directly (as Powertools does): under Lambda's JSON log format the patched console would wrap
 * the line into a `message` string. Honours Lambda's own AWS_LAMBDA_LOG_LEVEL (tests set it too).
 */
export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    const threshold = RANKS[(process.env.AWS_LAMBDA_LOG_LEVEL ?? "info").toLowerCase()] ?? 0;
    if (RANKS[level] < threshold) return;
    const line = JSON.stringify({ timestamp: new Date().toISOString(), level: level.toUpperCase(), message, ...fields });
    (level === "error" ? process.stderr : process.stdout).write(`${line}\n`);
}
