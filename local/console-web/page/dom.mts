// Small DOM helpers for the console's page: building elements, and formatting times.

type Child = Node | string | number | false | null | undefined;
type Props = Record<string, string | number | boolean | undefined>;

function append(parent: Element, children: Child[]): void {
    for (const child of children) {
        if (child === false || child === null || child === undefined) continue;
        parent.append(typeof child === "number" ? String(child) : child);
    }
}

function assign(element: Element, props: Props): void {
    for (const [name, value] of Object.entries(props)) {
        if (value === undefined || value === false) continue;
        element.setAttribute(name, value === true ? "" : String(value));
    }
}

/** An HTML element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag);
    assign(element, props);
    append(element, children);
    return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): SVGElementTagNameMap[K] {
    const element = document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
    assign(element, props);
    append(element, children);
    return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
    const element = document.getElementById(id);
    if (!element) throw new Error(`The page has no #${id}.`);
    return element as T;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** 2026-05-01 14:03:22, in the browser's time zone: the date always, since a saga may be days old. */
export function dateTime(ms: number): string {
    const date = new Date(ms);
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** 14:03:22: when the page last read the cloud (today, by its nature). */
export function clock(ms: number): string {
    const date = new Date(ms);
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** How long ago: "just now", "42 s ago", "3 min ago", "5 h ago", "2 days ago". */
export function since(ms: number, now = Date.now()): string {
    const seconds = Math.floor((now - ms) / 1000);
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${seconds} s ago`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
    const days = Math.floor(seconds / 86_400);
    return `${days} ${days === 1 ? "day" : "days"} ago`;
}

/** A <time> of a moment: its date and time, how long ago in a span the page keeps current, the exact instant as its title. */
export function when(ms: number): HTMLElement {
    return h("span", { class: "when" }, h("time", { datetime: new Date(ms).toISOString(), title: new Date(ms).toISOString() }, dateTime(ms)), " ", h("span", { class: "since", "data-since": ms }, `(${since(ms)})`));
}

/** Brings every "time since" on the page up to date. */
export function refreshSince(root: ParentNode = document): void {
    for (const element of root.querySelectorAll<HTMLElement>("[data-since]")) element.textContent = `(${since(Number(element.dataset.since))})`;
}

/** 85 ms, 1.25 s, 3 min 4 s, 2 h 5 min, 3 days 4 h. */
export function duration(ms: number): string {
    if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    const seconds = Math.round(ms / 1000);
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
    if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
    return `${Math.floor(seconds / 86_400)} days ${Math.floor((seconds % 86_400) / 3600)} h`;
}

/** Bytes as a person reads them: 340 B, 1.2 KB, 3.4 MB. */
export function size(bytes: number): string {
    if (bytes < 1024) return `${bytes} B`;
    return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A JSON text's value, or undefined when it is not JSON. */
function jsonValue(text: string): { value: unknown } | undefined {
    try {
        return { value: JSON.parse(text) };
    } catch {
        return undefined;
    }
}

/** Values longer than this many lines start folded. */
const FOLD_LINES = 14;

/**
 * A value to read: pretty-printed when it is JSON, folded under a summary (its kind and size) when
 * it is long, with a button that copies it as the API gave it.
 */
export function valueView(label: string, text: string | undefined): HTMLElement {
    if (text === undefined) return h("p", { class: "muted value-none" }, `${label}: none recorded.`);
    const parsed = jsonValue(text);
    const pretty = parsed ? JSON.stringify(parsed.value, null, 2) : text;
    const lines = pretty.split("\n").length;
    const value = parsed?.value;
    const kind = Array.isArray(value) ? `${value.length} items` : typeof value === "object" && value !== null ? `${Object.keys(value).length} fields` : parsed ? "JSON" : "text";
    const bytes = new TextEncoder().encode(text).length;
    const status = h("span", { class: "copied", role: "status" });
    const copy = h("button", { type: "button", class: "copy", "aria-label": `Copy ${label.toLowerCase()}` }, "Copy");
    copy.addEventListener("click", async () => {
        try {
            await navigator.clipboard.writeText(text);
            status.textContent = "Copied.";
        } catch {
            status.textContent = "The browser refused: select the text and copy it.";
        }
    });
    return h(
        "details",
        { class: "value", open: lines <= FOLD_LINES, "data-label": label },
        h("summary", {}, h("span", { class: "value-label" }, label), " ", h("span", { class: "muted" }, `${kind}, ${size(bytes)}${lines > FOLD_LINES ? `, ${lines} lines` : ""}`)),
        h("pre", { tabindex: "0", "aria-label": label }, pretty),
        h("div", { class: "value-actions" }, copy, status),
    );
}

/** A table with a caption, a header row and one row per item. */
export function table<T>(caption: string, columns: [string, (item: T) => Child | Child[]][], items: T[], rowProps: (item: T) => Props = () => ({})): HTMLTableElement {
    // Each cell names its column, for the narrow layout that stacks a row's cells.
    const cell = (title: string, content: Child | Child[]) => h("td", { "data-label": title }, ...(Array.isArray(content) ? content : [content]));
    return h(
        "table",
        { class: "stacking" },
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, ...columns.map(([title]) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, ...items.map((item) => h("tr", rowProps(item), ...columns.map(([title, value]) => cell(title, value(item)))))),
    );
}
