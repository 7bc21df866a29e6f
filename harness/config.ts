// The stack configuration the Pulumi CLI would hand the program: the project's defaults from
// Pulumi.yaml, the stack's file Pulumi.<stack>.yaml over them, and overrides (`--config`) on top.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface ProjectSettings {
    /** The project name: the namespace of its own config keys. */
    project: string;
    /** Where Pulumi.yaml is: the program runs with it as working directory. */
    programDir: string;
    /** The program file Pulumi runs: Pulumi.yaml's `main`, else what Node resolves the directory to (package.json's `main`, index.js, index.ts). */
    programFile: string;
    stack: string;
    /** Fully qualified keys (`saga:failureInjection`, `aws:region`) to string values, as the CLI passes them. */
    config: Record<string, string>;
    /** Keys left out because their values are secrets the local cloud cannot decrypt. */
    skippedSecrets: string[];
    /** Keys whose values are secrets: declared `secret: true` in Pulumi.yaml, or `secure:` in the stack file. Never printed. */
    secretKeys: string[];
    /**
     * Keys Pulumi.yaml declares without a default that have no value here (the stack file does not
     * set them, sets them encrypted, and no override gives them): the Pulumi CLI refuses to run
     * the program then ("Stack 'dev' is missing configuration value ..."), and so does the local cloud.
     */
    missingKeys: string[];
}

export class ConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ConfigError";
    }
}

type YamlObject = Record<string, unknown>;

/** Reads the project and stack files of the program in `programDir`. */
export function loadProjectSettings(programDir: string, stack: string, overrides: Record<string, string> = {}): ProjectSettings {
    const projectFile = path.join(programDir, "Pulumi.yaml");
    const project = readYaml(projectFile);
    if (!project || typeof project.name !== "string") {
        throw new ConfigError(`${projectFile} must exist and name the project (\`name: ...\`).`);
    }
    const name = project.name;
    const qualify = (key: string) => (key.includes(":") ? key : `${name}:${key}`);

    const config: Record<string, string> = {};
    const secretKeys = new Set<string>();
    const required: string[] = [];
    for (const [key, spec] of Object.entries((project.config ?? {}) as YamlObject)) {
        const declaration = typeof spec === "object" && spec !== null && !Array.isArray(spec) ? (spec as YamlObject) : undefined;
        // A declaration (with `type`) or a plain value (`value`, or the value itself).
        const value = declaration ? (declaration.default ?? declaration.value) : spec;
        if (declaration?.secret === true) secretKeys.add(qualify(key));
        if (value !== undefined) config[qualify(key)] = configValue(value);
        else if (declaration?.type !== undefined) required.push(qualify(key));
    }
    const skippedSecrets: string[] = [];
    const stackFile = path.join(programDir, `Pulumi.${stack}.yaml`);
    // Without a backend, a stack is its file: a misspelled name would run with none of its config.
    if (!fs.existsSync(stackFile)) throw new ConfigError(unknownStackMessage(programDir, stack));
    const stackSettings = readYaml(stackFile);
    for (const [key, value] of Object.entries((stackSettings?.config ?? {}) as YamlObject)) {
        if (typeof value === "object" && value !== null && "secure" in value) {
            skippedSecrets.push(qualify(key));
            secretKeys.add(qualify(key));
        } else config[qualify(key)] = configValue(value);
    }
    for (const [key, value] of Object.entries(overrides)) config[qualify(key)] = value;

    return {
        project: name,
        programDir: path.resolve(programDir),
        programFile: programFileOf(programDir, project.main),
        stack,
        config,
        skippedSecrets,
        secretKeys: [...secretKeys],
        missingKeys: required.filter((key) => config[key] === undefined),
    };
}

/** The stacks of a program: the names of its Pulumi.<stack>.yaml files. */
export function stacksOf(programDir: string): string[] {
    return fs
        .readdirSync(programDir)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

function unknownStackMessage(programDir: string, stack: string): string {
    const stacks = stacksOf(programDir);
    const where = path.relative(process.cwd(), programDir) || ".";
    const known =
        stacks.length === 0
            ? `${where} has no stack files (Pulumi.<stack>.yaml) at all.`
            : `The stacks there: ${stacks.map((name) => `${name} (Pulumi.${name}.yaml)`).join(", ")}; choose one with --stack <name>.`;
    return `There is no stack "${stack}": ${path.join(where, `Pulumi.${stack}.yaml`)} does not exist. ${known} To run a new stack, create its file (an empty one takes the defaults of Pulumi.yaml).`;
}

/**
 * Why the program cannot run with this configuration, as the Pulumi CLI says it, and how to give
 * the missing values locally; undefined when nothing is missing.
 */
export function missingConfigMessage(settings: ProjectSettings, command = "npm start --"): string | undefined {
    if (settings.missingKeys.length === 0) return undefined;
    // The project's own keys unqualified, as the CLI names them.
    const short = (key: string) => (key.startsWith(`${settings.project}:`) ? key.slice(settings.project.length + 1) : key);
    const lines = settings.missingKeys.map((key) => {
        const encrypted = settings.skippedSecrets.includes(key)
            ? ` (Pulumi.${settings.stack}.yaml has it encrypted, \`secure:\`, which the local cloud cannot decrypt)`
            : "";
        return `Stack '${settings.stack}' is missing configuration value '${short(key)}'${encrypted}.`;
    });
    const example = settings.missingKeys.map((key) => `--config ${short(key)}=<${settings.secretKeys.includes(key) ? "a test value" : "value"}>`).join(" ");
    return [...lines, `Give ${settings.missingKeys.length === 1 ? "it" : "them"} for this run: ${command} ${example}`].join("\n");
}

/** The config as it may be shown: secret values masked, as `pulumi config` shows them. */
export function printableConfig(settings: ProjectSettings): Record<string, string> {
    return Object.fromEntries(Object.entries(settings.config).map(([key, value]) => [key, settings.secretKeys.includes(key) ? "[secret]" : value]));
}

/** Parses `--config` arguments: `key=value`, the key qualified or not. */
export function parseConfigOverrides(pairs: string[]): Record<string, string> {
    const overrides: Record<string, string> = {};
    for (const pair of pairs) {
        const at = pair.indexOf("=");
        if (at <= 0) throw new ConfigError(`\`--config\` takes key=value (e.g. saga:compensationFailureRate=0.4), not "${pair}".`);
        overrides[pair.slice(0, at)] = pair.slice(at + 1);
    }
    return overrides;
}

function readYaml(file: string): YamlObject | undefined {
    if (!fs.existsSync(file)) return undefined;
    try {
        return parse(fs.readFileSync(file, "utf8")) as YamlObject;
    } catch (error) {
        throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
    }
}

// The CLI hands config to a program as strings; structured values as JSON (what getObject parses).
function configValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

const PROGRAM_EXTENSIONS = ["", ".js", ".ts", `${path.sep}index.js`, `${path.sep}index.ts`];

/**
 * The module Pulumi's Node.js host runs: it requires Pulumi.yaml's `main`, else the program's
 * directory, which Node resolves to package.json's `main`, else index.js, else index.ts (with
 * TypeScript registered). A JavaScript program runs as it would under Pulumi. When nothing
 * exists, the path named in the error is index.ts, the usual program.
 */
export function programFileOf(programDir: string, main: unknown): string {
    const dir = path.resolve(programDir);
    const packageFile = path.join(dir, "package.json");
    const packageMain = fs.existsSync(packageFile) ? (JSON.parse(fs.readFileSync(packageFile, "utf8")) as { main?: unknown }).main : undefined;
    const entries = typeof main === "string" ? [main] : [...(typeof packageMain === "string" ? [packageMain] : []), "index"];
    for (const entry of entries) {
        const base = path.resolve(dir, entry);
        const found = PROGRAM_EXTENSIONS.map((extension) => base + extension).find((file) => fs.existsSync(file) && fs.statSync(file).isFile());
        if (found) return found;
    }
    return path.resolve(dir, typeof main === "string" ? main : "index.ts");
}
