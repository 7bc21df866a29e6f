// The names a CommonJS module exports, read from its source without running it: what Lambda's
// `index.<name>` will find on the bundle's module.exports. esbuild's metafile lists an entry's
// exports only for ES module syntax (a CommonJS entry shows just `default`, which the CommonJS
// bundle Lambda loads does not have), so CommonJS entries are read here, with acorn.
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";

export interface CommonJsExports {
    /** The names certainly on module.exports. */
    names: string[];
    /**
     * Set when module.exports is replaced by something whose properties cannot be read without
     * running the module (a function, a call's result, a class): what it was replaced by.
     */
    opaque?: string;
}

type Node = acorn.Node & Record<string, any>;

const TS = new Set([".ts", ".cts", ".mts"]);
const EXTENSIONS = ["", ".js", ".cjs", ".ts", ".cts", "/index.js", "/index.ts"];

/** The module's exports, following `module.exports = require("./other")` and spreads of such requires. */
export function commonJsExports(file: string, seen: Set<string> = new Set()): CommonJsExports {
    if (seen.has(file)) return { names: [] };
    seen.add(file);
    const source = fs.readFileSync(file, "utf8");
    const code = TS.has(path.extname(file)) ? esbuild.transformSync(source, { loader: "ts", sourcefile: file }).code : source;
    const ast = parse(code) as Node;
    const names = new Set<string>();
    let opaque: string | undefined;
    const { objects, members } = objectsOf(ast);

    const required = (node: Node): string | undefined =>
        node?.type === "CallExpression" && node.callee.type === "Identifier" && node.callee.name === "require" && node.arguments[0]?.type === "Literal" && typeof node.arguments[0].value === "string"
            ? node.arguments[0].value
            : undefined;
    const follow = (specifier: string) => {
        const target = resolveRelative(file, specifier);
        // A package's module (not a relative file): its exports are not this program's to read.
        if (!target) return void (opaque = `require("${specifier}")`);
        const inner = commonJsExports(target, seen);
        inner.names.forEach((name) => names.add(name));
        if (inner.opaque) opaque = inner.opaque;
    };
    const addKeys = (object: Node) => {
        for (const property of object.properties as Node[]) {
            if (property.type === "SpreadElement") {
                const specifier = required(property.argument);
                if (specifier) follow(specifier);
                else opaque = "an object with a spread";
            } else {
                const key = propertyName(property.key, property.computed);
                if (key !== undefined) names.add(key);
            }
        }
    };
    /** The value an object expression stands for: a literal, or a variable holding one. */
    const literalOf = (node: Node): Node | undefined => (node.type === "ObjectExpression" ? node : node.type === "Identifier" ? objects.get(node.name) : undefined);
    /** Exports the object `module.exports` is replaced by: a literal's keys, and a variable's keys and the properties assigned to it. */
    const addObject = (node: Node): boolean => {
        const literal = literalOf(node);
        if (literal) addKeys(literal);
        const assigned = node.type === "Identifier" ? members.get(node.name) : undefined;
        assigned?.forEach((name) => names.add(name));
        return literal !== undefined;
    };

    walk.simple(ast, {
        AssignmentExpression(node: Node) {
            if (node.operator !== "=") return;
            const target = node.left as Node;
            if (isModuleExports(target)) {
                // The exports object is replaced: what was added to the old one is gone.
                names.clear();
                opaque = undefined;
                const specifier = required(node.right);
                if (specifier) follow(specifier);
                else if (!addObject(node.right)) opaque = describe(node.right);
            } else if (target.type === "MemberExpression" && isExportsObject(target.object)) {
                const key = propertyName(target.property, target.computed);
                if (key !== undefined) names.add(key);
            }
        },
        CallExpression(node: Node) {
            // Object.defineProperty(exports, "x", ...) and Object.assign(module.exports, { ... }).
            const callee = node.callee as Node;
            if (callee.type !== "MemberExpression" || callee.object.type !== "Identifier" || callee.object.name !== "Object") return;
            const [target, second] = node.arguments as Node[];
            if (!target || !isExportsObject(target)) return;
            if (callee.property.name === "defineProperty" && second?.type === "Literal" && typeof second.value === "string") names.add(second.value);
            if (callee.property.name !== "assign") return;
            for (const source of (node.arguments as Node[]).slice(1)) if (!addObject(source)) opaque = describe(source);
        },
    });
    names.delete("__esModule");
    return { names: [...names].sort(), ...(opaque ? { opaque } : {}) };
}

function parse(code: string): acorn.Node {
    const options = { ecmaVersion: "latest", allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true } as const;
    try {
        return acorn.parse(code, { ...options, sourceType: "script" });
    } catch {
        return acorn.parse(code, { ...options, sourceType: "module" });
    }
}

/**
 * The object literals assigned to variables of the module (`const handlers = { a, b }`), and the
 * properties assigned to each variable (`handlers.c = ...`), by variable name.
 */
function objectsOf(ast: Node): { objects: Map<string, Node>; members: Map<string, Set<string>> } {
    const objects = new Map<string, Node>();
    const members = new Map<string, Set<string>>();
    walk.simple(ast, {
        VariableDeclarator(node: Node) {
            if (node.id.type === "Identifier" && node.init?.type === "ObjectExpression") objects.set(node.id.name, node.init);
        },
        AssignmentExpression(node: Node) {
            const target = node.left as Node;
            if (node.operator !== "=" || target.type !== "MemberExpression" || target.object.type !== "Identifier") return;
            const key = propertyName(target.property, target.computed);
            if (key !== undefined && target.object.name !== "exports") (members.get(target.object.name) ?? members.set(target.object.name, new Set()).get(target.object.name)!).add(key);
        },
    });
    return { objects, members };
}

const isModuleExports = (node: Node): boolean =>
    node.type === "MemberExpression" && node.object.type === "Identifier" && node.object.name === "module" && propertyName(node.property, node.computed) === "exports";

/** `exports` or `module.exports`: the object whose properties are the module's exports. */
const isExportsObject = (node: Node): boolean => (node.type === "Identifier" && node.name === "exports") || isModuleExports(node);

function propertyName(key: Node, computed: boolean): string | undefined {
    if (!computed && key.type === "Identifier") return key.name;
    if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) return String(key.value);
    return undefined;
}

function describe(node: Node): string {
    switch (node.type) {
        case "ArrowFunctionExpression":
        case "FunctionExpression":
            return "a function";
        case "ClassExpression":
            return "a class";
        case "CallExpression":
            return "the result of a call";
        case "Identifier":
            return `the value of \`${node.name}\``;
        default:
            return "a value that is no object literal";
    }
}

/** A relative `require`'s file, as Node (and esbuild, for TypeScript) would find it; undefined for a package. */
function resolveRelative(from: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), specifier);
    const found = EXTENSIONS.map((extension) => base + extension).find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile());
    return found;
}
