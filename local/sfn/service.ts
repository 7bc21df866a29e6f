// Step Functions on this machine: the state machines the program deployed and their executions,
// with the service's own rules (StartExecution's idempotency by name, the errors it answers); with
// a data folder, executions kept across restarts (store.ts), the open ones resumed.
// An EXPRESS machine's executions as AWS runs them: ARNs of resource type `express` with an id of
// their own, names not deduplicated, no Describe/History/Stop/List through the API (its errors),
// at most 5 minutes; `.sync`, `.waitForTaskToken` and activities refused when it is created. The
// service still keeps them, for the local cloud's own use (its stop, its console, chaos). With
// `expressDuplicates`, an EXPRESS execution runs a second time now and then, as AWS's at-least-once
// allows: the same ARN, name and input, at once (concurrently) or after the first has ended.
import { StateMachine, StateMachineDefinition } from "./engine";
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { executionArnOf, expressExecutionArnOf, isExpressExecutionArn, isStateMachineArn, parseExecutionArn } from "../../components/model/arns";
import { REPAIR_ROLE, Tags } from "../../components/model/conventions";
import { ExecutionHost, ExecutionPosition, LocalExecution } from "./execution";
import type { ExecutionRecord, ExecutionStatus } from "./record";
import { jsonDepthPast } from "../json-depth";
import type { StateMachineLogging } from "../logs/states";
import type { EngineEvent, HistoryEvent } from "./history";
import type { ExecutionStore, KeptExecution } from "./store";
import { UnpersistedWrite } from "../data-folder";
import { bindTasks, DefinitionLike, TaskTargets } from "./tasks";

/** An error the Step Functions API answers with (its `__type`), with its HTTP status. */
export class SfnError extends Error {
    constructor(
        readonly type: string,
        message: string,
        readonly statusCode = 400,
    ) {
        super(message);
        this.name = type;
    }
}

/**
 * The deepest execution input taken. AWS documents no depth, but parses input with Jackson (its
 * InvalidExecutionInput messages quote Jackson's exceptions), which refuses documents nested deeper
 * than 1,000 levels by default; the local engine runs 2,000 levels and overflows its stack at 3,000.
 */
export const MAX_INPUT_DEPTH = 1000;

export interface StateMachineSpec {
    name: string;
    arn: string;
    definition: string;
    roleArn: string;
    type: string;
    /** The machine's tags, as the program declared them. */
    tags?: Record<string, string>;
    /** Where and what its executions log (loggingConfiguration); undefined: nothing. */
    logging?: StateMachineLogging;
    /** Whether X-Ray tracing is on (tracingConfiguration.enabled), as declared; the local cloud traces nothing. */
    tracing?: boolean;
}

export const StateMachineTypes = { STANDARD: "STANDARD", EXPRESS: "EXPRESS" } as const;

/** The longest an EXPRESS execution runs on AWS: 5 minutes. */
export const EXPRESS_MAX_SECONDS = 300;

/** Runs some EXPRESS executions twice, as at-least-once allows (`npm start -- --express-duplicates <p>`). */
export interface ExpressDuplicates {
    /** The probability that an execution runs a second time. */
    probability: number;
    /** Draws from [0, 1): whether, how and when (seed it to repeat a run). */
    random(): number;
    /** A concurrent duplicate starts within this many milliseconds of the execution (default 50). */
    concurrentWithinMs?: number;
    /** A late duplicate starts within this many milliseconds after the execution has ended (default 1000). */
    lateWithinMs?: number;
}

export interface StepFunctionsOptions {
    region: string;
    /** Undefined: every EXPRESS execution runs once. */
    expressDuplicates?: ExpressDuplicates;
    /** Told when a duplicate of an EXPRESS execution starts (`late`: after the first ended). */
    onDuplicate?(execution: ExecutionRecord, late: boolean): void;
    /** How long an EXPRESS execution may run at most; default AWS's 300 s (tests shorten it). */
    expressMaxSeconds?: number;
    targets: TaskTargets;
    retryIntervalMs?: number;
    /**
     * Milliseconds between retries of a repair machine's states (tag saga:role=repair), whose
     * compensations retry up to the repair horizon; default retryIntervalMs.
     */
    repairRetryIntervalMs?: number;
    onEvent?(execution: ExecutionRecord, event: EngineEvent): void;
    /**
     * The history events an execution just added (what its machine's log group may receive);
     * `run` tells its runs apart: the ARN, or for a duplicate of an EXPRESS execution a key of its own.
     */
    onHistory?(machine: StateMachineSpec, execution: ExecutionRecord, events: HistoryEvent[], run: string): void;
    /** Called when an execution closes. */
    onClosed?(execution: ExecutionRecord): void;
    /** Keeps every execution in the data folder as it runs; undefined: in memory only. */
    store?: ExecutionStore;
}

/** What the local cloud did with an execution that was still running when it stopped. */
export interface StoppedExecutions {
    /** Kept in the data folder as they were: the next start resumes them. */
    suspended: ExecutionPosition[];
    /** Ended as ABORTED: without a data folder nothing could keep them. */
    aborted: ExecutionPosition[];
}

export interface LocalStateMachine extends StateMachineSpec {
    creationDate: Date;
    host: ExecutionHost;
}

// AWS: 1 to 80 characters, no whitespace, brackets, wildcards, or " # % \ ^ | ~ ` $ & , ; : /.
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

/**
 * Definitions the engine's validator accepted. It compiles its JSON schemas on every call (~0.4 s,
 * over 1 s in a fresh process): a definition found valid once, in this process or an earlier one
 * (node_modules/.cache, keyed by the engine's version), is not checked again. A definition's local
 * URLs (a queue's) name the port of the cloud that deployed it: they are not part of the key.
 */
const validDefinitions = (() => {
    const seen = new Set<string>();
    const engine = path.dirname(path.dirname(require.resolve("aws-local-stepfunctions")));
    let version = "unknown";
    try {
        version = (JSON.parse(fs.readFileSync(path.join(engine, "package.json"), "utf8")) as { version: string }).version;
    } catch {
        // Then the cache on disk is keyed by "unknown": still one engine per node_modules.
    }
    const dir = path.join(path.dirname(engine), ".cache", "saga-local-cloud", "valid-definitions");
    const key = (definition: string) =>
        createHash("sha256")
            .update(`aws-local-stepfunctions@${version}\n${definition.replace(/http:\/\/127\.0\.0\.1:\d+\//g, "http://127.0.0.1/")}`)
            .digest("hex");
    return {
        has(definition: string): boolean {
            const k = key(definition);
            return seen.has(k) || fs.existsSync(path.join(dir, k));
        },
        add(definition: string): void {
            const k = key(definition);
            seen.add(k);
            try {
                fs.mkdirSync(dir, { recursive: true });
                fs.writeFileSync(path.join(dir, k), "");
            } catch {
                // A read-only node_modules: remembered in this process only.
            }
        },
    };
})();

export class StepFunctionsService {
    readonly machines = new Map<string, LocalStateMachine>();
    private readonly executions = new Map<string, { record: ExecutionRecord; running?: LocalExecution; kept?: KeptExecution }>();
    /** Why StartExecution is refused (the local cloud is stopping); undefined: it is not. */
    private refusal?: string;
    /** Each execution's key in `executions` (a duplicate shares its ARN with the execution it repeats). */
    private readonly keys = new WeakMap<ExecutionRecord, string>();
    /** Duplicates waiting to start, and the timers they wait on. */
    private readonly pendingDuplicates = new Map<Promise<void>, () => void>();
    private readonly duplicates = { concurrent: 0, late: 0 };

    constructor(private readonly options: StepFunctionsOptions) {}

    /**
     * Binds every Task of the definition (one the local cloud cannot run fails here). The
     * definition itself is checked by `validateDefinitions`, once the deployment is done.
     */
    createStateMachine(spec: StateMachineSpec): LocalStateMachine {
        const definition = JSON.parse(spec.definition) as DefinitionLike;
        if (spec.type !== StateMachineTypes.STANDARD && spec.type !== StateMachineTypes.EXPRESS) {
            throw new SfnError("ValidationException", `1 validation error detected: Value '${spec.type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`);
        }
        const express = spec.type === StateMachineTypes.EXPRESS;
        if (express) {
            const problem = expressDefinitionProblem(definition);
            if (problem) throw new SfnError("InvalidDefinition", `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${problem}'`);
        }
        const maxSeconds = express ? (this.options.expressMaxSeconds ?? EXPRESS_MAX_SECONDS) : undefined;
        const engine = new StateMachine(withTimeLimit(definition, maxSeconds) as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
        bindTasks(definition, this.options.targets, { stateMachineArn: spec.arn, roleArn: spec.roleArn });
        const machine: LocalStateMachine = {
            ...spec,
            creationDate: new Date(),
            host: {
                engine,
                definition,
                definitionText: spec.definition,
                store: this.options.store,
                stateMachineArn: spec.arn,
                stateMachineName: spec.name,
                roleArn: spec.roleArn,
                region: this.options.region,
                targets: this.options.targets,
                retryIntervalMs:
                    spec.tags?.[Tags.role] === REPAIR_ROLE && this.options.retryIntervalMs !== undefined
                        ? (this.options.repairRetryIntervalMs ?? this.options.retryIntervalMs)
                        : this.options.retryIntervalMs,
                maxSeconds,
                onEvent: (execution, event) => this.options.onEvent?.(execution, event),
                onHistory: (execution, events) => this.options.onHistory?.(machine, execution, events, this.keys.get(execution) ?? execution.executionArn),
                onClosed: (execution) => {
                    const entry = this.executions.get(this.keys.get(execution) ?? execution.executionArn);
                    if (entry) entry.running = undefined;
                    this.options.onClosed?.(execution);
                },
            },
        };
        this.machines.set(spec.arn, machine);
        return machine;
    }

    /**
     * Validates every definition as CreateStateMachine does. Apart from creation because it takes
     * the engine's validator ~0.4 s of CPU per machine, which would hold up every resource that
     * waits for the machine's ARN.
     */
    validateDefinitions(): void {
        for (const machine of this.machines.values()) {
            if (validDefinitions.has(machine.definition)) continue;
            try {
                new StateMachine(structuredClone(machine.host.definition) as unknown as StateMachineDefinition);
            } catch (error) {
                throw new Error(`The definition of the state machine ${machine.name} is not valid: ${(error as Error).message}`);
            }
            validDefinitions.add(machine.definition);
        }
    }

    /**
     * Executions kept from an earlier run (the data folder): the closed ones, and the open ones,
     * whose names are taken from now on; `resume` runs those.
     */
    restore(kept: { closed: ExecutionRecord[]; running?: KeptExecution[] }): void {
        for (const record of kept.closed) this.executions.set(record.executionArn, { record });
        for (const execution of kept.running ?? []) this.executions.set(execution.record.executionArn, { record: execution.record, kept: execution });
    }

    /**
     * Resumes every kept open execution where its history ends (execution.ts). One whose state
     * machine is no longer deployed cannot: it is closed as ABORTED, with why.
     */
    resume(): { resumed: ExecutionPosition[]; abandoned: ExecutionRecord[] } {
        const resumed: ExecutionPosition[] = [];
        const abandoned: ExecutionRecord[] = [];
        for (const entry of this.executions.values()) {
            const kept = entry.kept;
            if (!kept) continue;
            entry.kept = undefined;
            const machine = this.machines.get(kept.record.stateMachineArn);
            if (!machine) {
                Object.assign(entry.record, {
                    status: "ABORTED",
                    stopDate: new Date(),
                    error: "LocalCloud.StateMachineNotDeployed",
                    cause: `The state machine ${kept.record.stateMachineArn} is no longer deployed, so this execution could not resume.`,
                });
                this.options.store?.reopen(entry.record).close(entry.record);
                abandoned.push(entry.record);
                continue;
            }
            entry.running = LocalExecution.resume(machine.host, kept);
            resumed.push(entry.running.where());
        }
        return { resumed, abandoned };
    }
    /**
     * As on AWS. STANDARD: a name already used by an open execution with the same input returns
     * that execution; a different input, or a closed execution of that name, is ExecutionAlreadyExists.
     * EXPRESS: every start is a new execution, whatever its name (its ARN ends with an id of its own).
     */
    startExecution(stateMachineArn: string, name: string = randomUUID(), input = "{}"): ExecutionRecord {
        const machine = this.machine(stateMachineArn);
        if (!EXECUTION_NAME.test(name)) throw new SfnError("InvalidName", `Invalid Name: '${name}'`);
        // Before anything recursive reads it: 3,000 levels overflowed the engine's stack mid-execution.
        const depth = jsonDepthPast(input, MAX_INPUT_DEPTH);
        if (depth !== undefined) {
            throw new SfnError(
                "InvalidExecutionInput",
                `Invalid State Machine Execution Input: 'com.fasterxml.jackson.core.exc.StreamConstraintsException: Document nesting depth (${depth}) exceeds the maximum allowed (${MAX_INPUT_DEPTH}, from \`StreamReadConstraints.getMaxNestingDepth()\`)'`,
            );
        }
        try {
            JSON.parse(input);
        } catch (error) {
            throw new SfnError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${(error as Error).message}'`);
        }
        const express = machine.type === StateMachineTypes.EXPRESS;
        const executionArn = express ? expressExecutionArnOf(machine.arn, name, randomUUID()) : executionArnOf(machine.arn, name);
        const existing = this.executions.get(executionArn);
        if (existing) {
            if (existing.record.status === "RUNNING" && existing.record.input === input) return existing.record;
            throw new SfnError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
        }
        if (this.refusal !== undefined) throw new SfnError("ServiceUnavailable", this.refusal, 503);
        return this.run(machine, executionArn, name, input);
    }

    /** Starts an execution under this ARN (new: the caller checked). */
    private run(machine: LocalStateMachine, executionArn: string, name: string, input: string): ExecutionRecord {
        let running: LocalExecution;
        try {
            running = LocalExecution.start(machine.host, executionArn, name, input);
        } catch (error) {
            // Its journal could not be written: refused, never started unkept (local/sfn/store.ts).
            if (error instanceof UnpersistedWrite) throw new SfnError("ServiceUnavailable", error.message, 503);
            throw error;
        }
        this.executions.set(executionArn, { record: running.record, running });
        this.keys.set(running.record, executionArn);
        if (machine.type === StateMachineTypes.EXPRESS) this.maybeDuplicate(machine, running);
        return running.record;
    }

    /**
     * With `expressDuplicates`, now and then the execution runs a second time (same ARN, name and
     * input), at once or after it ended. The second run is not kept in the data folder: a stop or
     * a crash ends it for good, as if it had never been delivered twice.
     */
    private maybeDuplicate(machine: LocalStateMachine, original: LocalExecution): void {
        const duplicates = this.options.expressDuplicates;
        if (!duplicates || duplicates.random() >= duplicates.probability) return;
        const late = duplicates.random() < 0.5;
        const delayMs = duplicates.random() * (late ? (duplicates.lateWithinMs ?? 1000) : (duplicates.concurrentWithinMs ?? 50));
        const { executionArn, name, input } = original.record;
        let cancel = () => undefined as void;
        const pending: Promise<void> = (late ? original.done : Promise.resolve())
            .then(
                () =>
                    new Promise<void>((resolve) => {
                        const timer = setTimeout(() => {
                            resolve();
                            if (this.refusal !== undefined || !this.pendingDuplicates.has(pending)) return;
                            const running = LocalExecution.start({ ...machine.host, store: undefined }, executionArn, name, input);
                            const key = `${executionArn}#duplicate-${randomUUID()}`;
                            this.executions.set(key, { record: running.record, running });
                            this.keys.set(running.record, key);
                            this.duplicates[late ? "late" : "concurrent"] += 1;
                            this.options.onDuplicate?.(running.record, late);
                        }, delayMs);
                        timer.unref();
                        cancel = () => {
                            clearTimeout(timer);
                            resolve();
                        };
                    }),
            )
            .finally(() => this.pendingDuplicates.delete(pending));
        this.pendingDuplicates.set(pending, () => cancel());
    }

    /** How many duplicates of EXPRESS executions have started, by kind. */
    duplicateCounts(): { concurrent: number; late: number } {
        return { ...this.duplicates };
    }

    /** Whether the machine (by ARN) is an EXPRESS one; false for a machine not deployed. */
    isExpress(stateMachineArn: string): boolean {
        return this.machines.get(stateMachineArn)?.type === StateMachineTypes.EXPRESS;
    }

    /**
     * Any execution the service keeps, EXPRESS ones included (which the API does not describe):
     * for the local cloud's own use. Undefined when there is none of that ARN.
     */
    execution(executionArn: string): ExecutionRecord | undefined {
        return this.executions.get(executionArn)?.record;
    }

    /** Every execution of the machine the service keeps, EXPRESS ones included, newest first: for the local cloud's own use. */
    executionsOf(stateMachineArn: string): ExecutionRecord[] {
        return [...this.executions.values()]
            .map(({ record }) => record)
            .filter((record) => record.stateMachineArn === stateMachineArn)
            .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    }

    /** DescribeExecution (and GetExecutionHistory, StopExecution): an EXPRESS execution is not described, as on AWS. */
    describeExecution(executionArn: string): ExecutionRecord {
        if (isExpressExecutionArn(executionArn)) throw new SfnError("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'");
        const entry = this.executions.get(executionArn);
        if (!entry) {
            if (!parseExecutionArn(executionArn)) throw new SfnError("InvalidArn", `Invalid Arn: '${executionArn}'`);
            throw new SfnError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
        }
        return entry.record;
    }

    /** Newest first, as AWS lists them. */
    listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionRecord[] {
        const machine = this.machine(stateMachineArn);
        if (machine.type === StateMachineTypes.EXPRESS) throw new SfnError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
        return this.executionsOf(stateMachineArn).filter((record) => !statusFilter || record.status === statusFilter);
    }

    stopExecution(executionArn: string, error?: string, cause?: string): ExecutionRecord {
        this.describeExecution(executionArn);
        this.executions.get(executionArn)?.running?.abort(error, cause);
        return this.executions.get(executionArn)!.record;
    }

    /** Resolves when every execution started so far has closed (or was suspended). */
    async idle(): Promise<void> {
        do {
            await Promise.all([...this.pendingDuplicates.keys()]);
            await Promise.all([...this.executions.values()].map(({ running }) => running?.done));
        } while (this.pendingDuplicates.size > 0);
    }

    /** Where each running execution is, oldest first. */
    running(): ExecutionPosition[] {
        return [...this.executions.values()]
            .flatMap(({ running }) => (running && running.record.status === "RUNNING" ? [running.where()] : []))
            .sort((a, b) => a.startDate.getTime() - b.startDate.getTime());
    }

    /** From now on StartExecution answers 503 ServiceUnavailable with this message (a new execution only). */
    refuseNewExecutions(message: string): void {
        this.refusal = message;
    }

    /**
     * Ends what still runs: with a data folder each execution is suspended, kept as it is for the
     * next start to resume; without one it is aborted. Resolves once each has stopped.
     */
    async stop(): Promise<StoppedExecutions> {
        // Duplicates not yet started never will be.
        for (const [pending, cancel] of [...this.pendingDuplicates]) {
            this.pendingDuplicates.delete(pending);
            cancel();
        }
        const stopped = this.running();
        for (const { running } of this.executions.values()) {
            if (this.options.store) running?.suspend();
            else running?.abort("LocalCloud.Stopped", "The local cloud stopped.");
        }
        await this.idle();
        return this.options.store ? { suspended: stopped, aborted: [] } : { suspended: [], aborted: stopped };
    }

    machine(stateMachineArn: string): LocalStateMachine {
        const machine = this.machines.get(stateMachineArn);
        if (machine) return machine;
        if (!isStateMachineArn(stateMachineArn)) {
            throw new SfnError("InvalidArn", `Invalid Arn: '${stateMachineArn}'`);
        }
        throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
}

/**
 * What an EXPRESS machine may not have, as CreateStateMachine says it (AWS's messages, their
 * double space included): a `.sync` or `.waitForTaskToken` integration, an activity. Nested
 * states (Parallel branches, Map iterators) count too.
 */
export function expressDefinitionProblem(definition: DefinitionLike, at = ""): string | undefined {
    for (const [name, state] of Object.entries(definition.States ?? {})) {
        const where = `${at}/States/${name}`;
        const resource = typeof state.Resource === "string" ? state.Resource : "";
        if (state.Type === "Task" && resource.endsWith(".waitForTaskToken")) return `Express state machine does not support '.waitForTaskToken' service integration  at ${where}/Resource`;
        if (state.Type === "Task" && (resource.endsWith(".sync") || /\.sync:\d+$/.test(resource))) return `Express state machine does not support '.sync' service integration at ${where}/Resource`;
        if (state.Type === "Task" && /^arn:aws[\w-]*:states:[^:]*:[^:]*:activity:/.test(resource)) return `Express state machine does not support Activity ARN at ${where}/Resource`;
        const nested = [
            ...((state.Branches as DefinitionLike[] | undefined) ?? []).map((branch, i) => [branch, `${where}/Branches[${i}]`] as const),
            ...[state.ItemProcessor, state.Iterator].filter((inner): inner is DefinitionLike => typeof inner === "object" && inner !== null).map((inner) => [inner, `${where}/ItemProcessor`] as const),
        ];
        for (const [inner, path] of nested) {
            const problem = expressDefinitionProblem(inner, path);
            if (problem) return problem;
        }
    }
    return undefined;
}

/** The definition with its TimeoutSeconds at most `maxSeconds` (undefined: as it is). */
function withTimeLimit(definition: DefinitionLike, maxSeconds: number | undefined): DefinitionLike {
    if (maxSeconds === undefined || (definition.TimeoutSeconds !== undefined && definition.TimeoutSeconds <= maxSeconds)) return definition;
    return { ...definition, TimeoutSeconds: maxSeconds };
}
