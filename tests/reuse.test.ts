// Reuse: another team's saga (an order: payment, stock, shipping), with its own handlers outside
// this repository's handlers/, deployed through the package's entry point under Pulumi mocks, and
// the definition that deployment produced executed with those handlers against dynalite.
import "./support/aws-env";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { Env, SagaErrors, Tags } from "../components/model/conventions";
import type { AslDefinition } from "../components/model/definition";
import { orderProgram } from "./fixtures/order/program";
import { demoOrder } from "./fixtures/order/handlers/order";
import { orderSteps } from "./fixtures/order/steps";
import { setEnv } from "./support/aws-env";
import { LocalTable, localTable } from "./support/dynalite";
import { loadStepHandlers, runLocalSaga } from "./support/local-saga";
import { archiveText, byType, deploy, find, policyOf, RecordedResource, setupMocks, Types } from "./support/mocks";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validateAsl = require("asl-validator") as (definition: unknown) => { isValid: boolean; errorsText(): string };

const FIXTURE = path.join(__dirname, "fixtures", "order");
const FORWARD = ["Charge Card", "Hold Stock", "Reserve Shipping", "Commit Stock", "Confirm Shipping"];

describe("reusing SagaComponent for another saga", () => {
    let definition: AslDefinition;

    before(async () => {
        setupMocks();
        await deploy(orderProgram);
        definition = JSON.parse(byType(Types.stateMachine)[0].inputs.definition);
    });

    it("creates one Lambda per action of the order's steps, tagged with the order saga's names", () => {
        const tagsOf = (r: RecordedResource) => [r.inputs.tags[Tags.step], r.inputs.tags[Tags.role]];
        const stepFunctions = byType(Types.function).filter((r) => r.inputs.tags[Tags.step] !== undefined);
        assert.deepEqual(stepFunctions.map(tagsOf).sort(), [
            ["Payment", "cancel"],
            ["Payment", "reserve"],
            ["Shipping", "cancel"],
            ["Shipping", "confirm"],
            ["Shipping", "reserve"],
            ["Stock", "cancel"],
            ["Stock", "confirm"],
            ["Stock", "reserve"],
        ]);
        assert.ok(stepFunctions.every((r) => r.inputs.tags[Tags.saga] === "order"));
        assert.ok(find(Types.function, "order-start"));
    });

    it("deploys the handlers of the calling program, resolved from its own directory", async () => {
        const charge = find(Types.function, "order-payment-reserve").inputs;
        assert.equal(charge.handler, "index.charge");
        const { "index.js": code } = await archiveText(charge.code);
        assert.match(code, /"19\.90"/, "the order's own payment handler is bundled");
        assert.match(code, /\bcharge\b/);
        assert.deepEqual(policyOf("order-payment-reserve-policy").Statement[0].Action, ["dynamodb:GetItem", "dynamodb:PutItem"]);
    });

    it("generates a valid definition with the order's states", () => {
        const result = validateAsl(structuredClone(definition));
        assert.ok(result.isValid, result.errorsText());
        assert.equal(definition.StartAt, "Charge Card");
        for (const state of [...FORWARD, "Refund Card", "Release Stock", "Cancel Shipping"]) {
            assert.ok(definition.States[state], `the definition has "${state}"`);
        }
    });

    describe("the deployed definition, executed with the order's handlers", () => {
        let table: LocalTable;
        let restoreEnv: () => void;

        before(async () => {
            table = await localTable();
            restoreEnv = setEnv({ [Env.failureInjection]: "true", [Env.compensationFailureRate]: undefined });
        });
        after(() => restoreEnv());

        async function order(runType?: string) {
            const orderId = `order-${randomUUID()}`;
            const run = await runLocalSaga({
                steps: orderSteps,
                handlers: loadStepHandlers(orderSteps, FIXTURE),
                definition,
                input: demoOrder(orderId, runType),
                executionName: orderId,
            });
            const records = (await table.itemsOf(orderId)).map(({ type, transaction_status }) => ({ type, transaction_status }));
            return { run, records };
        }

        it("places the order: every step done and confirmed", async () => {
            const { run, records } = await order();
            assert.deepEqual(run.statesEntered, [...FORWARD, "Succeeded"]);
            assert.deepEqual(records, [
                { type: "Charge", transaction_status: "confirmed" },
                { type: "Shipment", transaction_status: "confirmed" },
                { type: "Stock", transaction_status: "confirmed" },
            ]);
        });

        it("rolls back a failed dispatch newest first, keeping only the refunded charge and tombstones", async () => {
            const { run, records } = await order("failDispatch");
            assert.deepEqual(run.statesEntered, [...FORWARD, "Cancel Shipping", "Release Stock", "Refund Card", "Rolled Back"]);
            assert.equal(run.error?.name, SagaErrors.RolledBack);
            assert.match(run.error?.cause ?? "", /CarrierUnavailable/);
            assert.deepEqual(records, [
                { type: "Charge", transaction_status: "refunded" },
                { type: "Shipment", transaction_status: "cancelled" },
                { type: "Stock", transaction_status: "cancelled" },
            ]);
        });

        it("compensates only the first step when its own action fails", async () => {
            const { run, records } = await order("failCharge");
            assert.deepEqual(run.statesEntered, ["Charge Card", "Refund Card", "Rolled Back"]);
            // Never charged: the refund voids the charge, so a late duplicate of the charge cannot record one.
            assert.deepEqual(records, [{ type: "Charge", transaction_status: "cancelled" }]);
        });
    });
});
