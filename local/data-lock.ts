// One local cloud per data folder. A second cloud on the same folder stops at start-up with a
// message naming the first, rather than failing later inside the store ("Database is closed").
//
// The lock is a file per generation, `<dir>/local-cloud.<N>.lock`, naming the process that holds
// it (its PID, when the kernel started it, when and where it serves). The highest generation is
// the lock. Taking it is one atomic step that exactly one process can win, however many start at
// the same instant:
//   - the owner's description is written whole to a file of this process's own, then hard-linked
//     to `local-cloud.<N+1>.lock` (link fails with EEXIST if the name exists: O_EXCL semantics), so
//     nobody ever reads a lock half written;
//   - a process takes generation N+1 only after it found generation N stale (its process has ended,
//     or it was released): of all who found it stale, the one whose link succeeds holds the lock;
//     the others find N+1 held and stop;
//   - nobody ever removes or rewrites a lock they do not hold, so a stale lock is never "taken
//     over" by deleting it (where two takers can each delete the other's fresh lock); older
//     generations are removed only by the holder of a newer one, and a process that links an
//     older generation after that finds a newer one and gives up its own;
//   - releasing rewrites the holder's generation as released (renamed into place, whole) instead
//     of deleting it, so generation numbers never start again from 1 under a process that read an
//     older listing.
// A process counts as ended when the kernel says it no longer runs: no such PID, a zombie (`Z`:
// killed, not yet reaped by its parent, it still answers kill(pid, 0) but runs no more code), or
// a PID reused by a process started at another time.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export class DataDirInUseError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DataDirInUseError";
    }
}

interface LockOwner {
    pid: number;
    host: string;
    /** The process's start time as the kernel counts it (Linux), so a reused PID is not taken for the owner. */
    processStart?: string;
    startedAt: string;
    url?: string;
    /** Set when the holder let the folder go: the next cloud takes the next generation. */
    released?: boolean;
}

const LOCK_NAME = /^local-cloud\.(\d+)\.lock$/;
/** The single lock file of local clouds before generations: read as generation 0, never written. */
const LEGACY_LOCK = "local-cloud.lock";
const lockName = (generation: number) => `local-cloud.${generation}.lock`;

export class DataLock {
    private constructor(
        private readonly dataDir: string,
        private readonly file: string,
        private owner: LockOwner,
    ) {}

    /** Takes the folder's lock, or throws DataDirInUseError naming the cloud that holds it. */
    static acquire(dataDir: string): DataLock {
        fs.mkdirSync(dataDir, { recursive: true });
        const owner: LockOwner = { pid: process.pid, host: os.hostname(), processStart: processStart(process.pid), startedAt: new Date().toISOString() };
        // Each lost race means another process took a newer generation meanwhile: it is checked next round.
        for (let attempt = 0; attempt < 50; attempt++) {
            const top = newestGeneration(dataDir);
            if (top) {
                const holder = readOwner(path.join(dataDir, top.name));
                if (holder && !holder.released && isAlive(holder)) throw inUse(dataDir, holder);
            }
            const generation = (top?.generation ?? 0) + 1;
            const file = path.join(dataDir, lockName(generation));
            if (!linkWhole(file, JSON.stringify(owner))) continue;
            // A process that read an older listing may have linked an older generation; one that
            // took a newer one than ours must have found ours stale, which it cannot be: so a newer
            // one means ours is the older listing's (we are that process). Ours is then given up.
            if (generationsOf(dataDir).some((other) => other.generation > generation)) {
                fs.rmSync(file, { force: true });
                continue;
            }
            for (const older of generationsOf(dataDir)) if (older.generation < generation) fs.rmSync(path.join(dataDir, older.name), { force: true });
            fs.rmSync(path.join(dataDir, LEGACY_LOCK), { force: true });
            return new DataLock(dataDir, file, owner);
        }
        throw new DataDirInUseError(`Could not take the lock of the data folder ${dataDir}: other local clouds kept starting on it at the same time.`);
    }

    /** Adds the URL the cloud serves, for the message another cloud on this folder gets. */
    describe(url: string): void {
        this.owner = { ...this.owner, url };
        if (this.held()) replaceWhole(this.file, JSON.stringify(this.owner));
    }

    /** Lets the folder go, if this process still holds it: its generation is marked released. */
    release(): void {
        if (this.held()) replaceWhole(this.file, JSON.stringify({ ...this.owner, released: true }));
    }

    private held(): boolean {
        const holder = readOwner(this.file);
        return holder?.pid === this.owner.pid && holder.startedAt === this.owner.startedAt && !holder.released && newestGeneration(this.dataDir)?.name === path.basename(this.file);
    }
}

function inUse(dataDir: string, holder: LockOwner): DataDirInUseError {
    const who = holder.pid === process.pid ? "another local cloud in this process" : `the local cloud of process ${holder.pid}`;
    const where = holder.url ? ` at ${holder.url}` : "";
    return new DataDirInUseError(
        `The data folder ${dataDir} is in use by ${who}${where} (started ${holder.startedAt}${holder.host !== os.hostname() ? ` on ${holder.host}` : ""}). ` +
            "Stop that one first (Ctrl-C), or give this one another --data folder.",
    );
}

function generationsOf(dataDir: string): { name: string; generation: number }[] {
    return fs.readdirSync(dataDir).flatMap((name) => {
        const match = LOCK_NAME.exec(name);
        if (match) return [{ name, generation: Number(match[1]) }];
        return name === LEGACY_LOCK ? [{ name, generation: 0 }] : [];
    });
}

function newestGeneration(dataDir: string): { name: string; generation: number } | undefined {
    return generationsOf(dataDir).reduce<{ name: string; generation: number } | undefined>((top, g) => (!top || g.generation > top.generation ? g : top), undefined);
}

/** A file of this process's own beside `file`, written whole; removed by the caller. */
function writePrivate(file: string, text: string): string {
    const own = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(own, text, { flag: "wx" });
    return own;
}

/** Creates `file` holding `text`, whole, unless it exists (then false). */
function linkWhole(file: string, text: string): boolean {
    const own = writePrivate(file, text);
    try {
        fs.linkSync(own, file);
        return true;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
    } finally {
        fs.rmSync(own, { force: true });
    }
}

/** Replaces `file` (this process's own lock) with `text`, whole. */
function replaceWhole(file: string, text: string): void {
    const own = writePrivate(file, text);
    try {
        fs.renameSync(own, file);
    } catch (error) {
        fs.rmSync(own, { force: true });
        throw error;
    }
}

/** The lock's owner; undefined when the file is gone or is no lock a cloud wrote (taken as stale). */
function readOwner(file: string): LockOwner | undefined {
    try {
        const owner = JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
        return Number.isInteger(owner.pid) ? owner : undefined;
    } catch {
        return undefined;
    }
}

function isAlive(owner: LockOwner): boolean {
    // Another machine's process (a shared folder) cannot be checked: taken as running.
    if (owner.host !== os.hostname()) return true;
    const state = processState(owner.pid);
    if (state === undefined) {
        // No /proc (not Linux): whether the PID exists is all the system tells.
        try {
            process.kill(owner.pid, 0);
            return true;
        } catch (error) {
            return (error as NodeJS.ErrnoException).code !== "ESRCH";
        }
    }
    if (state === "gone" || state.state === "Z" || state.state === "X" || state.state === "x") return false;
    // A PID the system gave to another process since: not the owner.
    return !(owner.processStart && owner.processStart !== state.start);
}

/**
 * A process's state (field 3 of /proc/<pid>/stat: R, S, D, Z for a zombie, X when dead) and its
 * start time (field 22); "gone" when no such process; undefined where the system has no /proc.
 */
function processState(pid: number): { state: string; start: string } | "gone" | undefined {
    let stat: string;
    try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ENOENT" && fs.existsSync("/proc/self/stat") ? "gone" : undefined;
    }
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], start: fields[19] };
}

function processStart(pid: number): string | undefined {
    const state = processState(pid);
    return typeof state === "object" ? state.start : undefined;
}
