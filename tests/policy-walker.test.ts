// The one ASL walker (components/model/asl.ts): every path the pack analyses, and the one run
// the definition tests follow (`walk`).
import * as assert from "node:assert/strict";
import { Asl, pathsFrom, walk } from "../components/model/asl";

const task = (next: object) => ({ Type: "Task", Resource: "arn:aws:states:::lambda:invoke", ...next });
const catchAll = (next: string) => ({ Catch: [{ ErrorEquals: ["Narrow.Error"], Next: "Nowhere" }, { ErrorEquals: ["States.ALL"], Next: next }] });
const booking = (): Asl => ({
    StartAt: "Reserve",
    States: {
        Reserve: task({ Next: "Confirm", ...catchAll("Cancel") }),
        Confirm: task({ Next: "Done", ...catchAll("Cancel") }),
        Cancel: task({ Next: "Rolled Back", ...catchAll("Failed") }),
        Done: { Type: "Succeed" },
        "Rolled Back": { Type: "Fail", Error: "Saga.RolledBack" },
        Failed: { Type: "Fail", Error: "Saga.CompensationFailed" },
    },
});

describe("the ASL walker", () => {
    it("follows Next while nothing fails, and a failing state's Catch on States.ALL", () => {
        assert.deepEqual(walk(booking()), ["Reserve", "Confirm", "Done"]);
        assert.deepEqual(walk(booking(), new Set(["Confirm"])), ["Reserve", "Confirm", "Cancel", "Rolled Back"]);
        assert.deepEqual(walk(booking(), new Set(["Confirm", "Cancel"])), ["Reserve", "Confirm", "Cancel", "Failed"]);
    });

    it("ends the run at a failing state without a Catch on States.ALL", () => {
        const asl = booking();
        delete asl.States.Confirm.Catch;
        assert.deepEqual(walk(asl, new Set(["Confirm"])), ["Reserve", "Confirm"]);
        assert.deepEqual(pathsFrom(asl, "Reserve", new Set(["Confirm"])), [{ states: ["Reserve", "Confirm"], end: { kind: "uncaught", state: "Confirm" } }]);
    });

    it("refuses a run that loops, reaches a missing state or a state it cannot leave, or forks", () => {
        const loops = booking();
        loops.States.Cancel.Next = "Reserve";
        assert.throws(() => walk(loops, new Set(["Reserve"])), { message: "The definition loops: Reserve -> Cancel -> Reserve" });
        const missing = booking();
        missing.States.Confirm.Next = "Gone";
        assert.throws(() => walk(missing), { message: '"Confirm" leads to the missing state "Gone".' });
        assert.throws(() => walk({ ...booking(), StartAt: "Gone" }), { message: 'StartAt leads to the missing state "Gone".' });
        const stuck = booking();
        delete stuck.States.Confirm.Next;
        assert.throws(() => walk(stuck), { message: '"Confirm" neither ends the run nor names a next state.' });
        const forks = booking();
        forks.States.Confirm.Next = "Keep?";
        forks.States["Keep?"] = { Type: "Choice", Choices: [{ Variable: "$.keep", BooleanEquals: true, Next: "Done" }], Default: "Cancel" };
        assert.throws(() => walk(forks), { message: "The run forks into 2 paths: Reserve -> Confirm -> Keep? -> Done; Reserve -> Confirm -> Keep? -> Cancel -> Rolled Back" });
    });
});
