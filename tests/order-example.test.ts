// The order example (examples/order) under Pulumi mocks, as `pulumi up` would run it with its own
// project and dev stack: what each way of giving an action its code and permissions deploys. A
// secret in one action's environment stays secret; one action's extra grant is on its role only;
// an existing function gets nothing from the saga but the right to be invoked; and every Task
// state names its step and role.
import assert from "node:assert/strict";
import * as path from "node:path";
import { isRpcSecret, unwrapRpcSecret } from "@pulumi/pulumi/runtime/rpc";
import { parseTaskComment } from "../components/model/conventions";
import type { AslDefinition } from "../components/model/definition";
import { loadProjectSettings } from "../harness/config";
import { deployProgram } from "../harness/harness";
import { PlainProvisioner, RecordedResource } from "../harness/plain";
import { assertBuilt } from "./support/plugin";

const EXAMPLE = path.resolve(__dirname, "..", "examples", "order");
const API_KEY = "sk_test_order_example_3f9a";
const FUNCTION = "aws:lambda/function:Function";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** Each action's state, and the step and role its Task's Comment must name. */
const ACTIONS: Record<string, [string, string]> = {
    "Charge Card": ["Payment", "reserve"],
    "Refund Card": ["Payment", "cancel"],
    "Hold Stock": ["Stock", "reserve"],
    "Commit Stock": ["Stock", "confirm"],
    "Release Stock": ["Stock", "cancel"],
    "Book Courier": ["Shipping", "reserve"],
    "Dispatch Shipment": ["Shipping", "confirm"],
    "Cancel Shipment": ["Shipping", "cancel"],
};

interface Statement {
    Sid: string;
    Action: string[];
    Resource: string | string[];
}

/** Where `needle` appears in clear text in a value, secrets skipped: the paths to it. */
function clearTextPaths(value: unknown, needle: string, at = "$"): string[] {
    if (isRpcSecret(value)) return [];
    if (typeof value === "string") return value.includes(needle) ? [at] : [];
    if (typeof value !== "object" || value === null) return [];
    return Object.entries(value).flatMap(([key, item]) => clearTextPaths(item, needle, `${at}.${key}`));
}

describe("the order example under Pulumi mocks: secrets, grants and an existing function", () => {
    const plain = new PlainProvisioner();
    let definition: AslDefinition;
    const ofType = (type: string) => plain.recorded.filter((r) => r.type === type);
    const named = (type: string, name: string) => {
        const found = plain.recorded.find((r) => r.type === type && r.name === name);
        assert.ok(found, `a ${type} named ${name}`);
        return found;
    };
    const statementsOf = (policyName: string): Statement[] => JSON.parse(named(ROLE_POLICY, policyName).inputs.policy).Statement;
    const arnOf = (r: RecordedResource) => r.state.arn as string;

    before(async () => {
        assertBuilt();
        await deployProgram(loadProjectSettings(EXAMPLE, "dev", { paymentsApiKey: API_KEY }), plain.newResource);
        definition = JSON.parse(ofType("aws:sfn/stateMachine:StateMachine")[0].inputs.definition);
    });

    it("keeps the payments API key a secret: in the payment functions' environment, and nowhere in clear text", () => {
        for (const name of ["order-payment-reserve", "order-payment-cancel"]) {
            const { environment } = named(FUNCTION, name).inputs;
            assert.ok(isRpcSecret(environment), `${name}'s environment is registered as a secret`);
            const { variables } = unwrapRpcSecret(environment);
            assert.equal(variables.PAYMENTS_API_KEY, API_KEY);
            assert.equal(typeof variables.TABLE_NAME, "string", "the saga's own variables are there too");
        }
        // Not in another function's environment, a tag, the definition, a policy or an output.
        assert.deepEqual(clearTextPaths(plain.recorded.map((r) => ({ [r.name]: r.inputs })), API_KEY), []);
        assert.deepEqual(clearTextPaths(plain.recorded.map((r) => ({ [r.name]: r.state })), API_KEY), []);
        for (const fn of ofType(FUNCTION).filter((r) => !r.name.startsWith("order-payment-"))) {
            assert.ok(!isRpcSecret(fn.inputs.environment), `${fn.name}'s environment is plain`);
        }
    });

    it("grants sqs:SendMessage on the warehouse queue to the roles of Commit Stock and Release Stock only, with its URL", () => {
        const warehouse = named("aws:sqs/queue:Queue", "warehouse");
        assert.equal(warehouse.inputs.fifoQueue, true);
        const grant = { Sid: "ActionGrant1", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: arnOf(warehouse) };
        for (const action of ["confirm", "cancel"]) {
            const extra = statementsOf(`order-stock-${action}-policy`).filter((s) => !["TableAccess", "WriteOwnLogs", "XRayTracing"].includes(s.Sid));
            assert.deepEqual(extra, [grant], `Stock ${action}: exactly the grant, nothing more`);
            assert.equal(named(FUNCTION, `order-stock-${action}`).inputs.environment.variables.WAREHOUSE_QUEUE_URL, warehouse.state.url);
        }
        const release = statementsOf("order-stock-cancel-policy").find((s) => s.Sid === "TableAccess");
        assert.deepEqual(release?.Action, ["dynamodb:GetItem", "dynamodb:PutItem"]);
        // No other role may send to it, or send anywhere (the machine records failures on its own queue; the
        // repair's machine and start function tell a person on the needs-attention queue).
        const ownQueue: Record<string, string> = {
            "order-machine-policy": "order-compensation-failures",
            "order-repair-machine-policy": "order-needs-attention",
            "order-repair-start-policy": "order-needs-attention",
        };
        for (const policy of ofType(ROLE_POLICY).filter((r) => !/^order-stock-(confirm|cancel)-policy$/.test(r.name))) {
            const sends = (JSON.parse(policy.inputs.policy).Statement as Statement[]).filter((s) => s.Action.includes("sqs:SendMessage"));
            const allowed = ownQueue[policy.name] ? [arnOf(named("aws:sqs/queue:Queue", ownQueue[policy.name]))] : [];
            assert.deepEqual(sends.map((s) => s.Resource), allowed, `${policy.name} sends to ${JSON.stringify(sends)}`);
        }
    });

    it("uses the program's courier function for Book Courier: no function, role or policy from the saga, and the machine may invoke exactly its ARN", () => {
        const courier = named(FUNCTION, "courier");
        assert.equal((definition.States["Book Courier"].Parameters as { FunctionName: string }).FunctionName, arnOf(courier));
        // The saga's functions: one per handler module, its start and status, and the repair's two. None for Book Courier.
        const sagaFunctions = ofType(FUNCTION).filter((r) => r.name !== "courier");
        assert.equal(sagaFunctions.length, 11);
        assert.ok(!plain.recorded.some((r) => r.name.startsWith("order-shipping-reserve")), "nothing named after the Shipping reserve");
        // Roles: the courier's own, one per saga function, the machine's.
        assert.deepEqual(
            ofType(ROLE).map((r) => r.name).sort(),
            ["courier-role", "order-machine-role", "order-repair-machine-role", ...sagaFunctions.map((r) => `${r.name}-role`)].sort(),
        );
        assert.deepEqual(courier.inputs.role, arnOf(named(ROLE, "courier-role")), "the courier runs with its own role");
        const invoke = statementsOf("order-machine-policy").find((s) => s.Sid === "InvokeSteps")!;
        const stepArns = sagaFunctions.filter((r) => !/-(start|status|repair-outcome)$/.test(r.name)).map(arnOf);
        assert.deepEqual(invoke.Resource, [...stepArns, arnOf(courier)].sort(), "the step functions and the courier's ARN, nothing wider");
        assert.ok(!JSON.stringify(invoke.Resource).includes("*"));
    });

    it("names each Task state's step and role in its Comment, the existing function's too", () => {
        const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === "Task" && state.Resource === "arn:aws:states:::lambda:invoke");
        assert.ok(tasks.length >= Object.keys(ACTIONS).length);
        for (const [name, state] of tasks) {
            // A compensation's copy after a failed one ("Release Stock (after a failed compensation)") is the same action.
            const action = name.replace(/ \(after a failed compensation\)$/, "");
            assert.ok(ACTIONS[action], `"${name}" runs one of the order's actions`);
            const [step, role] = ACTIONS[action];
            assert.deepEqual(parseTaskComment(state.Comment), { step, role }, `"${name}": ${state.Comment}`);
        }
        for (const action of Object.keys(ACTIONS)) assert.ok(tasks.some(([name]) => name === action), `a Task for ${action}`);
    });
});
