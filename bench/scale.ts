// Program scale: time and memory to build a saga of N steps under Pulumi mocks, each size in a
// fresh process so one measurement does not inherit another's heap or module cache.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

export interface ScaleFigure {
    steps: number;
    resources: number;
    buildMs: number;
    heapMB: number;
}

const CHILD = path.join(__dirname, "scale-child.ts");

export function measureScale(sizes = [3, 10, 30, 100]): ScaleFigure[] {
    return sizes.map((steps) => {
        const out = execFileSync(
            process.execPath,
            ["--expose-gc", require.resolve("ts-node/dist/bin"), "--transpile-only", CHILD, String(steps)],
            { cwd: path.resolve(__dirname, ".."), maxBuffer: 1 << 20 },
        );
        return JSON.parse(out.toString().trim().split("\n").at(-1)!) as ScaleFigure;
    });
}
