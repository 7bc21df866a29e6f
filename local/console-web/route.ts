// Serves the console, a page in the browser, on the local cloud's port: GET / redirects to
// /_console/ (on AWS nothing answers at the host's root: no API stage is named there), which
// serves the page, its style sheet and its script. The script is the page's TypeScript
// (page/*.mts) bundled with esbuild, with dagre, on the first request; nothing comes from
// anywhere else, and the Content-Security-Policy says so to the browser.
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as path from "node:path";

export const CONSOLE_PATH = "/_console/";

const STATIC = path.join(__dirname, "static");
const ENTRY = path.join(__dirname, "page", "main.mts");

const SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
};

interface Asset {
    type: string;
    body(): Promise<Buffer | string>;
}

let bundle: Promise<string> | undefined;

/** The page's script: built once per process (~50 ms), kept in memory. */
function script(): Promise<string> {
    bundle ??= build({
        entryPoints: [ENTRY],
        bundle: true,
        write: false,
        format: "esm",
        platform: "browser",
        target: "es2022",
        minify: true,
        legalComments: "none",
        logLevel: "silent",
    }).then((result) => result.outputFiles[0].text);
    // A failed build is not kept: the next request tries again (after the file is fixed).
    bundle.catch(() => (bundle = undefined));
    return bundle;
}

const ASSETS: Record<string, Asset> = {
    "": { type: "text/html; charset=utf-8", body: async () => readFileSync(path.join(STATIC, "index.html")) },
    "console.css": { type: "text/css; charset=utf-8", body: async () => readFileSync(path.join(STATIC, "console.css")) },
    "console.js": { type: "text/javascript; charset=utf-8", body: script },
};

/** Whether the console answers this request: anything under /_console, and a browser's GET of the root. */
export function isConsoleRequest(method: string | undefined, pathname: string): boolean {
    if (pathname === "/") return method === "GET" || method === "HEAD";
    return pathname === "/_console" || pathname.startsWith(CONSOLE_PATH);
}

export async function serveConsole(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? "GET";
    if (url.pathname === "/" || url.pathname === "/_console") {
        response.writeHead(302, { location: CONSOLE_PATH, "content-length": 0 });
        return void response.end();
    }
    const file = url.pathname.slice(CONSOLE_PATH.length);
    // Own files only: `constructor` and the other names every object inherits are no asset.
    const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!asset) return answer(response, 404, "text/plain; charset=utf-8", `No ${url.pathname}: the console is at ${CONSOLE_PATH}.\n`, method);
    if (method !== "GET" && method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
        return void response.end("The console's files are read with GET.\n");
    }
    answer(response, 200, asset.type, await asset.body(), method);
}

function answer(response: ServerResponse, status: number, type: string, body: Buffer | string, method: string): void {
    response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...SECURITY_HEADERS });
    response.end(method === "HEAD" ? undefined : body);
}
