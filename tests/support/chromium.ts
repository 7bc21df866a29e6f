// The headless Chromium the browser tests drive (Debian's `chromium`, through playwright-core),
// and what they do without one: skipped, saying so; SAGA_REQUIRE_BROWSER=1 (CI) fails them instead.
import { accessSync, constants } from "node:fs";
import type { Browser } from "playwright-core";

const CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
const DEBIAN_CHROMIUM = "/usr/bin/chromium";

export type ChromiumLookup = { path: string } | { missing: string } | { wrong: string };

/** The Chromium to drive: CHROME_PATH, else Debian's; or why there is none. */
export function findChromium(): ChromiumLookup {
    const given = process.env.CHROME_PATH;
    try {
        accessSync(given || DEBIAN_CHROMIUM, constants.X_OK);
        return { path: given || DEBIAN_CHROMIUM };
    } catch {
        // A CHROME_PATH that names no browser is a mistake to report, not a machine without one.
        return given ? { wrong: `CHROME_PATH=${given} is not an executable file` } : { missing: `no Chromium at ${DEBIAN_CHROMIUM}, and CHROME_PATH is not set` };
    }
}

/** Launches it headless; `args` are flags of Chromium's own besides the usual ones. */
export async function launchChromium(found: { path: string }, args: string[] = []): Promise<Browser> {
    const { chromium } = await import("playwright-core");
    return chromium.launch({ executablePath: found.path, args: [...CHROMIUM_FLAGS, ...args] });
}

/**
 * In a `before` hook of `what` (e.g. "the console's browser tests"): throws when they cannot run
 * as asked (a wrong CHROME_PATH, or no Chromium under SAGA_REQUIRE_BROWSER=1), skips them saying
 * why when there is no Chromium; true when there is one to launch.
 */
export function chromiumFor(context: Mocha.Context, found: ChromiumLookup, what: string): found is { path: string } {
    if ("wrong" in found) throw new Error(`${what} cannot run: ${found.wrong}.`);
    if ("missing" in found) {
        const why = `${found.missing}. To run them: apt-get install -y --no-install-recommends chromium, or CHROME_PATH=<a Chrome or Chromium> npm test.`;
        if (process.env.SAGA_REQUIRE_BROWSER === "1") throw new Error(`${what} must run here (SAGA_REQUIRE_BROWSER=1): ${why}`);
        console.log(`      Skipping ${what}: ${why}`);
        context.skip();
    }
    return true;
}
