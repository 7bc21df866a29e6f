// The files of a function's `code`, read from the very asset objects the program built (Pulumi's
// mocks hand them over as they are): an AssetArchive of StringAssets and FileAssets (what
// SagaComponent builds), or a FileArchive of a directory. A zip, or code in S3, cannot be run here.
import * as fs from "node:fs";
import * as path from "node:path";

type AssetLike = { text?: Promise<string>; path?: Promise<string>; assets?: Promise<Record<string, AssetLike>>; uri?: Promise<string> };

export class UnsupportedCode extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UnsupportedCode";
    }
}

/** File path inside the archive -> text. */
export async function archiveFiles(code: unknown): Promise<Record<string, string>> {
    if (typeof code !== "object" || code === null) throw new UnsupportedCode("the function has no `code` archive (S3 or image code is not run locally)");
    const archive = code as AssetLike;
    if (archive.assets) {
        const files: Record<string, string> = {};
        for (const [name, asset] of Object.entries(await archive.assets)) {
            if (asset.text) files[name] = await asset.text;
            else if (isArchive(asset)) Object.assign(files, prefixed(name, await archiveFiles(asset)));
            else if (asset.path) files[name] = fs.readFileSync(await asset.path, "utf8");
            else throw new UnsupportedCode(`the archive entry ${name} is neither text nor a local file`);
        }
        return files;
    }
    if (archive.path) {
        const root = await archive.path;
        if (!fs.existsSync(root)) throw new UnsupportedCode(`its code archive ${root} does not exist on this machine`);
        if (!fs.statSync(root).isDirectory()) throw new UnsupportedCode(`${root} is a packed archive; the local cloud runs directories and in-memory archives`);
        return readDirectory(root);
    }
    throw new UnsupportedCode("remote archives are not run locally");
}

// A FileArchive and a FileAsset both carry `path`; only the class tells them apart.
function isArchive(asset: object): boolean {
    return "assets" in asset || /Archive$/.test(asset.constructor?.name ?? "");
}

function prefixed(prefix: string, files: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(files).map(([name, text]) => [path.posix.join(prefix, name), text]));
}

function readDirectory(root: string, relative = ""): Record<string, string> {
    const files: Record<string, string> = {};
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
        const name = path.posix.join(relative, entry.name);
        if (entry.isDirectory()) Object.assign(files, readDirectory(root, name));
        else if (entry.isFile()) files[name] = fs.readFileSync(path.join(root, name), "utf8");
    }
    return files;
}
