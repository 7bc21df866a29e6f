// This repository as the Pulumi engine runs it for a program in another language: a component
// package plugin (PulumiPlugin.yaml, `runtime: nodejs`), without the Pulumi CLI.
//
// The engine asks the Node.js language host to RunPlugin; the host starts
//     node <@pulumi/pulumi/cmd/run-plugin, resolved from the package> <package dir> <engine address>
// in the program's working directory with PULUMI_NODEJS_TYPESCRIPT=true. run-plugin loads
// package.json's `main` (dist/components/index.js), finds the exported ComponentResource classes
// and serves the ResourceProvider gRPC protocol (GetSchema, Construct, ...) on a port it prints as
// the first line of stdout. `PluginProcess` does exactly that; `TestEngine` stands in for the
// engine: its Engine service (the address the plugin is started with: logs, root resource) and
// the resource monitor a Construct registers the component's children with, answered by the same
// plain provisioning as the in-process mocks.
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { EngineService, IEngineServer } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { IResourceMonitorServer, ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PlainProvisioner } from "../../harness/plain";
import { callUnary, startPlugin, stopPlugin } from "../../harness/plugin-process";

/** The package: the directory with package.json and PulumiPlugin.yaml. */
export const REPO = path.resolve(__dirname, "..", "..");
/** What the Node.js language host runs for a plugin: `require.resolve` of it from the package directory. */
export const RUN_PLUGIN = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [REPO] });
export const SAGA_TYPE = "saga:index:SagaComponent";

/**
 * The plugin runs the built package (`main`, dist/), not the TypeScript sources: fail clearly when
 * the build is missing or older than a source, instead of testing stale code (npm test builds first).
 */
export function assertBuilt(): void {
    const sources = (fs.readdirSync(path.join(REPO, "components"), { recursive: true }) as string[])
        .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
        .map((file) => path.join("components", file));
    const stale = sources.filter((source) => {
        const built = path.join(REPO, "dist", source.replace(/\.ts$/, ".js"));
        return !fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(REPO, source)).mtimeMs;
    });
    if (stale.length > 0) {
        throw new Error(
            `The plugin loads package.json's main (dist/components/index.js), which is missing or older than ${stale.join(", ")}: ` +
                "run `npm run build` first (npm test does).",
        );
    }
}

/** The plugin process, started as the engine starts it, and a provider client connected to it. */
export class PluginProcess {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: ResourceProviderClient,
        private readonly stderr: () => string,
    ) {}

    /** Starts the package as the engine does for a program whose working directory is `cwd`. */
    static async start(options: { engineAddress: string; cwd: string; timeoutMs?: number; lowestPriority?: boolean }): Promise<PluginProcess> {
        const { child, port, stderr } = await startPlugin("The plugin", [RUN_PLUGIN, REPO, options.engineAddress], {
            cwd: options.cwd,
            env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true" },
            timeoutMs: options.timeoutMs,
            lowestPriority: options.lowestPriority,
        });
        const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PluginProcess(child, client, stderr);
    }

    /** The package's schema, as `pulumi package get-schema` and SDK generation read it. */
    async getSchema(): Promise<Record<string, any>> {
        const response = await callUnary<provproto.GetSchemaRequest, provproto.GetSchemaResponse>(
            this.client.getSchema.bind(this.client),
            new provproto.GetSchemaRequest(),
        );
        return JSON.parse(response.getSchema());
    }

    async getPluginVersion(): Promise<string> {
        const info = await callUnary<Empty, { getVersion(): string }>(this.client.getPluginInfo.bind(this.client), new Empty());
        return info.getVersion();
    }

    construct(request: provproto.ConstructRequest): Promise<provproto.ConstructResponse> {
        return callUnary<provproto.ConstructRequest, provproto.ConstructResponse>(this.client.construct.bind(this.client), request);
    }

    /** What the plugin wrote to stderr (the engine shows it on failures). */
    get log(): string {
        return this.stderr();
    }

    async close(): Promise<void> {
        this.client.close();
        await stopPlugin(this.child);
    }
}

/** A resource the plugin registered with the monitor. */
export interface Registration {
    urn: string;
    type: string;
    name: string;
    parent: string;
    custom: boolean;
    /** The inputs, plain: secrets unwrapped, resource references replaced by their IDs. */
    inputs: Record<string, any>;
    /** What the monitor answered: the provisioning's outputs. */
    state: Record<string, any>;
}

export interface LogEntry {
    severity: "debug" | "info" | "warning" | "error";
    message: string;
    urn: string;
}

type MonitorCalls = Pick<IResourceMonitorServer, "supportsFeature" | "registerResource" | "registerResourceOutputs" | "invoke" | "readResource">;
type NewResource = (args: pulumi.runtime.MockResourceArgs) => Promise<pulumi.runtime.MockResourceResult>;

/**
 * The monitor's answers to SupportsFeature: what the engine supports that a Node.js component
 * uses. Transforms, hooks and parameterized packages are off: nothing here registers them.
 */
const FEATURES = new Set(["secrets", "resourceReferences", "outputValues", "deletedWith", "aliasSpecs"]);

const SEVERITIES: Record<number, LogEntry["severity"]> = {
    [engproto.LogSeverity.DEBUG]: "debug",
    [engproto.LogSeverity.INFO]: "info",
    [engproto.LogSeverity.WARNING]: "warning",
    [engproto.LogSeverity.ERROR]: "error",
};

/**
 * The engine's side of a deployment, on one gRPC server on 127.0.0.1: the Engine service (logs,
 * root resource) and the ResourceMonitor a Construct registers children with. Each registration
 * is answered by `newResource` (the plain provisioning of the mocks) and kept, with its URN and
 * parent, in `registrations`. A provider function call fails: nothing here calls one.
 */
export class TestEngine {
    readonly registrations: Registration[] = [];
    /** RegisterResourceOutputs, by URN. */
    readonly outputs = new Map<string, Record<string, unknown>>();
    readonly logs: LogEntry[] = [];
    /** Monitor calls that failed, e.g. an unknown resource type. */
    readonly failures: string[] = [];

    private constructor(
        private readonly server: grpc.Server,
        readonly address: string,
        readonly project: string,
        readonly stack: string,
    ) {}

    /** The stack resource, the parent a program gives a component it creates at top level. */
    get stackUrn(): string {
        return `urn:pulumi:${this.stack}::${this.project}::pulumi:pulumi:Stack::${this.project}-${this.stack}`;
    }

    static async start(options: { project: string; stack: string; newResource: NewResource }): Promise<TestEngine> {
        const server = new grpc.Server();
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
        );
        const engine = new TestEngine(server, `127.0.0.1:${port}`, options.project, options.stack);
        server.addService(EngineService, engine.engineService());
        server.addService(ResourceMonitorService, engine.monitorService(options.newResource) as grpc.UntypedServiceImplementation);
        return engine;
    }

    /** The URN the engine gives a resource: its type qualified by its parents' (the stack's excepted). */
    urnOf(parent: string, type: string, name: string): string {
        const parentType = parent ? parent.split("::")[2] : "";
        const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
        return `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
    }

    private engineService(): IEngineServer {
        let root = this.stackUrn;
        return {
            log: (call, callback) => {
                const request = call.request;
                this.logs.push({ severity: SEVERITIES[request.getSeverity()], message: request.getMessage(), urn: request.getUrn() });
                callback(null, new Empty());
            },
            getRootResource: (_call, callback) => callback(null, new engproto.GetRootResourceResponse().setUrn(root)),
            setRootResource: (call, callback) => {
                root = call.request.getUrn();
                callback(null, new engproto.SetRootResourceResponse());
            },
            startDebugging: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: "no debugger here" }),
            requirePulumiVersion: (_call, callback) => callback(null, new engproto.RequirePulumiVersionResponse()),
        };
    }

    /** The calls a Construct makes; the others answer UNIMPLEMENTED (grpc-js's default). */
    private monitorService(newResource: NewResource): MonitorCalls {
        const failed = (callback: (error: grpc.ServiceError) => void, message: string) => {
            this.failures.push(message);
            callback({ code: grpc.status.FAILED_PRECONDITION, details: message } as grpc.ServiceError);
        };
        return {
            supportsFeature: (call, callback) => callback(null, new resproto.SupportsFeatureResponse().setHassupport(FEATURES.has(call.request.getId()))),
            registerResource: (call, callback) => {
                const request = call.request;
                const [type, name, parent, custom] = [request.getType(), request.getName(), request.getParent(), request.getCustom()];
                const urn = this.urnOf(parent, type, name);
                const inputs = plain(request.getObject()?.toJavaScript() ?? {}) as Record<string, any>;
                newResource({ type, name, inputs, custom, provider: request.getProvider() || undefined, id: request.getImportid() || undefined }).then(
                    ({ id, state }) => {
                        const answered = JSON.parse(JSON.stringify(state ?? {})) as Record<string, any>;
                        this.registrations.push({ urn, type, name, parent, custom, inputs, state: answered });
                        const response = new resproto.RegisterResourceResponse().setUrn(urn).setId(id ?? "");
                        callback(null, response.setObject(Struct.fromJavaScript(answered as Record<string, JavaScriptValue>)));
                    },
                    (error: Error) => failed(callback, `${type} "${name}": ${error.message}`),
                );
            },
            registerResourceOutputs: (call, callback) => {
                this.outputs.set(call.request.getUrn(), (call.request.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
                callback(null, new Empty());
            },
            invoke: (call, callback) => failed(callback, `the provider function ${call.request.getTok()} cannot be called: no provider runs here`),
            readResource: (call, callback) => failed(callback, `${call.request.getType()} "${call.request.getName()}" cannot be read: no provider runs here`),
        };
    }

    async close(): Promise<void> {
        await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    }
}

const { specialSigKey, specialSecretSig, specialResourceSig, specialOutputValueSig, unknownValue } = pulumi.runtime;

/**
 * A property value as the engine hands it to a provider, made plain for the provisioning: secrets
 * and output values unwrapped, resource references replaced by their ID (by their URN for a
 * component). Assets and archives stay as they were serialized.
 */
export function plain(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(plain);
    if (value === null || typeof value !== "object") return value;
    const object = value as Record<string, unknown>;
    switch (object[specialSigKey]) {
        case specialSecretSig:
            return plain(object.value);
        case specialOutputValueSig:
            return "value" in object ? plain(object.value) : unknownValue;
        case specialResourceSig:
            return object.id !== undefined ? (object.id === "" ? unknownValue : object.id) : object.urn;
        case undefined:
            return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, plain(inner)]));
        default:
            return object;
    }
}

/** A resource reference in a ConstructResponse's state (Struct), as the SDK serializes it. */
export interface ResourceReference {
    urn: string;
    id?: string;
    packageVersion?: string;
}

export function asResourceReference(value: unknown): ResourceReference | undefined {
    const object = value as Record<string, unknown> | null;
    return object && typeof object === "object" && object[specialSigKey] === specialResourceSig ? (object as unknown as ResourceReference) : undefined;
}

/** The engine stand-in and the plugin it started, in a program's directory of their own. */
export interface PluginHost {
    programDir: string;
    engine: TestEngine;
    plugin: PluginProcess;
}

let host: Promise<PluginHost> | undefined;

/**
 * One plugin for every plugin test file of this run: the engine starts one per program, and its
 * first GetSchema or Construct pays Pulumi's schema inference (about ten seconds of its own
 * process), which it then keeps. Paid here, before the host is handed out, at the lowest CPU
 * priority: the plugin test files start it at the beginning of the run, and it runs on what the
 * test files before them leave idle.
 */
export function sharedPluginHost(): Promise<PluginHost> {
    host ??= (async () => {
        assertBuilt();
        // A program in another language: the engine starts the plugin in the program's directory.
        const programDir = fs.mkdtempSync(path.join(os.tmpdir(), "saga-program-"));
        const engine = await TestEngine.start({ project: "saga", stack: "test", newResource: new PlainProvisioner().newResource });
        let plugin: PluginProcess | undefined;
        try {
            // At the lowest priority it may wait a while for a core: only a plugin that never answers fails.
            plugin = await PluginProcess.start({ engineAddress: engine.address, cwd: programDir, lowestPriority: true, timeoutMs: 120_000 });
            await plugin.getSchema();
            return { programDir, engine, plugin };
        } catch (error) {
            // Nothing left running to keep mocha from exiting.
            await plugin?.close();
            await engine.close();
            fs.rmSync(programDir, { recursive: true, force: true });
            throw error;
        }
    })();
    // Its failure is reported by the tests that await it, not as an unhandled rejection before them.
    host.catch(() => undefined);
    return host;
}

// Ends the shared plugin once every test of the run is done (a root-level hook).
after(async () => {
    // A host that failed to start has cleaned up after itself; its tests report why.
    const started = await host?.catch(() => undefined);
    if (!started) return;
    const { programDir, engine, plugin } = started;
    await plugin.close();
    await engine.close();
    fs.rmSync(programDir, { recursive: true, force: true });
});
