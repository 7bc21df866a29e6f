// One local cloud running the reference program with its stack's own settings, booted on first use
// and shared by the test files that only send it requests and never need it fresh (the end-to-end,
// API, metrics, robustness and fuzz tests: they name their own trips, count from a reset or count
// differences, and put back a fault they switch on): a boot takes seconds. Stopped by a root-level
// hook, registered when the first test file imports this module.
import { bootCloud, Booted } from "../../local/client";

let booted: Promise<Booted> | undefined;

after(async () => (await booted)?.cloud.stop());

export interface SharedCloud {
    booted: Booted;
    port: number;
    /** What the cloud logged as its own error (a request's, or no request's) since this test file attached. */
    ownErrors(): string[];
}

export async function sharedCloud(): Promise<SharedCloud> {
    const cloud = await (booted ??= bootCloud());
    const firstLine = cloud.lines.length;
    return {
        booted: cloud,
        port: Number(new URL(cloud.cloud.url).port),
        ownErrors: () => cloud.lines.slice(firstLine).filter((line) => line.startsWith("Internal error") || line.startsWith("Uncaught error")),
    };
}
