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

/** 14:03:22 today; 2026-05-01 14:03:22 another day. */
export function clock(ms: number): string {
    const date = new Date(ms);
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    return date.toDateString() === new Date().toDateString() ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

/** 85 ms, 1.25 s, 3 min 4 s. */
export function duration(ms: number): string {
    if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    const minutes = Math.floor(ms / 60_000);
    return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/** A table with a caption, a header row and one row per item. */
export function table<T>(caption: string, columns: [string, (item: T) => Child | Child[]][], items: T[], rowProps: (item: T) => Props = () => ({})): HTMLTableElement {
    const cell = (content: Child | Child[]) => h("td", {}, ...(Array.isArray(content) ? content : [content]));
    return h(
        "table",
        {},
        h("caption", { class: "visually-hidden" }, caption),
        h("thead", {}, h("tr", {}, ...columns.map(([title]) => h("th", { scope: "col" }, title)))),
        h("tbody", {}, ...items.map((item) => h("tr", rowProps(item), ...columns.map(([, value]) => cell(value(item)))))),
    );
}
