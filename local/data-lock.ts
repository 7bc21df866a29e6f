// One local cloud per data folder: `<dir>/local-cloud.lock` names the process that uses it (its
// PID, when it started, its URL). A second cloud on the same folder stops at start-up with a
// message naming the first, rather than failing later inside the store ("Database is closed").
// A lock left by a process that no longer runs (killed, crashed) is taken over.
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
}

const LOCK_FILE = "local-cloud.lock";

export class DataLock {
    private constructor(
        private readonly file: string,
        private owner: LockOwner,
    ) {}

    /** Takes the folder's lock, or throws DataDirInUseError naming the cloud that holds it. */
    static acquire(dataDir: string): DataLock {
        fs.mkdirSync(dataDir, { recursive: true });
        const file = path.join(dataDir, LOCK_FILE);
        const owner: LockOwner = { pid: process.pid, host: os.hostname(), processStart: processStart(process.pid), startedAt: new Date().toISOString() };
        for (let attempt = 0; attempt < 3; attempt++) {
            try {
                fs.writeFileSync(file, JSON.stringify(owner), { flag: "wx" });
                return new DataLock(file, owner);
            } catch (error) {
                if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
            }
            const holder = readOwner(file);
            if (holder && isAlive(holder)) {
                const who = holder.pid === process.pid ? "another local cloud in this process" : `the local cloud of process ${holder.pid}`;
                const where = holder.url ? ` at ${holder.url}` : "";
                throw new DataDirInUseError(
                    `The data folder ${dataDir} is in use by ${who}${where} (started ${holder.startedAt}${holder.host !== os.hostname() ? ` on ${holder.host}` : ""}). ` +
                        "Stop that one first (Ctrl-C), or give this one another --data folder.",
                );
            }
            // Left by a process that has ended: take it over (whoever removes it first wins the next round).
            fs.rmSync(file, { force: true });
        }
        throw new DataDirInUseError(`Could not take the lock of the data folder ${dataDir} (${file}): another local cloud is starting on it.`);
    }

    /** Adds the URL the cloud serves, for the message another cloud on this folder gets. */
    describe(url: string): void {
        this.owner = { ...this.owner, url };
        if (this.held()) fs.writeFileSync(this.file, JSON.stringify(this.owner));
    }

    /** Removes the lock, if it is still this process's. */
    release(): void {
        if (this.held()) fs.rmSync(this.file, { force: true });
    }

    private held(): boolean {
        const holder = readOwner(this.file);
        return holder?.pid === this.owner.pid && holder.startedAt === this.owner.startedAt;
    }
}

/** The lock's owner; undefined when the file is gone or was never written whole (a stale lock). */
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
    try {
        process.kill(owner.pid, 0);
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    }
    // A PID the system gave to another process since: not the owner.
    const start = processStart(owner.pid);
    return !(owner.processStart && start && owner.processStart !== start);
}

/** The start time of a process (field 22 of /proc/<pid>/stat), where the system tells it. */
function processStart(pid: number): string | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // The command name (field 2) may hold spaces and parentheses: count from its closing one.
        return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    } catch {
        return undefined;
    }
}
