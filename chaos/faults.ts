// Counts the faults the step Lambdas injected, from their own log lines (each injected fault writes
// one, with a `fault` field: handlers/lib/chaos.ts), as one would count them in CloudWatch Logs;
// and tells when every late duplicate has been delivered, so the run is checked once it is still.
import { Faults, LATE_DUPLICATE_DELIVERED } from "../handlers/lib/chaos";

/** A kind of fault as the report counts it: duplicates split by how they arrived. */
export const FAULT_KINDS = [
    Faults.failBeforeWrite,
    Faults.failAfterWrite,
    "duplicateDelivery (concurrent)",
    "duplicateDelivery (late)",
    Faults.compensationFailure,
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultCounts {
    /** By kind, then by what it hit: the write's operation (reserve, confirm, cancel, refund) or the compensation's action. */
    byKind: Record<FaultKind, Record<string, number>>;
    /** Error lines the functions logged (none expected: every injected fault is a warning). */
    functionErrors: string[];
}

interface FaultLine {
    level?: string;
    message?: string;
    fault?: string;
    delivery?: string;
    operation?: string;
    action?: string;
    lateDuplicate?: string;
}

export class FaultCounter {
    private readonly byKind = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, {}])) as FaultCounts["byKind"];
    private readonly functionErrors: string[] = [];
    private lateScheduled = 0;
    private lateDelivered = 0;
    private lastLineAt = Date.now();

    /** One line a function wrote (the local cloud's `onFunctionLog`). */
    observe(functionName: string, line: string): void {
        this.lastLineAt = Date.now();
        const fields = parse(line);
        if (!fields) return;
        if (fields.level === "ERROR") this.functionErrors.push(`${functionName}: ${fields.message}`);
        if (fields.lateDuplicate === LATE_DUPLICATE_DELIVERED) this.lateDelivered += 1;
        const kind = kindOf(fields);
        if (!kind) return;
        if (kind === "duplicateDelivery (late)") this.lateScheduled += 1;
        const target = fields.operation ?? fields.action ?? "?";
        this.byKind[kind][target] = (this.byKind[kind][target] ?? 0) + 1;
    }

    counts(): FaultCounts {
        return { byKind: structuredClone(this.byKind), functionErrors: [...this.functionErrors] };
    }

    /** Total faults of a kind. */
    total(kind: FaultKind): number {
        return Object.values(this.byKind[kind]).reduce((sum, count) => sum + count, 0);
    }

    /** The functions' process ended: the late duplicates it had not delivered never will be. */
    forgetUndelivered(): void {
        this.lateScheduled = this.lateDelivered;
    }

    /**
     * Resolves once every late duplicate announced has been delivered and the functions have been
     * quiet for `quietMs` (a log line crosses from its worker a little after the invocation ends).
     */
    async lateDuplicatesDelivered(timeoutMs: number, quietMs = 100): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (this.lateDelivered < this.lateScheduled || Date.now() - this.lastLineAt < quietMs) {
            if (Date.now() > deadline) {
                throw new Error(`${this.lateScheduled - this.lateDelivered} late duplicate deliveries were still pending after ${timeoutMs} ms.`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    }
}

function parse(line: string): FaultLine | undefined {
    if (!line.startsWith("{")) return undefined;
    try {
        return JSON.parse(line) as FaultLine;
    } catch {
        return undefined;
    }
}

function kindOf(fields: FaultLine): FaultKind | undefined {
    if (fields.fault === Faults.duplicateDelivery) return fields.delivery === "late" ? "duplicateDelivery (late)" : "duplicateDelivery (concurrent)";
    return FAULT_KINDS.find((kind) => kind === fields.fault);
}

/**
 * The chaos run's stop fault: StopExecution, if the execution still runs (DescribeExecution says
 * so); answers whether it stopped it. `call` sends a Step Functions request (as the client does).
 */
export async function stopIfRunning(call: (operation: string, request: object) => Promise<{ status: number; body: any }>, executionArn: string): Promise<boolean> {
    const { status, body } = await call("DescribeExecution", { executionArn });
    if (status !== 200 || body.status !== "RUNNING") return false;
    return (await call("StopExecution", { executionArn })).status === 200;
}
