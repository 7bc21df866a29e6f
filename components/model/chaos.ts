// Chaos settings: faults the step Lambdas inject at random into their own record writes, so that a
// chaos run (`npm run chaos`) can show that no combination of failures leaves a saga half-done.
// They are configuration of the stack, never of a request, so nobody can switch them on from the
// API of a production stack. Pure (no Pulumi, no AWS SDK): the component checks the settings with
// it before anything is created, and the handlers read their environment variable with it.
import type { SagaChaosOptions } from "./args";
import { inRange, SagaValidationError } from "./errors";

/** The settings with every default filled in, as the step Lambdas receive them. */
export type ChaosSettings = Required<Omit<SagaChaosOptions, "seed">> & Pick<SagaChaosOptions, "seed">;

/** The fault probabilities of the chaos settings, each from 0 (never) to 1 (every write). */
export const CHAOS_FAULTS = ["failBeforeWrite", "failAfterWrite", "duplicateDelivery"] as const;

const DEFAULTS: ChaosSettings = { failBeforeWrite: 0, failAfterWrite: 0, duplicateDelivery: 0, maxDuplicateDelayMs: 200 };
const SETTINGS = ["seed", ...CHAOS_FAULTS, "maxDuplicateDelayMs"];

/**
 * Checks chaos options and fills in the defaults; undefined when they change nothing (absent, or
 * every probability 0 and no seed), so a stack without chaos gives its Lambdas no setting at all.
 * A seed alone still seeds the compensation failures of `compensationFailureRate`. Throws
 * SagaValidationError with a message that names the setting as `<label>.<setting>`.
 */
export function resolveChaos(options: unknown, label = "chaos"): ChaosSettings | undefined {
    if (options === undefined || options === null) return undefined;
    if (typeof options !== "object" || Array.isArray(options)) {
        throw new SagaValidationError(`\`${label}\` must be an object of fault probabilities, e.g. { "failBeforeWrite": 0.1 }.`);
    }
    const unknown = Object.keys(options).find((key) => !SETTINGS.includes(key));
    if (unknown !== undefined) {
        throw new SagaValidationError(`\`${label}\` has no setting "${unknown}"; the settings are ${SETTINGS.join(", ")}.`);
    }
    const settings: ChaosSettings = { ...DEFAULTS, ...(options as SagaChaosOptions) };
    for (const fault of CHAOS_FAULTS) inRange(`${label}.${fault}`, settings[fault], { min: 0, max: 1 });
    inRange(`${label}.maxDuplicateDelayMs`, settings.maxDuplicateDelayMs, { min: 0, max: 60_000, whole: true });
    if (settings.seed !== undefined) inRange(`${label}.seed`, settings.seed, { min: 0, max: 2 ** 32 - 1, whole: true });
    return settings.seed !== undefined || CHAOS_FAULTS.some((fault) => settings[fault] > 0) ? settings : undefined;
}
