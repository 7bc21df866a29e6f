// Where the data folder (`--data <dir>`) keeps Step Functions executions, so that a restart, a
// stop or a crash of the local cloud loses none:
//   stepfunctions/executions.jsonl        one JSON line per closed execution (the latest line of an ARN wins)
//   stepfunctions/running/<id>.jsonl      one file per open execution: a first line with what it is
//                                         (name, input, start, the definition it runs), then one line
//                                         per batch of history events, each written before the
//                                         execution's next Task runs; the last line closes it
//   stepfunctions/definitions/<sha>.json  the definitions executions run on: a resumed execution
//                                         continues on the definition it started with, as on AWS
// Every file is append-only. A line is a whole batch: a line cut short by a crash (the last one)
// is dropped whole at the next start, and the file is cut back to its last whole line, so a
// resumed execution continues from the last batch that was written entirely.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { readJsonLines as readLines } from "../jsonl";
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

export class ExecutionStore {
    private readonly closedFile: string;
    private readonly runningDir: string;
    private readonly definitionsDir: string;
    private readonly definitionsKept = new Set<string>();

    constructor(
        dataDir: string,
        /** Where the store says what it had to repair or could not write. */
        private readonly warn: (line: string) => void,
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
        for (const raw of readLines(this.closedFile, this.warn)) {
            const record = revive(raw as ExecutionRecord);
            closed.set(record.executionArn, record);
        }
        const running: KeptExecution[] = [];
        for (const file of fs.readdirSync(this.runningDir).filter((name) => name.endsWith(".jsonl"))) {
            const kept = this.readJournal(path.join(this.runningDir, file), closed);
            if (kept) running.push(kept);
        }
        return { closed: [...closed.values()], running };
    }

    /** The journal of a new execution: its first line is written before StartExecution answers. */
    open(record: ExecutionRecord, definition: string): ExecutionJournal {
        const journal = new ExecutionJournal(this.journalFile(record.executionArn), this, this.warn);
        let key: string;
        try {
            key = this.keepDefinition(definition);
        } catch (error) {
            journal.failed(error);
            return journal;
        }
        const { executionArn, stateMachineArn, name, input, startDate } = record;
        journal.write({ execution: { executionArn, stateMachineArn, name, input, startDate, definition: key } });
        return journal;
    }

    /** The journal of a kept execution, to append to as it resumes. */
    reopen(record: ExecutionRecord): ExecutionJournal {
        return new ExecutionJournal(this.journalFile(record.executionArn), this, this.warn);
    }

    /** Keeps a closed execution for good (executions.jsonl). */
    saveClosed(record: ExecutionRecord): void {
        fs.appendFileSync(this.closedFile, `${JSON.stringify(record)}\n`);
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
        const [first, ...rest] = readLines(file, this.warn);
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
            this.warn(`Dropped the execution ${record.name}: its definition (${path.basename(definitionFile)}) is missing from the data folder.`);
            return undefined;
        }
        return { record, definition: fs.readFileSync(definitionFile, "utf8") };
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

    write(line: StartedLine | ProgressLine): void {
        if (this.detached || this.broken) return;
        try {
            // One write of one whole line: the kernel has it when this returns, so a killed
            // process loses nothing written (a power failure may lose what was not yet on disk).
            fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
        } catch (error) {
            this.failed(error);
        }
    }

    /** Writing failed: the execution goes on without its journal. */
    failed(error: unknown): void {
        this.broken = true;
        this.warn(`Could not write ${this.file} (${(error as Error).message}): this execution will not resume after a restart.`);
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
