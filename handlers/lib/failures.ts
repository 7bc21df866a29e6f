// Failure injection, for demos and chaos tests. Two independent switches, both off by default:
// - SAGA_FAILURE_INJECTION=true lets the execution input's `run_type` make one forward action fail;
// - SAGA_COMPENSATION_FAILURE_RATE (0..1) makes compensations fail at random, to show retries at work
//   (seeded by the chaos settings' seed when a chaos test stack has one, see chaos.ts).
import { Env } from "../../components/model/conventions";
import { chaosSettings, drawsFor, Faults } from "./chaos";
import { InvalidConfiguration, isEnabled, log } from "./env";

/** A forward action failed on purpose; the error's name is chosen per failure so each is distinct. */
export class InjectedFailure extends Error {
    constructor(name: string, runType: string) {
        super(`Failure injected on purpose by run type "${runType}".`);
        this.name = name;
    }
}

/** A compensation failed on purpose (SAGA_COMPENSATION_FAILURE_RATE); retrying it is the point. */
export class InjectedCompensationFailure extends Error {
    constructor(action: string, rate: number) {
        super(`${action} failed on purpose (compensation failure rate ${rate}); Step Functions retries it.`);
        this.name = "InjectedCompensationFailure";
    }
}

/** A run type that makes an action fail, and the name of the error it then throws. */
export interface InjectedFailureSpec {
    runType: string;
    error: string;
}

export function failureInjectionEnabled(): boolean {
    return isEnabled(Env.failureInjection);
}

/**
 * Throws the injected failure when injection is on and the run type asks for it. Call it before
 * any write: an injected failure must not leave data behind. With injection off, run types are
 * ignored, so a production stack cannot be made to fail by its input.
 */
export function failIfInjected(runType: unknown, failure: InjectedFailureSpec | undefined): void {
    if (!failure || runType !== failure.runType || !failureInjectionEnabled()) return;
    log("warn", "Injecting a failure", { runType, error: failure.error });
    throw new InjectedFailure(failure.error, failure.runType);
}

/** The configured probability of a compensation failing on purpose: 0 when unset. */
export function compensationFailureRate(): number {
    const raw = process.env[Env.compensationFailureRate];
    if (raw === undefined || raw.trim() === "") return 0;
    const rate = Number(raw);
    if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
        throw new InvalidConfiguration(
            `${Env.compensationFailureRate} must be a number from 0 to 1 (a probability), not "${raw}".`,
        );
    }
    return rate;
}

export type RandomSource = () => number;
let scripted: RandomSource | undefined;

/** Replaces the random source (tests use a scripted one); returns a function that restores it. */
export function setRandomSource(source: RandomSource): () => void {
    const previous = scripted;
    scripted = source;
    return () => {
        scripted = previous;
    };
}

/**
 * Fails a compensation of a saga with the configured probability. Call it before the
 * compensation's write, so a failure leaves the data exactly as it was and the retry does all the work.
 */
export function failCompensationByChance(action: string, sagaId: string): void {
    const rate = compensationFailureRate();
    if (rate <= 0) return;
    const draw = scripted ? scripted() : drawsFor("compensation", `${action}\n${sagaId}`, chaosSettings()?.seed).draws[0];
    if (draw < rate) {
        log("warn", "Injecting a compensation failure", { fault: Faults.compensationFailure, action, sagaId, rate });
        throw new InjectedCompensationFailure(action, rate);
    }
}
