// The EventBridge pattern matcher (components/model/event-pattern.ts) the repair policies and the
// local cloud's EventBridge use, on the pattern language's documented cases.
import * as assert from "node:assert/strict";
import { matchesPattern } from "../components/model/event-pattern";

const event = {
    source: "aws.states",
    "detail-type": "Step Functions Execution Status Change",
    resources: ["arn:aws:states:us-east-1:1:execution:m:a", "arn:aws:states:us-east-1:1:execution:m:b"],
    detail: { status: "FAILED", error: "Saga.CompensationFailed", cause: null, attempts: 3, name: "Trip-42" },
};

describe("the EventBridge pattern matcher", () => {
    const cases: [string, object, boolean][] = [
        ["literal values, any of a list", { source: ["aws.lambda", "aws.states"] }, true],
        ["a literal that differs", { source: ["aws.lambda"] }, false],
        ["a nested object, every field", { detail: { status: ["FAILED"], error: ["Saga.CompensationFailed"] } }, true],
        ["a nested field that differs", { detail: { status: ["FAILED"], error: ["Saga.RolledBack"] } }, false],
        ["a field the event lacks", { detail: { region: ["eu-west-1"] } }, false],
        ["null, literally", { detail: { cause: [null] } }, true],
        ["an array value: any element", { resources: ["arn:aws:states:us-east-1:1:execution:m:b"] }, true],
        ["prefix", { detail: { error: [{ prefix: "Saga." }] } }, true],
        ["suffix", { detail: { error: [{ suffix: ".RolledBack" }] } }, false],
        ["equals-ignore-case", { detail: { name: [{ "equals-ignore-case": "trip-42" }] } }, true],
        ["anything-but a value", { detail: { error: [{ "anything-but": "Saga.RolledBack" }] } }, true],
        ["anything-but a list that has it", { detail: { error: [{ "anything-but": ["Saga.RolledBack", "Saga.CompensationFailed"] }] } }, false],
        ["anything-but a prefix", { detail: { error: [{ "anything-but": { prefix: "Saga." } }] } }, false],
        ["anything-but on a field the event lacks", { detail: { region: [{ "anything-but": "x" }] } }, false],
        ["exists", { detail: { error: [{ exists: true }] } }, true],
        ["exists: false on a present field", { detail: { error: [{ exists: false }] } }, false],
        ["exists: false on an absent field", { detail: { region: [{ exists: false }] } }, true],
        ["numeric", { detail: { attempts: [{ numeric: [">", 0, "<=", 3] }] } }, true],
        ["numeric out of range", { detail: { attempts: [{ numeric: [">", 3] }] } }, false],
        ["wildcard", { detail: { name: [{ wildcard: "Trip-*" }] } }, true],
        ["$or, one alternative", { detail: { $or: [{ status: ["ABORTED"] }, { status: ["FAILED"], error: [{ prefix: "Saga." }] }] } }, true],
        ["$or, none", { detail: { $or: [{ status: ["ABORTED"] }, { status: ["TIMED_OUT"] }] } }, false],
        ["an operator it does not know (cidr): no match", { detail: { error: [{ cidr: "10.0.0.0/24" }] } }, false],
        ["exists: false on a field every object inherits (constructor)", { detail: { constructor: [{ exists: false }] } }, true],
        ["exists on a field every object inherits (toString)", { detail: { toString: [{ exists: true }] } }, false],
    ];
    for (const [name, pattern, expected] of cases) {
        it(`${expected ? "matches" : "does not match"}: ${name}`, () => assert.equal(matchesPattern(pattern as Record<string, unknown>, event), expected));
    }
});
