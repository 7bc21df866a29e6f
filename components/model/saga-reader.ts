// Recognises a saga in any state machine definition and checks its compensation paths. Pure.
//
// By structure: the forward tasks are the Tasks of the success path; the compensations are the
// other Tasks a run can reach (a failure's durable record, an SQS message, is neither). When each
// forward task's step and role are known, the check knows each step's compensator and requires
// exactly the right ones, in order. A Task's step and role come first from its own `Comment`
// (`saga:step=Hotel saga:role=reserve`, see taskComment in components/model/conventions.ts), so
// the machine itself says what it runs whatever function a Task invokes; else from the tags of
// the Lambda it invokes, when the stack has that Lambda and it is tagged.
//
// A machine whose Tasks' Comments name only cancels is compensation-only (SagaComponent's repair
// machine): it has no forward task to compensate, and its cancels are its compensations.
import { ActionRole, Tags, parseTaskComment } from "./conventions";
import { Asl, AslState, Path, catchAllOf, catchersOf, forwardTasks, isQueueRecord, isRecord, isTask, list, pathsFrom, reachable, successStates, taskTarget } from "./asl";

export interface SagaReading {
    asl: Asl;
    /** Tasks of the success path, in order. */
    forward: string[];
    /** Tasks off the success path that are not failure records, in definition order. */
    compensations: string[];
    /** Some forward failure is caught and runs a compensation. */
    isSaga: boolean;
    /**
     * The success path runs cancels (by their Comments), and no Task's Comment names a reserve or
     * confirm: a machine that only compensates, such as SagaComponent's repair machine.
     * `forward` is then empty and `compensations` are those cancels.
     */
    compensationOnly: boolean;
}

/** A Task's place in its saga. */
export interface TaskIdentity {
    saga: string;
    step?: string;
    role?: string;
}
export type Identify = (stateName: string) => TaskIdentity | undefined;

/** The Lambda a Task invokes as the stack knows it: its resource name and saga tags. */
export interface TaggedFunction {
    name: string;
    saga: string;
    step?: string;
    role?: string;
}

/** The step and role a Task state's Comment names, when it follows the convention. */
export function commentOf(state: AslState | undefined): { step: string; role: ActionRole } | undefined {
    return isTask(state) ? parseTaskComment(state?.Comment) : undefined;
}

/** Whether some Task of the definition names its saga step and role in its Comment. */
export const hasSagaComments = (asl: Asl) => Object.values(asl.States).some((state) => commentOf(state) !== undefined);

/**
 * The one rule for whether a state machine is a saga: it is tagged as one (`tagged`), a function it
 * invokes is tagged as a saga's (`invokesSagaFunction`: a stack policy knows the functions, a
 * resource policy does not), its Tasks' Comments name saga steps, or its structure is one (a
 * forward failure is caught and runs a compensation).
 */
export function isSagaMachine(reading: SagaReading, signs: { tagged: boolean; invokesSagaFunction?: boolean }): boolean {
    return signs.tagged || signs.invokesSagaFunction === true || hasSagaComments(reading.asl) || reading.isSaga;
}

/** A Comment that means to name a step or role (it mentions the tags) but does not follow the convention. */
const looksLikeSagaComment = (comment: unknown) =>
    typeof comment === "string" && (comment.includes(`${Tags.step}=`) || comment.includes(`${Tags.role}=`));

/**
 * Each Task's place in the saga `saga`: the step and role its Comment names; without such a
 * Comment, the tags of the Lambda it invokes (`tagged`). Also what is wrong with them: a Comment
 * that mentions the saga tags but does not follow the convention, and a Comment that disagrees
 * with the tags of a Lambda of the same saga (the Comment is what the checks then go by).
 */
export function identifyTasks(
    machine: string,
    asl: Asl,
    saga: string,
    tagged: (stateName: string) => TaggedFunction | undefined = () => undefined,
): { identify: Identify; messages: string[] } {
    const label = `State machine "${machine}"`;
    const messages: string[] = [];
    const identities = new Map<string, TaskIdentity>();
    for (const [name, state] of Object.entries(asl.States).filter(([, s]) => isTask(s))) {
        const comment = commentOf(state);
        const lambda = tagged(name);
        if (!comment && looksLikeSagaComment(state.Comment)) {
            messages.push(
                `${label} must write the Comment of task "${name}" as "${Tags.step}=<step> ${Tags.role}=<reserve, confirm or cancel>": "${state.Comment}" does not follow that convention, so the task's step and role are not known from it.`,
            );
        }
        if (comment && lambda && lambda.saga === saga && (lambda.step !== comment.step || lambda.role !== comment.role)) {
            const tags = [`${Tags.step}=${lambda.step ?? "(none)"}`, `${Tags.role}=${lambda.role ?? "(none)"}`].join(", ");
            messages.push(
                `${label} must name the same step and role in the Comment of task "${name}" as the tags of the Lambda it invokes: the Comment says "${state.Comment}", but Lambda "${lambda.name}" is tagged ${tags}. The compensations are checked by the Comment; correct whichever is wrong.`,
            );
        }
        if (comment) identities.set(name, { saga, ...comment });
        else if (lambda) identities.set(name, { saga: lambda.saga, step: lambda.step, role: lambda.role });
    }
    return { identify: (name) => identities.get(name), messages };
}

export function readSaga(asl: Asl): SagaReading {
    const canRun = reachable(asl);
    const onSuccessPath = successStates(asl);
    // A saga never runs a cancel on its way to success; a compensation-only machine does.
    const commented = Object.keys(asl.States).filter((name) => commentOf(asl.States[name]) !== undefined);
    const cancels = commented.filter((name) => commentOf(asl.States[name])?.role === "cancel");
    if (cancels.length === commented.length && cancels.some((name) => onSuccessPath.has(name))) {
        return { asl, forward: [], compensations: cancels.filter((name) => canRun.has(name)), isSaga: false, compensationOnly: true };
    }
    const compensations = Object.keys(asl.States).filter(
        (name) => canRun.has(name) && !onSuccessPath.has(name) && isTask(asl.States[name]) && !isRecord(asl.States[name]),
    );
    // An outcome record on the success path is bookkeeping: its catchers are the machine's own business.
    const forward = forwardTasks(asl).filter((name) => !isRecord(asl.States[name]));
    const isSaga = forward.some((task) =>
        catchersOf(asl.States[task]).some((c) => pathsFrom(asl, c.Next).some((p) => p.states.some((s) => compensations.includes(s)))),
    );
    return { asl, forward, compensations, isSaga, compensationOnly: false };
}

const errorsOf = (errors: string[]) => `[${errors.map((e) => `"${e}"`).join(", ")}]`;
/** The tasks a path runs, records excepted. */
const tasksOn = (asl: Asl, path: Path) => path.states.filter((s) => isTask(asl.States[s]) && !isRecord(asl.States[s]));
const unique = <T>(items: T[]) => [...new Set(items)];
/** States in the order a run enters them: "A", then "B". */
const sequence = (names: string[]) => names.map((n) => `"${n}"`).join(", then ");

/**
 * Every forward task catches all errors; every path of its catchers ends failed and runs its own
 * compensator and those of every earlier step, newest first.
 */
export function checkCompensationPaths(machine: string, reading: SagaReading, identify?: Identify): string[] {
    const { asl, forward } = reading;
    const label = `State machine "${machine}"`;
    // Steps are known only when every forward task's is; otherwise the paths are compared with each other.
    const bySteps = identify !== undefined && forward.length > 0 && forward.every((task) => identify(task)?.step !== undefined);
    const messages: string[] = [];
    const stepsSoFar: string[] = [];
    let previous: { task: string; targets: string[]; names: string[] } | undefined;

    for (const task of forward) {
        const state = asl.States[task];
        const id = bySteps ? (identify(task) as TaskIdentity) : undefined;
        if (id?.step !== undefined && !stepsSoFar.includes(id.step)) stepsSoFar.push(id.step);
        const what = `forward task "${task}"${id ? ` (step "${id.step}")` : ""}`;
        if (!catchAllOf(state)) {
            messages.push(
                `${label} must catch every error of ${what}: add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
            );
        }
        let reference: string[] | undefined;
        for (const catcher of catchersOf(state)) {
            const via = `the path of its Catch on ${errorsOf(catcher.ErrorEquals)}`;
            for (const path of pathsFrom(asl, catcher.Next)) {
                const end = path.end;
                if (end.kind === "succeeded") {
                    messages.push(
                        `${label} must end failed when ${what} fails: ${via} reaches "${end.state}", which ends the execution successfully. Route it through the compensations to a Fail state.`,
                    );
                    continue;
                }
                if (end.kind === "missing") {
                    messages.push(`${label} must not lead ${what} to the missing state "${end.state}": ${via} ends there.`);
                    continue;
                }
                if (end.kind === "loop") continue;
                const ran = tasksOn(asl, path);
                const ending = `${ran.length > 0 ? `runs ${sequence(ran)} and ` : "runs no task and "}ends at "${end.state}"`;
                if (id) {
                    messages.push(...checkBySteps(label, what, via, ending, ran, id, stepsSoFar, identify as Identify));
                    continue;
                }
                const targets = unique(ran.map((s) => taskTarget(asl.States[s])));
                if (catcher === catchAllOf(state) && reference === undefined) reference = targets;
                messages.push(...checkByStructure(label, what, via, ending, ran, targets, previous));
            }
        }
        if (!id && reference) previous = { task, targets: reference, names: namesOf(asl, reference, forward) };
    }
    return unique(messages);
}

function checkBySteps(label: string, what: string, via: string, ending: string, ran: string[], id: TaskIdentity, stepsSoFar: string[], identify: Identify): string[] {
    const expected = [...stepsSoFar].reverse();
    const compensated = ran
        .map((state) => ({ state, id: identify(state) }))
        .filter((c) => c.id?.saga === id.saga && c.id.role === "cancel" && c.id.step !== undefined && expected.includes(c.id.step));
    const steps = unique(compensated.map((c) => c.id?.step as string));
    const missing = expected.filter((step) => !steps.includes(step));
    const plural = (names: string[]) => `step${names.length > 1 ? "s" : ""} ${list(names)}`;
    if (missing.length > 0) {
        return [
            `${label} must compensate ${plural(missing)} when ${what} fails: ${via} ${ending}. Run the compensators of ${plural(expected)}, newest first, before the Fail state.`,
        ];
    }
    if (steps.join("\n") !== expected.join("\n")) {
        const stateOf = (step: string) => compensated.find((c) => c.id?.step === step)?.state as string;
        return [
            `${label} must run compensations newest first when ${what} fails: ${via} ${ending}. Run ${expected.map((s) => `"${stateOf(s)}"`).join(", then ")}.`,
        ];
    }
    return [];
}

function checkByStructure(
    label: string,
    what: string,
    via: string,
    ending: string,
    ran: string[],
    targets: string[],
    previous: { task: string; targets: string[]; names: string[] } | undefined,
): string[] {
    if (ran.length === 0) {
        return [`${label} must compensate when ${what} fails: ${via} ${ending}. Run its compensator and those of every earlier step, newest first, before the Fail state.`];
    }
    if (!previous) return [];
    const missing = previous.targets.flatMap((target, i) => (targets.includes(target) ? [] : [previous.names[i]]));
    if (missing.length > 0) {
        return [
            `${label} must also run ${list(missing)} when ${what} fails, as it does when the earlier forward task "${previous.task}" fails (that work is done by then): ${via} ${ending}.`,
        ];
    }
    const positions = previous.targets.map((target) => targets.indexOf(target));
    const inOrder = positions.every((p, i) => i === 0 || p > positions[i - 1]);
    const newestFirst = targets.every((target, i) => previous.targets.includes(target) || i < Math.min(...positions));
    if (!inOrder || !newestFirst) {
        return [
            `${label} must run compensations newest first when ${what} fails: ${via} ${ending}. Run the compensations new at this task first, then ${sequence(previous.names)}, as for the earlier forward task "${previous.task}".`,
        ];
    }
    return [];
}

/** A state name for each task target, for messages (the first compensation state calling it). */
function namesOf(asl: Asl, targets: string[], forward: string[]): string[] {
    return targets.map(
        (target) =>
            Object.keys(asl.States).find((name) => !forward.includes(name) && isTask(asl.States[name]) && taskTarget(asl.States[name]) === target) ??
            target,
    );
}

/** Every compensation retries all errors, at least `minimum` times. */
export function checkCompensationRetries(machine: string, reading: SagaReading, minimum: number): string[] {
    const label = `State machine "${machine}"`;
    return reading.compensations.flatMap((name) => {
        const retriers = (Array.isArray(reading.asl.States[name].Retry) ? reading.asl.States[name].Retry : []) as {
            ErrorEquals?: string[];
            MaxAttempts?: number;
        }[];
        const all = retriers.findIndex((r) => Array.isArray(r.ErrorEquals) && r.ErrorEquals.includes("States.ALL"));
        if (all < 0) {
            return [
                `${label} must retry compensation "${name}" on every error: add a Retry on ["States.ALL"] with MaxAttempts of at least ${minimum}, so a transient failure does not leave the step undone.`,
            ];
        }
        // Step Functions uses the first retrier that matches, so an earlier one with fewer attempts wins.
        const short = retriers.slice(0, all + 1).filter((r) => (r.MaxAttempts ?? 3) < minimum);
        return short.map(
            (r) =>
                `${label} must retry compensation "${name}" at least ${minimum} times: its Retry on ${errorsOf(r.ErrorEquals ?? [])} has MaxAttempts ${r.MaxAttempts ?? 3}. Set MaxAttempts to ${minimum} or more.`,
        );
    });
}

/** Error names of the Fail states a caught forward failure ends in: the clean rollback. */
function rollbackErrors(reading: SagaReading): Set<string> {
    const errors = new Set<string>();
    for (const task of reading.forward) {
        for (const catcher of catchersOf(reading.asl.States[task])) {
            for (const path of pathsFrom(reading.asl, catcher.Next)) {
                const error = reading.asl.States[path.end.state]?.Error;
                if (path.end.kind === "failed" && typeof error === "string") errors.add(error);
            }
        }
    }
    return errors;
}

/**
 * A compensation that still fails after its retries is caught, recorded in a queue and ends the
 * execution with an error of its own, never the clean rollback's and never success.
 */
export function checkFailedCompensations(machine: string, reading: SagaReading): string[] {
    const { asl } = reading;
    const label = `State machine "${machine}"`;
    const cleanErrors = rollbackErrors(reading);
    const messages: string[] = [];
    for (const name of reading.compensations) {
        const catcher = catchAllOf(asl.States[name]);
        if (!catcher) {
            messages.push(
                `${label} must catch the failure of compensation "${name}" once its retries are spent: add a Catch on ["States.ALL"] that records the failure in the dead-letter queue (an SQS sendMessage task) and ends in a Fail state with an error of its own.`,
            );
            continue;
        }
        for (const path of pathsFrom(asl, catcher.Next)) {
            const end = path.end;
            if (end.kind === "succeeded") {
                messages.push(
                    `${label} must not end successfully when compensation "${name}" fails: the path of its Catch reaches "${end.state}". End it in a Fail state with an error of its own.`,
                );
                continue;
            }
            if (end.kind !== "failed") continue;
            const records = path.states.filter((s) => isQueueRecord(asl.States[s]));
            if (records.length === 0) {
                messages.push(
                    `${label} must record the failure of compensation "${name}" durably: the path of its Catch sends nothing to a queue before it ends at "${end.state}". Send the failure to the dead-letter queue (an SQS sendMessage task) first.`,
                );
            }
            const error = asl.States[end.state].Error;
            if (typeof error !== "string") {
                messages.push(
                    `${label} must end a failed compensation with a named error: "${end.state}", where the path of the Catch of "${name}" ends, has no \`Error\`. Give it one of its own, e.g. "Saga.CompensationFailed".`,
                );
            } else if (cleanErrors.has(error)) {
                messages.push(
                    `${label} must tell a failed compensation apart from a clean rollback: when "${name}" fails the execution ends at "${end.state}" with the error "${error}", the same as a clean rollback. End it in a Fail state with an error of its own, e.g. "Saga.CompensationFailed".`,
                );
            }
            for (const record of records.filter((r) => !catchAllOf(asl.States[r]))) {
                messages.push(
                    `${label} must finish the saga when recording a failed compensation fails: "${record}" has no Catch on ["States.ALL"], so an unreachable queue would end the execution with the queue's error instead of the compensation-failed outcome. Add a Catch that continues to its next state.`,
                );
            }
        }
    }
    return unique(messages);
}
