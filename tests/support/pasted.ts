// Running what `npm start` prints as a user would: each `curl` line pasted into a shell, with this
// machine's own curl (Debian 12's 7.88 signs query parameters in the order written).
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";

/** Where the machine's curl is; the tests that paste requests skip, saying so, without it. */
export const MACHINE_CURL = "/usr/bin/curl";
export const hasMachineCurl = () => fs.existsSync(MACHINE_CURL);

/** The printed requests: the lines that start with `curl`, as a user copies them. */
export const curlLines = (text: string) => text.split("\n").filter((line) => line.trimStart().startsWith("curl "));

/** Runs one printed line in bash, where `curl` is the machine's, and answers what it wrote. */
export async function paste(line: string): Promise<string> {
    const { stdout } = await promisify(execFile)("bash", ["-c", line], { env: { ...process.env, PATH: "/usr/bin:/bin" } });
    return stdout;
}
