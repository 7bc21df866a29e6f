// What the local cloud has done, counted the way the AWS bill counts it, so a run can be costed:
// Lambda requests by function (each retry is a request), DynamoDB requests by operation, and Step
// Functions executions and state transitions by state machine (a STANDARD workflow is billed for
// every state entered and every retry; an EXPRESS one per execution and for its duration, counted
// as it closes, rounded up to 100 ms each). Counted at the services themselves, whoever calls them:
// the state machines, the API, the functions' SDK clients, the AWS CLI.
// Besides: API Gateway requests, each Lambda request's duration (rounded up to 1 ms, as Lambda bills
// it) at its function's memory and architecture, and the bytes written to CloudWatch Logs (the
// machines' execution events, the functions' own lines), so that bench/bill.ts prices the whole bill.
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

/** What Lambda bills a function for its duration: its requests' durations, each rounded up to 1 ms, at its memory and architecture. */
export interface LambdaDuration {
    memoryMb: number;
    architecture: "x86_64" | "arm64";
    /** Requests that ended (with a result or an error). */
    requests: number;
    /** Their durations, added up. */
    durationMs: number;
    /** Each rounded up to 1 ms, added up. */
    billedDurationMs: number;
}

export interface MetricsSnapshot {
    /** When counting started (start-up, or the last reset). */
    since: string;
    /** Requests the API stages received, refused ones too. */
    apiGateway: { requests: number };
    lambda: {
        invocations: number;
        byFunction: Record<string, number>;
        /** By function. */
        durations: Record<string, LambdaDuration>;
        /** Bytes of the lines the functions' code wrote (each line and its newline, UTF-8): CloudWatch Logs ingests them. */
        logBytes: number;
    };
    /** Bytes of the log events written to log groups here (each message, UTF-8), by group. */
    logs: { bytesIngested: number; byGroup: Record<string, number> };
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
    private apiRequests = 0;
    private durations = new Map<string, LambdaDuration>();
    private functionLogBytes = 0;
    private logGroups = new Tally();

    /** One request to an API stage. */
    countApiRequest(): void {
        this.apiRequests += 1;
    }

    /** One Lambda request ended after `durationMs`, billed at the function's memory and architecture. */
    countLambdaDuration(functionName: string, memoryMb: number, architecture: LambdaDuration["architecture"], durationMs: number): void {
        let usage = this.durations.get(functionName);
        if (!usage) this.durations.set(functionName, (usage = { memoryMb, architecture, requests: 0, durationMs: 0, billedDurationMs: 0 }));
        usage.requests += 1;
        usage.durationMs += durationMs;
        usage.billedDurationMs += Math.max(1, Math.ceil(durationMs));
    }

    /** One line a function's code wrote (CloudWatch Logs ingests it, with its newline). */
    countFunctionLogLine(line: string): void {
        this.functionLogBytes += Buffer.byteLength(line) + 1;
    }

    /** Log events written to a log group. */
    countLogEvents(groupName: string, messages: string[]): void {
        this.logGroups.add(groupName, messages.reduce((sum, message) => sum + Buffer.byteLength(message), 0));
    }

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
            apiGateway: { requests: this.apiRequests },
            lambda: {
                invocations: this.lambda.total,
                byFunction: this.lambda.toJSON(),
                durations: Object.fromEntries([...this.durations].sort(([a], [b]) => a.localeCompare(b)).map(([name, usage]) => [name, { ...usage }])),
                logBytes: this.functionLogBytes,
            },
            logs: { bytesIngested: this.logGroups.total, byGroup: this.logGroups.toJSON() },
            dynamodb: { requests: this.dynamodb.total, byOperation: this.dynamodb.toJSON() },
            stepFunctions: { ...transitionsOf([...this.machines.values()]), byStateMachine },
        };
    }

    /** Starts counting afresh; answers the counts until now. */
    reset(): MetricsSnapshot {
        const before = this.snapshot();
        [this.since, this.lambda, this.dynamodb, this.machines] = [new Date(), new Tally(), new Tally(), new Map()];
        [this.apiRequests, this.durations, this.functionLogBytes, this.logGroups] = [0, new Map(), 0, new Tally()];
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
