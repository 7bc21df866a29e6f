// The component constructed as a program in another language gets it: the repository started as a
// plugin, asked to Construct over gRPC by a stand-in for the engine, whose resource monitor answers
// each registration with the same plain provisioning as the mocks of the other tests. It must
// register the same children as the component constructed in TypeScript, under it, and return its
// outputs; a relative handler path it cannot resolve must fail with the validation's message.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import { SagaComponent, SagaComponentArgs } from "../../components";
import { travelStart, travelStatus, travelSteps } from "../../handlers/travel/steps";
import { BASE_CONFIG, deploy, find, recorded, setupMocks, valueOf } from "../support/mocks";
import { asResourceReference, PluginHost, Registration, REPO, SAGA_TYPE, sharedPluginHost, TestEngine } from "../support/plugin";
import { ResourceTypes } from "../../components/model/resource-types";

const { specialSigKey, specialArchiveSig } = pulumi.runtime;
const ALARM_TOPIC = "arn:aws:sns:us-east-1:123456789012:saga-alarms";

/** The travel saga as a program in another language passes it: plain data, with an absolute `handlerRoot`. */
const travelArgs = {
    steps: travelSteps,
    start: travelStart,
    status: { path: "/trips/{tripId}", handler: travelStatus },
    handlerRoot: REPO,
    tags: { team: "bookings" },
    alarmActions: [ALARM_TOPIC],
} satisfies SagaComponentArgs;

const STATES = ["Reserve Hotel", "Confirm Hotel", "Cancel Hotel", "Reserve Flight", "Confirm Flight", "Cancel Flight", "Take Payment", "Refund Payment"];

const pairs = (resources: { type: string; name: string }[]) => resources.map((r) => `${r.type} ${r.name}`).sort();

/** The engine's Construct request for a SagaComponent named `name`, parented to the stack. */
function constructRequest(engine: TestEngine, name: string, inputs: Record<string, unknown>): provproto.ConstructRequest {
    const request = new provproto.ConstructRequest()
        .setProject(engine.project)
        .setStack(engine.stack)
        .setOrganization("organization")
        .setDryrun(false)
        .setParallel(16)
        .setMonitorendpoint(engine.address)
        .setType(SAGA_TYPE)
        .setName(name)
        .setParent(engine.stackUrn)
        .setAcceptsOutputValues(true)
        .setInputs(Struct.fromJavaScript(inputs as Record<string, JavaScriptValue>));
    for (const [key, value] of Object.entries(BASE_CONFIG)) request.getConfigMap().set(key, value);
    return request;
}

interface Constructed {
    response: provproto.ConstructResponse;
    /** What the plugin registered while constructing. */
    registered: Registration[];
}

/** Constructs on the shared plugin, one at a time (what each registered is what arrived meanwhile). */
let lastConstruct: Promise<unknown> = Promise.resolve();
function construct(name: string, inputs: (host: PluginHost) => Record<string, unknown>): Promise<Constructed> {
    const constructed = lastConstruct.then(async () => {
        const host = await sharedPluginHost();
        const { engine, plugin } = host;
        const first = engine.registrations.length;
        try {
            const response = await plugin.construct(constructRequest(engine, name, inputs(host)));
            return { response, registered: engine.registrations.slice(first) };
        } catch (error) {
            throw Object.assign(new Error(`Construct failed: ${(error as { details?: string }).details ?? error}\n${plugin.log}`), { grpc: error });
        }
    });
    lastConstruct = constructed.catch(() => undefined);
    // A failure is reported by the test that awaits it, not as an unhandled rejection before it.
    constructed.catch(() => undefined);
    return constructed;
}

/** The gRPC error's details of a Construct that must fail; undefined if it succeeded. */
const failureOf = (constructed: Promise<Constructed>): Promise<string | undefined> =>
    constructed.then(
        () => undefined,
        (error: Error & { grpc: { details: string } }) => error.grpc.details,
    );

/** A directory of Python handlers in the program's directory, as the engine serializes a FileArchive: a signature and the path. */
function pythonArchive(programDir: string): Record<string, unknown> {
    const archiveDir = path.join(programDir, "hotel");
    fs.mkdirSync(archiveDir, { recursive: true });
    fs.writeFileSync(path.join(archiveDir, "app.py"), "def reserve(event, context):\n    return event\n\ndef cancel(event, context):\n    return event\n");
    return { [specialSigKey]: specialArchiveSig, path: archiveDir };
}
const absolute = (action: { module?: string }) => ({ ...action, module: path.join(REPO, action.module!) });
const { handlerRoot: _absolute, ...relativeArgs } = travelArgs;

/**
 * Every Construct the tests below check, asked for at the run's beginning (root-level hooks): the
 * plugin, at the lowest CPU priority, answers them after its schema inference, on what the test
 * files before this one leave idle, and the tests await them.
 */
let ahead: ReturnType<typeof constructAll> | undefined;
function constructAll() {
    return {
        booking: construct("booking", () => travelArgs),
        relative: [undefined, "."].map((handlerRoot) => ({ handlerRoot, failure: failureOf(construct("relative", () => (handlerRoot === undefined ? relativeArgs : { ...relativeArgs, handlerRoot }))) })),
        python: construct("python", ({ programDir }) => {
            const python = (code: Record<string, unknown>, handler: string) => ({ code, handler, runtime: "python3.13", tableAccess: ["PutItem"] });
            const code = pythonArchive(programDir);
            return { steps: [{ name: "Hotel", reserve: python(code, "app.reserve"), cancel: python(code, "app.cancel") }], start: absolute(travelStart) };
        }),
        absolute: construct("absolute", () => ({
            steps: travelSteps.map((step) => ({
                ...step,
                reserve: absolute(step.reserve),
                cancel: absolute(step.cancel),
                ...(step.confirm ? { confirm: absolute(step.confirm) } : {}),
            })),
            start: absolute(travelStart),
        })),
    };
}
const constructedAhead = () => (ahead ??= constructAll());
before(() => void constructedAhead());

describe("the component package as a plugin: Construct, as the engine calls it for another language", function () {
    this.timeout(60_000);
    let engine: TestEngine;

    /** The same saga constructed in this process, under the mocks. */
    const inProcess = async () => {
        setupMocks();
        const booking = await deploy(() => new SagaComponent("booking", travelArgs));
        return {
            resources: pairs(recorded),
            apiUrl: await valueOf(booking.apiUrl),
            stateMachineArn: await valueOf(booking.stateMachineArn),
            definition: find(ResourceTypes.stateMachine, "booking-machine").inputs.definition as string,
        };
    };

    let expected: Awaited<ReturnType<typeof inProcess>>;
    let registered: Registration[];
    let component: Registration;
    let state: Record<string, unknown>;

    before(async () => {
        let constructed: Constructed;
        [{ engine }, expected, constructed] = await Promise.all([sharedPluginHost(), inProcess(), constructedAhead().booking]);
        registered = constructed.registered;
        component = registered.find((r) => r.type === SAGA_TYPE)!;
        assert.ok(component, `the component itself was not registered; got ${pairs(registered).join(", ")}`);
        assert.equal(constructed.response.getUrn(), component.urn);
        state = constructed.response.getState()!.toJavaScript() as Record<string, unknown>;
    });

    it("registers the same resources as the component constructed in TypeScript", () => {
        assert.deepEqual(pairs(registered), expected.resources);
        // The whole saga: a function per action, the start and status functions, the repair's two, the machines, the API.
        assert.equal(registered.filter((r) => r.type === ResourceTypes.function).length, STATES.length + 4);
        for (const type of [ResourceTypes.stateMachine, ResourceTypes.table, ResourceTypes.restApi, ResourceTypes.restApiStage, ResourceTypes.queue, ResourceTypes.metricAlarm, ResourceTypes.awsxApi]) {
            assert.ok(registered.some((r) => r.type === type), `no ${type} registered`);
        }
        assert.deepEqual(engine.failures, []);
        assert.deepEqual(
            engine.logs.filter((log) => log.severity === "error" || log.severity === "warning"),
            [],
        );
    });

    it("registers the component under the stack, and every child under it", () => {
        assert.equal(component.parent, engine.stackUrn);
        assert.equal(component.urn, engine.urnOf(engine.stackUrn, SAGA_TYPE, "booking"));
        const byUrn = new Map(registered.map((r) => [r.urn, r]));
        for (const child of registered.filter((r) => r !== component)) {
            let ancestor = byUrn.get(child.parent);
            while (ancestor && ancestor !== component) ancestor = byUrn.get(ancestor.parent);
            assert.ok(ancestor, `${child.type} ${child.name} is not under the component (parent ${child.parent})`);
        }
    });

    it("generates the same state machine, wired to the same function ARNs", () => {
        const machine = registered.find((r) => r.type === ResourceTypes.stateMachine && r.name === "booking-machine")!;
        assert.equal(machine.inputs.definition, expected.definition);
        assert.deepEqual(Object.keys(JSON.parse(machine.inputs.definition).States).filter((s) => STATES.includes(s)).sort(), [...STATES].sort());
    });

    it("returns the outputs: strings, and references to the registered children", () => {
        assert.equal(state.apiUrl, expected.apiUrl);
        assert.equal(state.stateMachineArn, expected.stateMachineArn);
        const refersTo = (output: string, type: string, name: string) => {
            const child = registered.find((r) => r.type === type && r.name === name);
            assert.ok(child, `no ${type} ${name} registered`);
            assert.equal(asResourceReference(state[output])?.urn, child.urn, `${output} refers to ${type} ${name}`);
        };
        refersTo("stateMachine", ResourceTypes.stateMachine, "booking-machine");
        refersTo("restApi", ResourceTypes.restApi, "booking-api");
        refersTo("failureQueue", ResourceTypes.queue, "booking-compensation-failures");
        refersTo("startFunction", ResourceTypes.function, "booking-start");
        refersTo("statusFunction", ResourceTypes.function, "booking-status");
        const functions = state.functions as Record<string, unknown>;
        assert.deepEqual(Object.keys(functions).sort(), [...STATES].sort());
        for (const [stateName, fn] of Object.entries(functions)) {
            const urn = asResourceReference(fn)?.urn;
            assert.equal(registered.find((r) => r.urn === urn)?.type, ResourceTypes.function, `functions["${stateName}"] refers to ${urn}`);
        }
        // And the component registered them as its outputs.
        assert.equal(engine.outputs.get(component.urn)?.apiUrl, expected.apiUrl);
    });

    it("fails with the validation's message when a relative `module` has no absolute `handlerRoot`", async () => {
        for (const { handlerRoot, failure } of constructedAhead().relative) {
            const details = await failure;
            assert.ok(details !== undefined, `Construct succeeded with handlerRoot ${JSON.stringify(handlerRoot)}`);
            assert.ok(details.includes('Step "Hotel" `reserve` handler module "handlers/travel/hotel.ts" is a relative path'), `handlerRoot ${handlerRoot}: ${details}`);
            assert.ok(details.includes("set `handlerRoot` to an absolute path"), `handlerRoot ${handlerRoot}: ${details}`);
        }
    });

    it("passes a `code` archive, e.g. of Python handlers, through to the step's functions", async () => {
        const [{ programDir }, { registered: withArchives }] = await Promise.all([sharedPluginHost(), constructedAhead().python]);
        for (const role of ["reserve", "cancel"]) {
            const fn = withArchives.find((r) => r.type === ResourceTypes.function && r.name === `python-hotel-${role}`);
            assert.ok(fn, `python-hotel-${role} was not registered; got ${pairs(withArchives).join(", ")}`);
            const { [specialSigKey]: signature, path: archivePath } = fn.inputs.code;
            assert.deepEqual([signature, archivePath, fn.inputs.handler, fn.inputs.runtime], [specialArchiveSig, path.join(programDir, "hotel"), `app.${role}`, "python3.13"]);
        }
    });

    it("accepts absolute `module` paths without `handlerRoot`", async () => {
        const { registered: absoluteModules } = await constructedAhead().absolute;
        const functions = absoluteModules.filter((r) => r.type === ResourceTypes.function).map((r) => r.name);
        assert.deepEqual(functions.sort(), [...travelSteps.flatMap((s) => (s.confirm ? ["reserve", "confirm", "cancel"] : ["reserve", "cancel"]).map((role) => `absolute-${s.name.toLowerCase()}-${role}`)), "absolute-start", "absolute-repair-start", "absolute-repair-outcome"].sort());
    });
});
