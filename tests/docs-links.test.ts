// The user documentation's relative links: each names a file of the repository and, when it has
// an anchor, a heading of that file (as GitHub makes anchors of headings). A page moved or a
// heading renamed breaks a reader's path through the docs; this catches it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DOC_PAGES as PAGES, ROOT } from "./support/doc-pages";


/** The text outside fenced code blocks and inline code, where links are links. */
function prose(markdown: string): string {
    return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2. */
export function anchorsOf(markdown: string): Set<string> {
    const seen = new Map<string, number>();
    const anchors = new Set<string>();
    for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm)) {
        const slug = heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
        const n = seen.get(slug) ?? 0;
        seen.set(slug, n + 1);
        anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    return anchors;
}

function relativeLinks(markdown: string): string[] {
    return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/i.test(target));
}

describe("the documentation's links", () => {
    it("computes anchors as GitHub does", () => {
        assert.deepEqual([...anchorsOf("# The local cloud (`npm start`)\n## Stopping, crashes and `--data`\n## A tour\n## A tour\n")], [
            "the-local-cloud-npm-start",
            "stopping-crashes-and---data",
            "a-tour",
            "a-tour-1",
        ]);
    });

    for (const page of PAGES) {
        it(`${page}: every relative link names an existing file and heading`, () => {
            const text = fs.readFileSync(path.join(ROOT, page), "utf8");
            const broken: string[] = [];
            for (const link of relativeLinks(text)) {
                const [file, anchor] = link.split("#");
                const target = file === "" ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
                if (!fs.existsSync(target)) broken.push(`${link}: no file ${path.relative(ROOT, target)}`);
                else if (anchor !== undefined && !anchorsOf(fs.readFileSync(target, "utf8")).has(anchor)) broken.push(`${link}: no heading with anchor #${anchor} in ${path.relative(ROOT, target)}`);
            }
            assert.deepEqual(broken, []);
        });
    }
});
