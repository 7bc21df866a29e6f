// The signed requests the documentation shows work when pasted, with any curl: curl before 8.x
// (Debian 12's 7.88) signs query parameters in the order written while AWS sorts them before
// checking, so every documented request writes them sorted (the banner's own requests are run
// with the machine's curl in tests/cloud/local-banner.test.ts).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DOC_PAGES as PAGES, ROOT } from "./support/doc-pages";


/** The query parameter names of each `curl` line's URL, in the order written. */
function queriesOfCurlLines(markdown: string): { line: string; names: string[] }[] {
    return markdown
        .split("\n")
        .filter((line) => /^\s*curl\s/.test(line))
        .flatMap((line) => {
            const query = /\?([^'"\s#]+)/.exec(line.replace(/#.*$/, ""))?.[1];
            return query ? [{ line: line.trim(), names: query.split("&").map((pair) => pair.split("=")[0]) }] : [];
        });
}

describe("the documentation's requests", () => {
    it("finds the query of a curl line", () => {
        assert.deepEqual(queriesOfCurlLines(`curl "\${sign[@]}" 'http://h/v1/?runType=x&tripID=y'  # a ?comment=1`), [{ line: `curl "\${sign[@]}" 'http://h/v1/?runType=x&tripID=y'  # a ?comment=1`, names: ["runType", "tripID"] }]);
    });

    for (const page of PAGES) {
        it(`${page}: every curl request writes its query parameters in sorted order`, () => {
            const unsorted = queriesOfCurlLines(fs.readFileSync(path.join(ROOT, page), "utf8")).filter(({ names }) => names.join("&") !== [...names].sort().join("&"));
            assert.deepEqual(unsorted.map(({ line }) => line), []);
        });
    }
});
