// EventBridge schedule expressions, read as EventBridge reads them (UTC):
//   rate(<n> <unit>)    n a whole number from 1, unit minute(s), hour(s), day(s): singular for 1, plural above
//   cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)
//                       each field `*`, a value, a range a-b, a list a,b, a step */n or a/n; months
//                       1-12 or JAN-DEC, days of week 1-7 or SUN-SAT (1 is Sunday); one of day-of-month
//                       and day-of-week must be `?`; day-of-month may be L (the last day)
// and when each fires next. An expression EventBridge would refuse is refused here with its message
// (ValidationException "Parameter ScheduleExpression is not valid."); a cron field using W or `#`,
// which the local cloud does not compute, is refused saying so.

/** A schedule: when it fires next after a moment. */
export interface Schedule {
    expression: string;
    /** The first firing strictly after `after` (epoch ms); undefined when none is left (a cron's years have passed). */
    next(after: number): number | undefined;
}

export class InvalidSchedule extends Error {
    constructor(expression: string, why?: string) {
        super(`Parameter ScheduleExpression is not valid.${why ? ` (${expression}: ${why})` : ""}`);
        this.name = "ValidationException";
    }
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function parseSchedule(expression: string): Schedule {
    const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
    if (rate) {
        const n = Number(rate[1]);
        const unit = rate[2].replace(/s$/, "");
        if (n < 1 || (n === 1) !== (rate[2] === unit)) throw new InvalidSchedule(expression, n < 1 ? "the value must be 1 or more" : `write rate(1 ${unit}) and rate(${n === 1 ? 2 : n} ${unit}s)`);
        const period = n * UNITS[unit];
        return { expression, next: (after) => after + period };
    }
    const cron = /^cron\((.*)\)$/.exec(expression);
    if (cron) return cronSchedule(expression, cron[1]);
    throw new InvalidSchedule(expression);
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Field {
    name: string;
    min: number;
    max: number;
    names?: string[];
}

const FIELDS: Field[] = [
    { name: "minutes", min: 0, max: 59 },
    { name: "hours", min: 0, max: 23 },
    { name: "day-of-month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: MONTHS },
    { name: "day-of-week", min: 1, max: 7, names: DAYS },
    { name: "year", min: 1970, max: 2199 },
];

/** The values a cron field allows; `any` for `*` and `?`, `last` for L (day-of-month). */
type Allowed = Set<number> | "any" | "last";

function cronSchedule(expression: string, body: string): Schedule {
    const parts = body.trim().split(/\s+/);
    if (parts.length !== 6) throw new InvalidSchedule(expression, "a cron expression has six fields: minutes hours day-of-month month day-of-week year");
    const [dom, dow] = [parts[2], parts[4]];
    if ((dom === "?") === (dow === "?")) throw new InvalidSchedule(expression, "one of day-of-month and day-of-week must be ?, and only one");
    const allowed = parts.map((part, i) => field(expression, part, FIELDS[i]));
    const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = allowed;
    const has = (set: Allowed, value: number) => set === "any" || (set !== "last" && set.has(value));
    const dayMatches = (date: Date) => {
        const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
        const dayOfMonth = daysOfMonth === "last" ? date.getUTCDate() === lastDay : has(daysOfMonth, date.getUTCDate());
        return dayOfMonth && has(daysOfWeek, date.getUTCDay() + 1) && has(months, date.getUTCMonth() + 1) && has(years, date.getUTCFullYear());
    };
    return {
        expression,
        next(after) {
            // From the next whole minute, a day at a time until a day matches, then a minute at a time.
            let t = Math.floor(after / 60_000) * 60_000 + 60_000;
            const limit = after + 200 * 366 * 86_400_000;
            while (t < limit) {
                const date = new Date(t);
                if (years !== "any" && years !== "last" && date.getUTCFullYear() > Math.max(...years)) return undefined;
                if (!dayMatches(date)) {
                    t = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
                    continue;
                }
                if (has(hours, date.getUTCHours()) && has(minutes, date.getUTCMinutes())) return t;
                t += 60_000;
            }
            return undefined;
        },
    };
}

function field(expression: string, text: string, spec: Field): Allowed {
    if (text === "*" || text === "?") {
        if (text === "?" && spec.name !== "day-of-month" && spec.name !== "day-of-week") throw new InvalidSchedule(expression, `? is for day-of-month or day-of-week, not ${spec.name}`);
        return "any";
    }
    if (text === "L" && spec.name === "day-of-month") return "last";
    if (/[LW#]/.test(text.replace(/[A-Z]{3}/g, (name) => (spec.names?.includes(name) ? "" : name)))) {
        throw new InvalidSchedule(expression, `the local cloud does not compute ${spec.name} "${text}" (L, W or #); EventBridge does`);
    }
    const value = (raw: string) => {
        const named = spec.names?.indexOf(raw.toUpperCase()) ?? -1;
        const n = named >= 0 ? named + spec.min : /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!(n >= spec.min && n <= spec.max)) throw new InvalidSchedule(expression, `${spec.name} takes ${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ""}, not "${raw}"`);
        return n;
    };
    const values = new Set<number>();
    for (const item of text.split(",")) {
        const [range, stepText] = item.split("/");
        const step = stepText === undefined ? 1 : Number(stepText);
        if (!Number.isInteger(step) || step < 1) throw new InvalidSchedule(expression, `the step of ${spec.name} must be a whole number from 1, not "${stepText}"`);
        const [from, to] = range === "*" ? [spec.min, spec.max] : range.includes("-") ? range.split("-").map(value) : [value(range), stepText === undefined ? value(range) : spec.max];
        if (from > to) throw new InvalidSchedule(expression, `the range ${range} of ${spec.name} runs backwards`);
        for (let n = from; n <= to; n += step) values.add(n);
    }
    return values;
}

/** The event EventBridge sends a schedule rule's targets at each firing. */
export function scheduledEvent(id: string, ruleArn: string, firedAt: number, arns: { account: string; region: string }) {
    return {
        version: "0",
        id,
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: arns.account,
        // The scheduled time, to the second, as EventBridge writes it.
        time: `${new Date(firedAt).toISOString().slice(0, 19)}Z`,
        region: arns.region,
        resources: [ruleArn],
        detail: {},
    };
}
