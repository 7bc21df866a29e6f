// Where the data folder (`--data <dir>`) keeps Step Functions executions, so that a restart, a
// stop or a crash of the local cloud loses none:
//   stepfunctions/executions.jsonl        one JSON line per closed execution (the latest line of an ARN wins)
//   stepfunctions/running/<id>.jsonl      one file per open execution: a first line with what it is
//                                         (name, input, start, the definition it runs), then one line
//                                         per batch of history events, each written before the
//                                         execution's next Task runs; the last line closes it
//   stepfunctions/definitions/<sha>.json  the definitions executions run on: a resumed execution
//                                         continues on the definition it started with, as on AWS
// Every file is append-only. A line is a whole batch with its checksum (../jsonl.ts): a line cut
// short by a crash (the last one) is dropped whole at the next start, and the file is cut back to
// its last whole line, so a resumed execution continues from the last batch that was written
// entirely; any other line that fails its checksum, or is not what the file holds, stops the start
// with DataFolderDamaged, as does a definition that is missing or not one. Nothing damaged is loaded.
// A new execution whose journal cannot be written is refused (UnpersistedWrite: StartExecution's
// 503), never started unkept; an execution whose journal stops being writable is suspended where
// its journal ends (it resumes from there at the next start).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DataFolderDamaged, UnpersistedWrite } from "../data-folder";
import { appendRecord, hasFields, readRecords } from "../jsonl";
import type { ExecutionRecord } from "./record";
import type { HistoryEvent } from "./history";

/** An execution the data folder kept open: it resumes from its history on the definition it started with. */
export interface KeptExecution {
    record: ExecutionRecord;
    /** The definition it runs, as the machine had it when the execution started (JSON). */
    definition: string;
}

/** How an execution closed, as its journal's last line says. */
export type ClosedOutcome = Pick<ExecutionRecord, "status" | "output" | "error" | "cause" | "stopDate">;

interface StartedLine {
    execution: Pick<ExecutionRecord, "executionArn" | "stateMachineArn" | "name" | "input" | "startDate"> & { definition: string };
}

interface ProgressLine {
    events: HistoryEvent[];
    closed?: ClosedOutcome;
}

/** What the data folder recorded of this store (local/data-folder.ts's DataFolder). */
export interface StoreLedger {
    /** How many closed executions executions.jsonl holds at least; -1: never counted. */
    readonly closedExecutions: number;
    countClosed(count: number): void;
    /** How many executions were started at least (each journal's first line written); -1: never counted. */
    readonly startedExecutions: number;
    countStarted(count: number): void;
    /** A write failed: the folder is told, to refuse new work until it can be written. */
    failedWrite(error: unknown): void;
}

export class ExecutionStore {
    private readonly closedFile: string;
    private readonly runningDir: string;
    private readonly definitionsDir: string;
    private readonly definitionsKept = new Set<string>();
    /** Records in executions.jsonl. */
    private closedCount = 0;
    /** Executions started: each is closed, or open with its journal. */
    private startedCount = 0;

    constructor(
        dataDir: string,
        /** Where the store says what it dropped at start (writes cut short by a crash) or could not write. */
        private readonly warn: (line: string) => void,
        private readonly ledger?: StoreLedger,
    ) {
        const dir = path.join(dataDir, "stepfunctions");
        this.closedFile = path.join(dir, "executions.jsonl");
        this.runningDir = path.join(dir, "running");
        this.definitionsDir = path.join(dir, "definitions");
        for (const folder of [this.runningDir, this.definitionsDir]) fs.mkdirSync(folder, { recursive: true });
    }

    /** Every execution kept: the closed ones, and the open ones to resume. */
    load(): { closed: ExecutionRecord[]; running: KeptExecution[] } {
        const closed = new Map<string, ExecutionRecord>();
        const lines = readRecords(this.closedFile, { holds: "closed executions", check: closedRecord, warn: this.warn });
        for (const raw of lines) {
            const record = revive(raw as ExecutionRecord);
            closed.set(record.executionArn, record);
        }
        this.closedCount = lines.length;
        const expected = this.ledger?.closedExecutions ?? -1;
        if (lines.length < expected) {
            throw new DataFolderDamaged(
                this.closedFile,
                `holds ${lines.length} closed execution(s), and the data folder recorded at least ${expected} written there: it was cut or emptied, and the saga ids of the missing ones would be free again`,
            );
        }
        if (expected === -1) this.ledger?.countClosed(lines.length);
        const running: KeptExecution[] = [];
        for (const file of fs.readdirSync(this.runningDir).filter((name) => name.endsWith(".jsonl"))) {
            const kept = this.readJournal(path.join(this.runningDir, file), closed);
            if (kept) running.push(kept);
        }
        // Every execution started is closed or still has its journal: one with neither lost its records.
        const kept = closed.size + running.length;
        const started = this.ledger?.startedExecutions ?? -1;
        if (kept < started) {
            throw new DataFolderDamaged(
                this.runningDir,
                `and executions.jsonl hold ${running.length} running and ${closed.size} closed execution(s), and the data folder recorded at least ${started} started: ` +
                    "the journal of a running execution was removed, and its saga id would be free again",
            );
        }
        this.startedCount = kept;
        if (started === -1) this.ledger?.countStarted(kept);
        return { closed: [...closed.values()], running };
    }

    /**
     * The journal of a new execution: its first line is written before StartExecution answers.
     * Throws UnpersistedWrite when it cannot be: the execution is then not started.
     */
    open(record: ExecutionRecord, definition: string): ExecutionJournal {
        const file = this.journalFile(record.executionArn);
        try {
            const key = this.keepDefinition(definition);
            const { executionArn, stateMachineArn, name, input, startDate } = record;
            appendRecord(file, { execution: { executionArn, stateMachineArn, name, input, startDate, definition: key } });
        } catch (error) {
            this.ledger?.failedWrite(error);
            throw new UnpersistedWrite(`the execution ${record.name}`, error);
        }
        this.startedCount += 1;
        this.ledger?.countStarted(this.startedCount);
        return new ExecutionJournal(file, this, this.warn);
    }

    /** The journal of a kept execution, to append to as it resumes. */
    reopen(record: ExecutionRecord): ExecutionJournal {
        return new ExecutionJournal(this.journalFile(record.executionArn), this, this.warn);
    }

    /** Keeps a closed execution for good (executions.jsonl), and counts it in the data folder's manifest. */
    saveClosed(record: ExecutionRecord): void {
        appendRecord(this.closedFile, record);
        this.closedCount += 1;
        this.ledger?.countClosed(this.closedCount);
    }

    /** A journal's write failed. */
    failedWrite(error: unknown): void {
        this.ledger?.failedWrite(error);
    }

    private journalFile(executionArn: string): string {
        return path.join(this.runningDir, `${sha256(executionArn).slice(0, 40)}.jsonl`);
    }

    /** Writes a definition once, whole or not at all (renamed into place); answers its key. */
    private keepDefinition(definition: string): string {
        const key = sha256(definition);
        if (!this.definitionsKept.has(key)) {
            const file = path.join(this.definitionsDir, `${key}.json`);
            if (!fs.existsSync(file)) {
                const partial = `${file}.${process.pid}.tmp`;
                fs.writeFileSync(partial, definition);
                fs.renameSync(partial, file);
            }
            this.definitionsKept.add(key);
        }
        return key;
    }

    /** A journal as it was left: closed (moved to `closed`, the file removed), open, or unreadable. */
    private readJournal(file: string, closed: Map<string, ExecutionRecord>): KeptExecution | undefined {
        const [first, ...rest] = readRecords(file, { holds: "a running execution's journal", check: journalLine, warn: this.warn });
        if (first !== undefined && !("execution" in (first as object))) {
            throw new DataFolderDamaged(file, `does not start with the execution it journals (its first line holds ${Object.keys(first as object).join(", ") || "nothing"})`);
        }
        if (rest.some((line) => "execution" in (line as object))) throw new DataFolderDamaged(file, "names its execution twice");
        const started = (first as StartedLine | undefined)?.execution;
        if (!started) {
            // Cut short while StartExecution was writing it: that call never answered.
            this.warn(`Dropped ${path.basename(file)}: an execution whose start was never written whole.`);
            fs.rmSync(file, { force: true });
            return undefined;
        }
        const history = (rest as ProgressLine[]).flatMap((line) => line.events ?? []);
        const end = (rest as ProgressLine[]).find((line) => line.closed)?.closed;
        const record = revive({ ...started, status: "RUNNING", history } as unknown as ExecutionRecord);
        delete (record as Partial<StartedLine["execution"]>).definition;
        if (end || closed.has(record.executionArn)) {
            // Closed, but the process stopped before the journal was folded into executions.jsonl.
            if (!closed.has(record.executionArn)) {
                const finished = revive({ ...record, ...end } as ExecutionRecord);
                this.saveClosed(finished);
                closed.set(finished.executionArn, finished);
            }
            fs.rmSync(file, { force: true });
            return undefined;
        }
        const definitionFile = path.join(this.definitionsDir, `${started.definition}.json`);
        if (!fs.existsSync(definitionFile)) {
            throw new DataFolderDamaged(definitionFile, `is missing; it held the definition the running execution ${record.name} runs on`);
        }
        const definition = fs.readFileSync(definitionFile, "utf8");
        if (sha256(definition) !== started.definition) {
            let wrong = "its content is not the definition its name is the digest of";
            try {
                const parsed = JSON.parse(definition) as { States?: unknown };
                if (typeof parsed?.States !== "object") wrong = "it is JSON, but no state machine definition";
            } catch {
                wrong = "it is not JSON (cut short or overwritten)";
            }
            throw new DataFolderDamaged(definitionFile, `is damaged (${wrong}); it held the definition the running execution ${record.name} runs on`);
        }
        return { record, definition };
    }
}

/** Appends one execution's progress to its journal; see the top of this file. */
export class ExecutionJournal {
    private pending: HistoryEvent[] = [];
    /** Suspended: nothing more is written, the journal stays for the next start. */
    private detached = false;
    /** A write failed: the execution goes on, but will not resume after a restart. */
    private broken = false;

    constructor(
        private readonly file: string,
        private readonly store: ExecutionStore,
        private readonly warn: (line: string) => void,
    ) {}

    /** History events to write with the next batch. */
    add(events: HistoryEvent[]): void {
        if (!this.detached) this.pending.push(...events);
    }

    /** Writes the events added since the last batch, as one line. */
    flush(): void {
        if (this.pending.length === 0) return;
        const line: ProgressLine = { events: this.pending };
        this.pending = [];
        this.write(line);
    }

    /** The last batch with the outcome; then the execution is kept as closed and its journal removed. */
    close(record: ExecutionRecord): void {
        if (this.detached) return;
        const { status, output, error, cause, stopDate } = record;
        this.write({ events: this.pending, closed: { status, output, error, cause, stopDate } });
        this.pending = [];
        this.detached = true;
        try {
            this.store.saveClosed(record);
            fs.rmSync(this.file, { force: true });
        } catch (error) {
            this.warn(`Could not keep the closed execution ${record.name} in the data folder: ${(error as Error).message}`);
        }
    }

    /** Stops writing and leaves the journal as it is: the execution resumes at the next start. */
    detach(): void {
        this.detached = true;
        this.pending = [];
    }

    /** Told when a write fails: the execution stops where its journal ends (suspended), to resume from there. */
    onFailure?: () => void;

    write(line: ProgressLine): void {
        if (this.detached || this.broken) return;
        try {
            // One write of one whole line: the kernel has it when this returns, so a killed
            // process loses nothing written (a power failure may lose what was not yet on disk).
            appendRecord(this.file, line);
        } catch (error) {
            this.broken = true;
            this.store.failedWrite(error);
            this.warn(`Could not write ${this.file} (${(error as Error).message}): the execution stops where its journal ends, and resumes from there at the next start.`);
            this.onFailure?.();
        }
    }
}

/** What a line of executions.jsonl must be: a closed execution, whose input is JSON. */
function closedRecord(value: unknown): string | undefined {
    const wrong = hasFields({ executionArn: "string", stateMachineArn: "string", name: "string", status: "string", input: "string", startDate: "string", history: "array" })(value);
    if (wrong) return wrong;
    const record = value as Record<string, unknown>;
    if (!["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].includes(record.status as string)) return `its status ${JSON.stringify(record.status)} is no closed execution's`;
    return datesAndInput(record);
}

/** What a line of a running journal must be: the execution it journals, or a batch of its history events. */
function journalLine(value: unknown): string | undefined {
    if (typeof value === "object" && value !== null && "execution" in value) {
        const started = (value as { execution: unknown }).execution;
        const wrong = hasFields({ executionArn: "string", stateMachineArn: "string", name: "string", input: "string", startDate: "string", definition: "string" })(started);
        const problem = wrong ?? datesAndInput(started as Record<string, unknown>);
        return problem && `the execution it starts with: ${problem}`;
    }
    const wrong = hasFields({ events: "array" })(value);
    if (wrong) return wrong;
    for (const event of (value as ProgressLine).events) {
        const eventWrong = hasFields({ id: "number", type: "string", timestamp: "string" })(event);
        if (eventWrong) return `a history event: ${eventWrong}`;
        const entered = (event as HistoryEvent).stateEnteredEventDetails as { input?: unknown } | undefined;
        if (entered && !isJson(entered.input)) return `the input of the state entered by event ${event.id} is not JSON`;
    }
    return undefined;
}

function datesAndInput(record: Record<string, unknown>): string | undefined {
    if (Number.isNaN(Date.parse(record.startDate as string))) return "its startDate is no date";
    if (!isJson(record.input)) return "its input is not JSON";
    return undefined;
}

function isJson(text: unknown): boolean {
    if (typeof text !== "string") return false;
    try {
        JSON.parse(text);
        return true;
    } catch {
        return false;
    }
}

function revive(raw: ExecutionRecord): ExecutionRecord {
    return {
        ...raw,
        startDate: new Date(raw.startDate),
        ...(raw.stopDate ? { stopDate: new Date(raw.stopDate) } : {}),
        history: raw.history.map((event) => ({ ...event, timestamp: new Date(event.timestamp) })),
    };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
