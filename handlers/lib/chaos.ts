// Chaos in every saga built on this library. When the stack turns it on (SAGA_CHAOS, checked by
// components/chaos.ts), each record write of records.ts (reserve, confirm, cancel, refund) may
// fail before it is made, fail after it is made (the work is done, the caller hears an error, as
// after a timeout), or be delivered twice, at the same time or late, after the action answered
// (at-least-once delivery). Injected around the writes rather than in each action, so every
// action written with the library gets it without a line of its own.
//
// Every draw is seeded from the settings' seed, the write and its attempt number, so a run with
// the same seed injects the same faults whatever the concurrency; each fault writes one log line
// with a `fault` field, which is what a chaos run counts.
import { createHash } from "node:crypto";
import { ChaosSettings, resolveChaos } from "../../components/model/chaos";
import { Env } from "../../components/model/conventions";
import { InvalidConfiguration, log } from "./env";

/** Names of the injected errors: what the execution history shows, and Retry and Catch match. */
export const ChaosErrors = {
    failedBeforeWrite: "ChaosFailedBeforeWrite",
    failedAfterWrite: "ChaosFailedAfterWrite",
} as const;

/** The `fault` field of each injected fault's log line. */
export const Faults = {
    failBeforeWrite: "failBeforeWrite",
    failAfterWrite: "failAfterWrite",
    duplicateDelivery: "duplicateDelivery",
    /** The original's random compensation failures (SAGA_COMPENSATION_FAILURE_RATE, failures.ts). */
    compensationFailure: "compensationFailure",
} as const;
export type Fault = (typeof Faults)[keyof typeof Faults];

/** The log line a late duplicate writes once delivered: its `lateDuplicate` field is this. */
export const LATE_DUPLICATE_DELIVERED = "delivered";

/** A fault injected on purpose by a chaos test stack. */
export class ChaosFailure extends Error {
    constructor(name: string, operation: string, subject: string) {
        const when = name === ChaosErrors.failedAfterWrite ? "after" : "before";
        super(`Chaos: the ${operation} of ${subject} failed on purpose ${when} its write (SAGA_CHAOS is set on this test stack).`);
        this.name = name;
    }
}

let parsed: { raw: string | undefined; settings: ChaosSettings | undefined } | undefined;

/** The stack's chaos settings; undefined when chaos is off (the variable is absent). */
export function chaosSettings(): ChaosSettings | undefined {
    const raw = process.env[Env.chaos];
    if (!parsed || parsed.raw !== raw) parsed = { raw, settings: parseSettings(raw) };
    return parsed.settings;
}

function parseSettings(raw: string | undefined): ChaosSettings | undefined {
    if (raw === undefined || raw.trim() === "") return undefined;
    try {
        return resolveChaos(JSON.parse(raw), Env.chaos);
    } catch (error) {
        throw new InvalidConfiguration(`${Env.chaos} must be a JSON object of chaos settings: ${(error as Error).message}`);
    }
}

// Calls so far per write, for the attempt numbers; it grows with the writes a container serves,
// which is fine on the test stacks chaos is for.
const attempts = new Map<string, number>();

/**
 * Eight random numbers in [0, 1) for one call of `operation` on `subject`. With a seed they are
 * `seededDraws` of the call's attempt number (the calls so far in this container), so they do not
 * depend on how the calls of other sagas interleave; without one they are Math.random's.
 */
export function drawsFor(operation: string, subject: string, seed: number | undefined): { attempt: number; draws: number[] } {
    if (seed === undefined) return { attempt: 0, draws: Array.from({ length: 8 }, () => Math.random()) };
    const call = `${operation}\n${subject}`;
    const attempt = (attempts.get(call) ?? 0) + 1;
    attempts.set(call, attempt);
    return { attempt, draws: seededDraws(seed, operation, subject, attempt) };
}

/** Eight numbers in [0, 1), a function of its arguments only: 32 bits each of their SHA-256. */
export function seededDraws(seed: number, operation: string, subject: string, attempt: number): number[] {
    const digest = createHash("sha256").update(`${seed}\n${operation}\n${subject}\n${attempt}`).digest();
    return Array.from({ length: 8 }, (_, i) => digest.readUInt32BE(i * 4) / 2 ** 32);
}

const lateDeliveries = new Set<Promise<void>>();

/**
 * Runs one record write with the faults chaos draws for it; with chaos off, just runs it. The
 * write must be idempotent (every write of records.ts is): at-least-once delivery runs it twice.
 */
export async function withChaos<T>(operation: string, key: { pk: string; sk: string }, write: () => Promise<T>): Promise<T> {
    const settings = chaosSettings();
    if (!settings) return write();
    const subject = `${key.sk} of saga "${key.pk}"`;
    const { attempt, draws } = drawsFor(operation, `${key.pk}\n${key.sk}`, settings.seed);
    const [beforeDraw, afterDraw, duplicateDraw, lateDraw, delayDraw] = draws;
    const fields = { operation, pk: key.pk, sk: key.sk, attempt };

    let concurrent: Promise<unknown> | undefined;
    if (duplicateDraw < settings.duplicateDelivery) {
        const late = lateDraw < 0.5;
        const delayMs = late ? Math.round(delayDraw * settings.maxDuplicateDelayMs) : 0;
        log("warn", "Chaos: delivering the write twice", { fault: Faults.duplicateDelivery, delivery: late ? "late" : "concurrent", delayMs, ...fields });
        // The duplicate's outcome reaches nobody, as a second delivery's would not.
        if (late) deliverLate(write, delayMs, fields);
        else concurrent = write().catch(() => undefined);
    }
    try {
        if (beforeDraw < settings.failBeforeWrite) {
            log("warn", "Chaos: failing before the write", { fault: Faults.failBeforeWrite, ...fields });
            throw new ChaosFailure(ChaosErrors.failedBeforeWrite, operation, subject);
        }
        const result = await write();
        if (afterDraw < settings.failAfterWrite) {
            log("warn", "Chaos: failing after the write", { fault: Faults.failAfterWrite, ...fields });
            throw new ChaosFailure(ChaosErrors.failedAfterWrite, operation, subject);
        }
        return result;
    } finally {
        // A concurrent duplicate ends within the invocation; a late one may come after the saga moved on.
        await concurrent;
    }
}

function deliverLate(write: () => Promise<unknown>, delayMs: number, fields: Record<string, unknown>): void {
    const delivered: Promise<void> = new Promise((resolve) => setTimeout(resolve, delayMs))
        .then(write)
        .then(
            () => "written",
            (error: Error) => error.name,
        )
        .then((outcome) => {
            log("warn", "Chaos: late duplicate delivered", { lateDuplicate: LATE_DUPLICATE_DELIVERED, outcome, ...fields });
            lateDeliveries.delete(delivered);
        });
    lateDeliveries.add(delivered);
}

/** Resolves once every late duplicate scheduled so far (and any they schedule) has been delivered. */
export async function lateDuplicatesDelivered(): Promise<void> {
    while (lateDeliveries.size > 0) await Promise.all([...lateDeliveries]);
}
