// Runs the policy pack the way the Pulumi CLI does, without the CLI: start policy-pack/index.ts
// as its own process, read the port it prints, and talk to it over the analyzer gRPC protocol
// (GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack). So what CI checks is the real
// pack, its server and its config schemas, not just the policy functions.
import type { ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient, AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as proto from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { callUnary, startPlugin, stopPlugin } from "../../harness/plugin-process";

/** A resource as the engine knows it: inputs (resource policies) and outputs (stack policies). */
export interface AnalyzedResource {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    parent?: string;
}

export type Enforcement = "advisory" | "mandatory" | "disabled" | "remediate";

export interface Diagnostic {
    policy: string;
    enforcement: Enforcement;
    /** The URN of the resource in violation; empty for the stack as a whole. */
    urn: string;
    /** The violation, without the policy description the SDK puts in front of it. */
    message: string;
}

/** Per policy: its enforcement level and config properties, as `--policy-pack-config` sets them. */
export type PackConfig = Record<string, { enforcementLevel?: Enforcement } & Record<string, unknown>>;

export const PACK_DIR = path.join(__dirname, "..");

const LEVELS: Record<number, Enforcement> = {
    [proto.EnforcementLevel.ADVISORY]: "advisory",
    [proto.EnforcementLevel.MANDATORY]: "mandatory",
    [proto.EnforcementLevel.DISABLED]: "disabled",
    [proto.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES = Object.fromEntries(Object.entries(LEVELS).map(([code, level]) => [level, Number(code)])) as Record<Enforcement, proto.EnforcementLevel>;

/** The options every request needs; without them the pack answers that the CLI is too old. */
function resourceOptions(parent?: string): proto.AnalyzerResourceOptions {
    const timeouts = new proto.AnalyzerResourceOptions.CustomTimeouts().setCreate(0).setUpdate(0).setDelete(0);
    const options = new proto.AnalyzerResourceOptions().setProtect(false).setCustomtimeouts(timeouts);
    return parent ? options.setParent(parent) : options;
}

const struct = (props: Record<string, unknown>) => Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]);

export interface PolicyInfo {
    name: string;
    enforcement: Enforcement;
    configDefaults: Record<string, unknown>;
}

/** A running policy pack process and a client connected to it. */
export class PolicyPackProcess {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: AnalyzerClient,
        /** What the pack printed on stderr, for error messages. */
        private readonly stderr: () => string,
    ) {}

    /** Starts the pack in its directory (it reads its version from its package.json there). */
    static async start(options: { packDir?: string; timeoutMs?: number; lowestPriority?: boolean } = {}): Promise<PolicyPackProcess> {
        const { child, port, stderr } = await startPlugin("The policy pack", ["-r", "ts-node/register/transpile-only", "index.ts"], {
            cwd: options.packDir ?? PACK_DIR,
            timeoutMs: options.timeoutMs ?? 30_000,
            lowestPriority: options.lowestPriority,
        });
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PolicyPackProcess(child, client, stderr);
    }

    async info(): Promise<{ name: string; version: string; policies: PolicyInfo[] }> {
        // The Empty class of the module the generated client was built with (an instanceof check).
        const Empty = (AnalyzerService.getAnalyzerInfo as unknown as { requestType: new () => object }).requestType;
        const info = await callUnary<object, proto.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client) as never, new Empty());
        return {
            name: info.getName(),
            version: info.getVersion(),
            policies: info.getPoliciesList().map((p) => {
                const schema = (p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}) as Record<string, { default?: unknown }>;
                return {
                    name: p.getName(),
                    enforcement: LEVELS[p.getEnforcementlevel()],
                    configDefaults: Object.fromEntries(
                        Object.entries(schema)
                            .filter(([, property]) => property.default !== undefined)
                            .map(([key, property]) => [key, property.default]),
                    ),
                };
            }),
        };
    }

    /** Sends every policy its configuration, as the CLI does: schema defaults, then `config` on top. */
    async configure(policies: PolicyInfo[], config: PackConfig = {}): Promise<void> {
        const request = new proto.ConfigureAnalyzerRequest();
        for (const policy of policies) {
            const { enforcementLevel, ...properties } = config[policy.name] ?? {};
            const entry = new proto.PolicyConfig()
                .setEnforcementlevel(LEVEL_CODES[enforcementLevel ?? policy.enforcement])
                .setProperties(struct({ ...policy.configDefaults, ...properties }));
            request.getPolicyconfigMap().set(policy.name, entry);
        }
        await callUnary(this.client.configure.bind(this.client) as never, request);
    }

    /** Resource policies, one resource at a time, on its inputs. */
    async analyze(resource: AnalyzedResource): Promise<Diagnostic[]> {
        const request = new proto.AnalyzeRequest()
            .setType(resource.type)
            .setName(resource.name)
            .setUrn(resource.urn)
            .setProperties(struct(resource.inputs))
            .setOptions(resourceOptions(resource.parent));
        const response = await callUnary<proto.AnalyzeRequest, proto.AnalyzeResponse>(this.client.analyze.bind(this.client), request);
        return diagnosticsOf(response, resource.urn);
    }

    /** Stack policies, over every resource's outputs. */
    async analyzeStack(resources: AnalyzedResource[]): Promise<Diagnostic[]> {
        const request = new proto.AnalyzeStackRequest().setResourcesList(
            resources.map((r) => {
                const resource = new proto.AnalyzerResource()
                    .setType(r.type)
                    .setName(r.name)
                    .setUrn(r.urn)
                    .setProperties(struct(r.outputs))
                    .setOptions(resourceOptions(r.parent));
                return r.parent ? resource.setParent(r.parent) : resource;
            }),
        );
        const response = await callUnary<proto.AnalyzeStackRequest, proto.AnalyzeResponse>(this.client.analyzeStack.bind(this.client), request);
        return diagnosticsOf(response, "");
    }

    /** Closes the client and ends the pack process. */
    async close(): Promise<void> {
        this.client.close();
        await stopPlugin(this.child);
    }

    get log(): string {
        return this.stderr();
    }
}

function diagnosticsOf(response: proto.AnalyzeResponse, defaultUrn: string): Diagnostic[] {
    return response.getDiagnosticsList().map((d) => {
        const prefix = `${d.getDescription()}\n`;
        const message = d.getMessage().startsWith(prefix) ? d.getMessage().slice(prefix.length) : d.getMessage();
        return { policy: d.getPolicyname(), enforcement: LEVELS[d.getEnforcementlevel()], urn: d.getUrn() || defaultUrn, message };
    });
}

/**
 * One run of a started pack over a stack, as `pulumi preview --policy-pack` does it: configure
 * every policy, analyze every resource, then the stack.
 */
export async function runPack(pack: PolicyPackProcess, resources: AnalyzedResource[], config: PackConfig = {}) {
    const info = await pack.info();
    await pack.configure(info.policies, config);
    const diagnostics: Diagnostic[] = [];
    for (const resource of resources) diagnostics.push(...(await pack.analyze(resource)));
    diagnostics.push(...(await pack.analyzeStack(resources)));
    return { pack: `${info.name}@${info.version}`, diagnostics };
}

/** Starts the pack, runs it over a stack and ends its process whatever happens. */
export async function analyzeWithPack(resources: AnalyzedResource[], config: PackConfig = {}) {
    const pack = await PolicyPackProcess.start();
    try {
        return await runPack(pack, resources, config);
    } finally {
        await pack.close();
    }
}

/** A readable report: one block per violation, mandatory first, then a summary line. */
export function formatReport(pack: string, diagnostics: Diagnostic[], resourceCount: number): string {
    const order: Enforcement[] = ["mandatory", "remediate", "advisory", "disabled"];
    const sorted = [...diagnostics].sort((a, b) => order.indexOf(a.enforcement) - order.indexOf(b.enforcement) || a.policy.localeCompare(b.policy));
    const where = (urn: string) => {
        if (!urn) return "the stack";
        // urn:pulumi:<stack>::<project>::<parent types$>type::name
        const parts = urn.split("::");
        return `${(parts.at(-2) ?? "").split("$").at(-1)} "${parts.at(-1)}"`;
    };
    const lines = [`Policy pack ${pack} over ${resourceCount} resources`, ""];
    for (const d of sorted) {
        lines.push(`[${d.enforcement}] ${d.policy}`, `  resource: ${where(d.urn)}`, `  ${d.message.replace(/\n/g, "\n  ")}`, "");
    }
    const count = (level: Enforcement) => diagnostics.filter((d) => d.enforcement === level).length;
    lines.push(`${count("mandatory")} mandatory, ${count("advisory")} advisory violation(s).`);
    return lines.join("\n");
}
