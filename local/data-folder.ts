// The data folder (`--data <dir>`) as a whole: what must be true of it before the local cloud
// starts on it, and what it says of itself.
//
// Every start either comes up consistent or refuses with one line (DataFolderError) naming the
// damaged file and what it held. Checked before anything is loaded:
//   - its shape: each folder the stores keep is a folder, each file a file; the folder can be
//     written (a cloud that could not keep a saga must not acknowledge it);
//   - the manifest, `<dir>/data-folder.json`, written whole (renamed into place) by the cloud:
//       tables            the DynamoDB tables created in this folder: a table store deleted (and so
//                         recreated empty) or replaced is detected, not served;
//       closedExecutions  how many closed executions stepfunctions/executions.jsonl holds at least
//                         (counted after each is written): a file cut or emptied is detected, and the
//                         saga ids it held are not given out again;
//       startedExecutions how many executions were started at least (counted after each journal's
//                         first line is written): every one is closed or has its running journal, so
//                         a journal removed after a crash is detected too;
//       sealed            written when the cloud stops cleanly, removed when the next one starts: a
//                         digest of every file and of every table's items. Anything changed while no
//                         cloud ran (a cut or overwritten table log, a file emptied, removed or
//                         added) is detected and named;
//   - the table store (LevelDB) opens, and every entry of it can be read (a damaged CURRENT or
//     MANIFEST, or a damaged table file, is named here instead of hanging every request);
//   - each file of records, as it is read (local/jsonl.ts: a checksum per record).
// After a crash there is no seal: what protects then is the checksums, the manifest's tables and
// counts, and LevelDB's own recovery (which keeps what was written whole).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** The data folder cannot be used as it is: told in one line, with no stack trace. */
export class DataFolderError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DataFolderError";
    }
}

/** A file of the data folder is damaged: names it, and what it held. */
export class DataFolderDamaged extends DataFolderError {
    constructor(
        readonly file: string,
        readonly problem: string,
    ) {
        super(`The data folder is damaged: ${file} ${problem}. Restore it from a copy, or start with another --data folder (the local cloud does not start on a damaged one).`);
    }
}

/**
 * What a request asked for could not be written to the data folder: the request is refused (503),
 * so that nothing is acknowledged that a restart would lose.
 */
export class UnpersistedWrite extends Error {
    constructor(what: string, cause: unknown) {
        super(`The local cloud could not keep ${what} in its data folder (${reason(cause)}): refused, so that nothing is acknowledged that a restart would lose. Try again once the folder can be written.`);
        this.name = "UnpersistedWrite";
    }
}

/** What the data folder told at start, and since: also in GET /_local (`data`). */
export interface DataFolderStatus {
    folder: string;
    /**
     * What a start dropped: writes cut short by a crash, which nothing had acknowledged (a
     * message never sent, a batch of history events whose Task runs again), each with when.
     */
    dropped: { at: string; what: string }[];
    /** Since when, and why, the folder cannot be written: new work is refused (503) until it can. */
    unwritable?: { since: string; reason: string };
    /** Whether the last stop sealed the folder, and whether this start found it as sealed. */
    seal: "verified" | "none (the last cloud did not stop cleanly, or never ran here)";
}

const MANIFEST = "data-folder.json";
/** The folders the stores keep (relative to the data folder), with what each holds. */
const FOLDERS: Record<string, string> = {
    dynamodb: "the DynamoDB tables",
    stepfunctions: "the Step Functions executions",
    "stepfunctions/running": "the running executions' journals",
    "stepfunctions/definitions": "the state machine definitions executions run on",
    events: "the events not yet delivered",
    sqs: "the queued messages",
    logs: "the log groups' events",
};
/** Files kept at known places. */
const FILES: Record<string, string> = {
    "stepfunctions/executions.jsonl": "the closed executions",
    "events/pending.jsonl": "the events not yet delivered",
};
/** The folders whose files the seal covers (the table store is covered by its entries, not its files). */
const SEALED_FOLDERS = ["stepfunctions", "events", "sqs", "logs"];

interface TableDigest {
    items: number;
    sha256: string;
}

interface FileDigest {
    bytes: number;
    sha256: string;
}

interface Manifest {
    format: 1;
    note: string;
    tables: string[];
    closedExecutions: number;
    /** Absent in manifests written before it was counted: counted from the next start. */
    startedExecutions?: number;
    sealed?: { at: string; files: Record<string, FileDigest>; tables: Record<string, TableDigest> };
}

export class DataFolder {
    private manifest: Manifest;
    private readonly dropped: DataFolderStatus["dropped"] = [];
    private unwritable?: DataFolderStatus["unwritable"];
    private sealVerified = false;

    private constructor(
        readonly dir: string,
        manifest: Manifest,
    ) {
        this.manifest = manifest;
    }

    /**
     * Checks the folder's shape and that it can be written, creating it if need be; reads its
     * manifest. Throws DataFolderError (one line) when it cannot be used.
     */
    static open(dir: string): DataFolder {
        try {
            fs.mkdirSync(dir, { recursive: true });
        } catch (error) {
            throw new DataFolderError(`The data folder ${dir} cannot be created: ${reason(error)}.`);
        }
        if (!fs.statSync(dir).isDirectory()) throw new DataFolderError(`The data folder ${dir} is a file, not a folder.`);
        for (const [folder, holds] of Object.entries(FOLDERS)) {
            const at = path.join(dir, folder);
            const stat = statOf(at);
            if (stat && !stat.isDirectory()) throw new DataFolderDamaged(at, `is a file (${stat.size} bytes) where the local cloud keeps a folder (${holds})`);
        }
        for (const [file, holds] of Object.entries(FILES)) {
            if (statOf(path.join(dir, file))?.isDirectory()) throw new DataFolderDamaged(path.join(dir, file), `is a folder where the local cloud keeps a file (${holds})`);
        }
        const unwritable = writeProbe(dir);
        if (unwritable) {
            throw new DataFolderError(
                `The data folder ${dir} cannot be written (${unwritable}): the local cloud keeps every saga there before it acknowledges it, so it does not start on a folder it cannot write.`,
            );
        }
        const file = path.join(dir, MANIFEST);
        let manifest: Manifest;
        if (fs.existsSync(file)) {
            try {
                manifest = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
            } catch {
                throw new DataFolderDamaged(file, "is not JSON; it held what the data folder holds (its tables, its count of closed executions, its seal)");
            }
            if (manifest?.format !== 1 || !Array.isArray(manifest.tables) || !Number.isInteger(manifest.closedExecutions)) {
                throw new DataFolderDamaged(file, "is not the manifest the local cloud writes; it held what the data folder holds (its tables, its count of closed executions, its seal)");
            }
        } else {
            // A new folder, or one of a local cloud before manifests: what it holds now is its start.
            manifest = { format: 1, note: "What this data folder holds; the local cloud checks it at every start. Do not edit.", tables: [], closedExecutions: -1, startedExecutions: -1 };
        }
        return new DataFolder(dir, manifest);
    }

    /**
     * Verifies the folder against the seal of the last clean stop, if any, then removes the seal
     * (from now on the folder changes). `tables` are the table store's digests (readTableStore).
     */
    verifySeal(tables: Record<string, TableDigest>): void {
        for (const name of this.manifest.tables) {
            if (!tables[name]) {
                throw new DataFolderDamaged(
                    path.join(this.dir, "dynamodb"),
                    `has no table ${name}, which the program created in this folder (its table store was deleted or replaced; it held the table's items)`,
                );
            }
        }
        const sealed = this.manifest.sealed;
        if (sealed) {
            for (const [name, then] of Object.entries(sealed.tables)) {
                const now = tables[name];
                if (!now || now.items !== then.items || now.sha256 !== then.sha256) {
                    const change = !now ? "it is gone" : now.items !== then.items ? `it holds ${now.items} now` : "it holds as many, with other content";
                    throw new DataFolderDamaged(
                        path.join(this.dir, "dynamodb"),
                        `changed since the local cloud last stopped (${sealed.at}): the table ${name} held ${then.items} item(s) then, ${change}`,
                    );
                }
            }
            const files = digestFiles(this.dir);
            for (const [file, then] of Object.entries(sealed.files)) {
                const now = files[file];
                if (!now || now.sha256 !== then.sha256) {
                    const change = !now ? "it is gone" : now.bytes !== then.bytes ? `it has ${now.bytes} bytes now` : "it has as many, with other content";
                    throw new DataFolderDamaged(path.join(this.dir, file), `changed since the local cloud last stopped (${sealed.at}): it had ${then.bytes} bytes then (${describeFile(file)}), ${change}`);
                }
            }
            for (const file of Object.keys(files)) {
                if (!sealed.files[file]) throw new DataFolderDamaged(path.join(this.dir, file), `was added since the local cloud last stopped (${sealed.at}); it holds ${describeFile(file)}`);
            }
            this.sealVerified = true;
        }
        this.manifest = { ...this.manifest, sealed: undefined };
        this.write();
    }

    /** A table the program created: its store must hold it from now on. */
    tableCreated(name: string): void {
        if (this.manifest.tables.includes(name)) return;
        this.manifest = { ...this.manifest, tables: [...this.manifest.tables, name].sort() };
        this.write();
    }

    /**
     * How many closed executions the data folder recorded at least; -1 when it never counted
     * (a folder of a cloud before manifests).
     */
    get closedExecutions(): number {
        return this.manifest.closedExecutions;
    }

    /** How many executions the data folder recorded started at least; -1 when it never counted. */
    get startedExecutions(): number {
        return this.manifest.startedExecutions ?? -1;
    }

    /** The count of closed executions written so far (never lowered: a crash between the two writes leaves it one behind). */
    countClosed(count: number): void {
        this.count({ closedExecutions: count });
    }

    /** The count of executions started so far (as countClosed). */
    countStarted(count: number): void {
        this.count({ startedExecutions: count });
    }

    private count(counts: { closedExecutions?: number; startedExecutions?: number }): void {
        const [[field, count]] = Object.entries(counts) as [["closedExecutions" | "startedExecutions", number]];
        if (count <= (this.manifest[field] ?? -1)) return;
        this.manifest = { ...this.manifest, [field]: count };
        try {
            this.write();
        } catch (error) {
            // The count stays lower in the file: still a true "at least". The failed write is told.
            this.failedWrite(error);
        }
    }

    /** Writes the seal: the digest of every file and every table, after the last write of a clean stop. */
    seal(tables: Record<string, TableDigest>): void {
        this.manifest = { ...this.manifest, sealed: { at: new Date().toISOString(), files: digestFiles(this.dir), tables } };
        this.write();
    }

    /** A start dropped a write cut short by a crash (nothing had acknowledged it). */
    droppedAtStart(what: string): void {
        this.dropped.push({ at: new Date().toISOString(), what });
    }

    /**
     * A write to the folder failed: from now on new work is refused until `writable()` says it
     * can be written again. Answers whether this is news (to log it once).
     */
    failedWrite(error: unknown): boolean {
        if (this.unwritable) return false;
        this.unwritable = { since: new Date().toISOString(), reason: reason(error) };
        return true;
    }

    /** Undefined when the folder can be written (again); else why not. Probed at most every 500 ms. */
    unwritableReason(): string | undefined {
        if (!this.unwritable) return undefined;
        const now = Date.now();
        if (now - this.lastProbe < 500) return this.unwritable.reason;
        this.lastProbe = now;
        const still = writeProbe(this.dir);
        if (still) this.unwritable.reason = still;
        else this.unwritable = undefined;
        return still;
    }
    private lastProbe = 0;

    status(): DataFolderStatus {
        return {
            folder: this.dir,
            dropped: [...this.dropped],
            ...(this.unwritable ? { unwritable: { ...this.unwritable } } : {}),
            seal: this.sealVerified ? "verified" : "none (the last cloud did not stop cleanly, or never ran here)",
        };
    }

    private write(): void {
        const file = path.join(this.dir, MANIFEST);
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, `${JSON.stringify(this.manifest, null, 1)}\n`);
        fs.renameSync(partial, file);
    }
}

/**
 * Opens the table store (LevelDB, as dynalite does) and reads every entry, so that a damaged store
 * is named at start rather than hanging or failing requests; answers each table's digest.
 */
export async function readTableStore(dir: string): Promise<Record<string, TableDigest>> {
    const store = path.join(dir, "dynamodb");
    if (!fs.existsSync(store) || fs.readdirSync(store).length === 0) return {};
    // The LevelDB binding dynalite itself uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Level } = require(require.resolve("level", { paths: [path.dirname(require.resolve("dynalite"))] })) as typeof import("level");
    const db = new Level<string, string>(store, { keyEncoding: "utf8", valueEncoding: "utf8", createIfMissing: false });
    const tables: Record<string, { items: number; hash: ReturnType<typeof createHash> }> = {};
    try {
        await db.open();
        for await (const [key, value] of db.iterator()) {
            // dynalite's keys: "table~<name>" (a table's description), "item-<name>~..." (its
            // items), "index-<type>~<name>~<index>~..." (its indexes, derived from its items).
            const table = /^table~(.*)$/.exec(key)?.[1] ?? /^item-(.*?)~/.exec(key)?.[1] ?? /^index-[a-z]+~(.*?)~/.exec(key)?.[1];
            if (table === undefined) continue;
            const digest = (tables[table] ??= { items: 0, hash: createHash("sha256") });
            if (key.startsWith("item-")) digest.items += 1;
            digest.hash.update(`${key.length}:${key}${value.length}:${value}`);
        }
    } catch (error) {
        throw new DataFolderDamaged(store, `cannot be read by LevelDB (${String((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message).split("\n")[0]}); it held the DynamoDB tables`);
    } finally {
        await db.close().catch(() => undefined);
    }
    return Object.fromEntries(Object.entries(tables).map(([name, { items, hash }]) => [name, { items, sha256: hash.digest("hex") }]));
}

/** Why a write to `dir` fails now (e.g. "EROFS: read-only file system"), or undefined when it works. */
function writeProbe(dir: string): string | undefined {
    const probe = path.join(dir, `.write-probe-${process.pid}`);
    try {
        fs.writeFileSync(probe, "");
        fs.rmSync(probe);
        return undefined;
    } catch (error) {
        return reason(error);
    }
}

function reason(error: unknown): string {
    const { code, message } = error as NodeJS.ErrnoException;
    if (!code) return message;
    // "EROFS: read-only file system, open '/x'": the code and what it means, not the call.
    return message.replace(/, \w+ '.*'$/, "");
}

function statOf(file: string): fs.Stats | undefined {
    try {
        return fs.statSync(file);
    } catch {
        return undefined;
    }
}

/** Every file of the sealed folders (relative paths), with its size and digest; temporary files aside. */
function digestFiles(dir: string): Record<string, FileDigest> {
    const files: Record<string, FileDigest> = {};
    const walk = (relative: string) => {
        const at = path.join(dir, relative);
        if (!statOf(at)?.isDirectory()) return;
        for (const name of fs.readdirSync(at).sort()) {
            const child = path.posix.join(relative, name);
            const stat = statOf(path.join(dir, child));
            if (stat?.isDirectory()) walk(child);
            else if (stat && !name.endsWith(".tmp")) {
                const content = fs.readFileSync(path.join(dir, child));
                files[child] = { bytes: content.length, sha256: createHash("sha256").update(content).digest("hex") };
            }
        }
    };
    for (const folder of SEALED_FOLDERS) walk(folder);
    return files;
}

/** What a file of the data folder holds, by where it is. */
function describeFile(file: string): string {
    if (FILES[file]) return FILES[file];
    if (file.startsWith("stepfunctions/running/")) return "a running execution's journal";
    if (file.startsWith("stepfunctions/definitions/")) return "a definition executions run on";
    if (file.startsWith("sqs/")) return `the messages of the queue ${path.basename(file, ".jsonl")}`;
    if (file.startsWith("logs/")) return "a log group's events";
    return "data of the local cloud";
}
