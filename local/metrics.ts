// What the local cloud has done, counted the way the AWS bill counts it, so a run can be costed:
// Lambda requests by function (each retry is a request), DynamoDB requests by operation, and Step
// Functions executions and state transitions by state machine (a STANDARD workflow is billed for
// every state entered and every retry; an EXPRESS one per execution and for its duration, counted
// as it closes, rounded up to 100 ms each). Counted at the services themselves, whoever calls them:
// the state machines, the API, the functions' SDK clients, the AWS CLI.
// Read with GET /_local/metrics or LocalCloud.metrics(); DELETE /_local/metrics starts afresh.
import type { RequestListener } from "node:http";
import type { ExecutionRecord } from "./sfn/record";
import type { EngineEvent } from "./sfn/history";

export interface StateTransitions {
    executionsStarted: number;
    statesEntered: number;
    retries: number;
    /** statesEntered + retries: what Step Functions bills. */
    stateTransitions: number;
}

/** What an EXPRESS workflow is billed for besides its requests (executionsStarted): its executions' durations. */
export interface ExpressUsage {
    executionsClosed: number;
    /** Their durations, added up. */
    durationMs: number;
    /** Each rounded up to 100 ms, as EXPRESS bills, added up. */
    billedDurationMs: number;
}

export interface StateMachineMetrics extends StateTransitions {
    /** Transitions by state name (entered, and each retry). */
    byState: Record<string, number>;
    /** An EXPRESS machine's durations; absent for a STANDARD one. */
    express?: ExpressUsage;
}

export interface MetricsSnapshot {
    /** When counting started (start-up, or the last reset). */
    since: string;
    lambda: { invocations: number; byFunction: Record<string, number> };
    /** Requests received, failed ones too (a failed conditional write is billed as well). */
    dynamodb: { requests: number; byOperation: Record<string, number> };
    stepFunctions: StateTransitions & { byStateMachine: Record<string, StateMachineMetrics> };
}

/** Counts by name; listed sorted, so two snapshots read alike. */
class Tally {
    private readonly counts = new Map<string, number>();

    add(name: string, by = 1): void {
        this.counts.set(name, (this.counts.get(name) ?? 0) + by);
    }

    get total(): number {
        let sum = 0;
        for (const count of this.counts.values()) sum += count;
        return sum;
    }

    toJSON(): Record<string, number> {
        return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
    }
}

interface MachineTally {
    executionsStarted: number;
    statesEntered: number;
    retries: number;
    byState: Tally;
    express?: ExpressUsage;
}

export class CloudMetrics {
    private since = new Date();
    private lambda = new Tally();
    private dynamodb = new Tally();
    private machines = new Map<string, MachineTally>();

    /** One Lambda request (an invocation by a state machine, the API or anyone else). */
    countInvocation(functionName: string): void {
        this.lambda.add(functionName);
    }

    /** One DynamoDB request made inside the local cloud (a state machine's DynamoDB Task). */
    countDynamoDbRequest(operation: string): void {
        this.dynamodb.add(operation);
    }

    /** DynamoDB's request handler, counting each request by its operation (X-Amz-Target). */
    countingDynamoDb(handle: RequestListener): RequestListener {
        return (request, response) => {
            const operation = String(request.headers["x-amz-target"] ?? "").split(".").pop() || "unknown";
            this.dynamodb.add(operation);
            handle(request, response);
        };
    }

    /** One event of an execution, as the local Step Functions engine reports it. */
    countExecutionEvent(execution: ExecutionRecord, event: EngineEvent): void {
        const machine = this.machine(execution.stateMachineArn.split(":").pop()!);
        if (event.type === "ExecutionStarted") machine.executionsStarted++;
        if (event.type === "StateEntered") machine.statesEntered++;
        if (event.type === "StateRetried") machine.retries++;
        if (event.type === "StateEntered" || event.type === "StateRetried") machine.byState.add(event.state?.name ?? "");
    }

    /** An EXPRESS execution closed: its duration is billed (a duplicate run's too). */
    countExpressExecutionClosed(execution: ExecutionRecord): void {
        const machine = this.machine(execution.stateMachineArn.split(":").pop()!);
        const durationMs = Math.max(0, (execution.stopDate ?? new Date()).getTime() - execution.startDate.getTime());
        const usage = (machine.express ??= { executionsClosed: 0, durationMs: 0, billedDurationMs: 0 });
        usage.executionsClosed += 1;
        usage.durationMs += durationMs;
        usage.billedDurationMs += Math.max(100, Math.ceil(durationMs / 100) * 100);
    }

    snapshot(): MetricsSnapshot {
        const byStateMachine = Object.fromEntries(
            [...this.machines]
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([name, m]) => [name, { ...transitionsOf([m]), byState: m.byState.toJSON(), ...(m.express ? { express: { ...m.express } } : {}) }]),
        );
        return {
            since: this.since.toISOString(),
            lambda: { invocations: this.lambda.total, byFunction: this.lambda.toJSON() },
            dynamodb: { requests: this.dynamodb.total, byOperation: this.dynamodb.toJSON() },
            stepFunctions: { ...transitionsOf([...this.machines.values()]), byStateMachine },
        };
    }

    /** Starts counting afresh; answers the counts until now. */
    reset(): MetricsSnapshot {
        const before = this.snapshot();
        [this.since, this.lambda, this.dynamodb, this.machines] = [new Date(), new Tally(), new Tally(), new Map()];
        return before;
    }

    private machine(name: string): MachineTally {
        let machine = this.machines.get(name);
        if (!machine) this.machines.set(name, (machine = { executionsStarted: 0, statesEntered: 0, retries: 0, byState: new Tally() }));
        return machine;
    }
}

function transitionsOf(machines: MachineTally[]): StateTransitions {
    const sum = (field: "executionsStarted" | "statesEntered" | "retries") => machines.reduce((total, m) => total + m[field], 0);
    const [executionsStarted, statesEntered, retries] = [sum("executionsStarted"), sum("statesEntered"), sum("retries")];
    return { executionsStarted, statesEntered, retries, stateTransitions: statesEntered + retries };
}
