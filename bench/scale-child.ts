// Builds one saga of N steps under the mock harness (plain provisioning, as the tests build theirs)
// and prints its figures as one JSON line.
// Every step reuses the hotel handlers: bundling is cached per module, so what grows with N is
// the program itself (resources, Outputs, the definition), which is what this measures.
import { SagaComponent } from "../components";
import type { SagaStep } from "../components/model/args";
import { travelStart } from "../handlers/travel/steps";
import { PlainProvisioner, REGION } from "../harness/plain";

const HOTEL = "handlers/travel/hotel.ts";
const steps = (count: number): SagaStep[] =>
    Array.from({ length: count }, (_, i) => ({
        name: `Step${i + 1}`,
        reserve: { module: HOTEL, export: "reserve", tableAccess: ["PutItem", "GetItem"] },
        confirm: { module: HOTEL, export: "confirm", tableAccess: ["UpdateItem"] },
        cancel: { module: HOTEL, export: "cancel", tableAccess: ["DeleteItem"] },
    }));

const plain = new PlainProvisioner();

async function main(count: number) {
    plain.install({ project: "saga", stack: "bench", config: { "aws:region": REGION } });
    // Warm the bundle cache and the SDK's modules with a one-step saga, so N=3 is not charged for them.
    await plain.deploy(() => new SagaComponent("warmup", { steps: steps(1), start: travelStart }));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    await plain.deploy(() => new SagaComponent("scale", { steps: steps(count), start: travelStart }));
    const buildMs = Number(process.hrtime.bigint() - started) / 1e6;
    const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.log(JSON.stringify({ steps: count, resources: plain.recorded.length, buildMs, heapMB }));
}

main(Number(process.argv[2])).catch((error) => {
    console.error(error);
    process.exit(1);
});
