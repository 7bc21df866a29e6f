// Step Functions on this machine: the state machines the program deployed and their executions,
// with the service's own rules (StartExecution's idempotency by name, the errors it answers).
import { StateMachine, StateMachineDefinition } from "./engine";
import { randomUUID } from "node:crypto";
import { executionArnOf, parseExecutionArn } from "../arns";
import { ExecutionHost, ExecutionRecord, ExecutionStatus, LocalExecution } from "./execution";
import type { EngineEvent } from "./history";
import { bindTasks, DefinitionLike, TaskTargets } from "./tasks";

/** An error the Step Functions API answers with (its `__type`). */
export class SfnError extends Error {
    constructor(
        readonly type: string,
        message: string,
    ) {
        super(message);
        this.name = type;
    }
}

export interface StateMachineSpec {
    name: string;
    arn: string;
    definition: string;
    roleArn: string;
    type: string;
}

export interface StepFunctionsOptions {
    region: string;
    targets: TaskTargets;
    retryIntervalMs?: number;
    onEvent?(execution: ExecutionRecord, event: EngineEvent): void;
    /** Called when an execution closes (the data folder keeps it). */
    onClosed?(execution: ExecutionRecord): void;
}

export interface LocalStateMachine extends StateMachineSpec {
    creationDate: Date;
    host: ExecutionHost;
}

// AWS: 1 to 80 characters, no whitespace, brackets, wildcards, or " # % \ ^ | ~ ` $ & , ; : /.
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export class StepFunctionsService {
    readonly machines = new Map<string, LocalStateMachine>();
    private readonly executions = new Map<string, { record: ExecutionRecord; running?: LocalExecution }>();

    constructor(private readonly options: StepFunctionsOptions) {}

    /**
     * Binds every Task of the definition (one the local cloud cannot run fails here). The
     * definition itself is checked by `validateDefinitions`, once the deployment is done.
     */
    createStateMachine(spec: StateMachineSpec): LocalStateMachine {
        const definition = JSON.parse(spec.definition) as DefinitionLike;
        const engine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
        bindTasks(definition, this.options.targets);
        const machine: LocalStateMachine = {
            ...spec,
            creationDate: new Date(),
            host: {
                engine,
                definition,
                stateMachineArn: spec.arn,
                stateMachineName: spec.name,
                roleArn: spec.roleArn,
                region: this.options.region,
                targets: this.options.targets,
                retryIntervalMs: this.options.retryIntervalMs,
                onEvent: (execution, event) => this.options.onEvent?.(execution, event),
                onClosed: (execution) => {
                    const entry = this.executions.get(execution.executionArn);
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
            try {
                new StateMachine(machine.host.definition as unknown as StateMachineDefinition);
            } catch (error) {
                throw new Error(`The definition of the state machine ${machine.name} is not valid: ${(error as Error).message}`);
            }
        }
    }

    /** Executions kept from an earlier run (the data folder); closed ones only. */
    restore(records: ExecutionRecord[]): void {
        for (const record of records) this.executions.set(record.executionArn, { record });
    }

    /**
     * As on AWS (STANDARD): a name already used by an open execution with the same input returns
     * that execution; a different input, or a closed execution of that name, is ExecutionAlreadyExists.
     */
    startExecution(stateMachineArn: string, name: string = randomUUID(), input = "{}"): ExecutionRecord {
        const machine = this.machine(stateMachineArn);
        if (!EXECUTION_NAME.test(name)) throw new SfnError("InvalidName", `Invalid Name: '${name}'`);
        try {
            JSON.parse(input);
        } catch (error) {
            throw new SfnError("InvalidExecutionInput", `Invalid State Machine Execution Input: '${(error as Error).message}'`);
        }
        const executionArn = executionArnOf(machine.arn, name);
        const existing = this.executions.get(executionArn);
        if (existing) {
            if (existing.record.status === "RUNNING" && existing.record.input === input) return existing.record;
            throw new SfnError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
        }
        const running = new LocalExecution(machine.host, executionArn, name, input);
        this.executions.set(executionArn, { record: running.record, running });
        return running.record;
    }

    describeExecution(executionArn: string): ExecutionRecord {
        const entry = this.executions.get(executionArn);
        if (!entry) {
            if (!parseExecutionArn(executionArn)) throw new SfnError("InvalidArn", `Invalid Arn: '${executionArn}'`);
            throw new SfnError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
        }
        return entry.record;
    }

    /** Newest first, as AWS lists them. */
    listExecutions(stateMachineArn: string, statusFilter?: ExecutionStatus): ExecutionRecord[] {
        this.machine(stateMachineArn);
        return [...this.executions.values()]
            .map(({ record }) => record)
            .filter((record) => record.stateMachineArn === stateMachineArn && (!statusFilter || record.status === statusFilter))
            .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    }

    stopExecution(executionArn: string, error?: string, cause?: string): ExecutionRecord {
        this.describeExecution(executionArn);
        this.executions.get(executionArn)?.running?.abort(error, cause);
        return this.executions.get(executionArn)!.record;
    }

    /** Resolves when every execution started so far has closed. */
    async idle(): Promise<void> {
        await Promise.all([...this.executions.values()].map(({ running }) => running?.done));
    }

    /** Aborts what still runs and waits until it has closed. */
    async stop(): Promise<void> {
        for (const { running } of this.executions.values()) running?.abort("LocalCloud.Stopped", "The local cloud stopped.");
        await this.idle();
    }

    machine(stateMachineArn: string): LocalStateMachine {
        const machine = this.machines.get(stateMachineArn);
        if (machine) return machine;
        if (!/^arn:aws:states:[^:]*:[^:]*:stateMachine:[^:]+$/.test(stateMachineArn)) {
            throw new SfnError("InvalidArn", `Invalid Arn: '${stateMachineArn}'`);
        }
        throw new SfnError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
}
