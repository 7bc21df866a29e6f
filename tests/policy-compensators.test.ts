import * as assert from "node:assert/strict";
import { travelSteps } from "../handlers/travel/steps";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaStepsHaveCompensators as policy } from "../policy-pack/policies";
import { TestResource, messages, stackOutcome, stackViolations } from "./support/policy-args";
import { T, arn, changed, ofType, sagaStack, step, withDefinition, without } from "./support/policy-fixtures";

const check = (resources: TestResource[]) => messages(stackViolations(policy, resources));
const M = 'State machine "travel-machine"';

describe("policy saga-steps-have-compensators", () => {
    describe("on the step Lambdas' tags", () => {
        it("passes when every step has a cancel Lambda", async () => {
            assert.deepEqual(await check(ofType(sagaStack(travelSteps), T.lambda)), []);
        });

        it("should fail if a step has a reserve Lambda but no cancel Lambda", async () => {
            assert.deepEqual(await check(without(ofType(sagaStack(), T.lambda), "travel-flight-cancel")), [
                'Step "Flight" of saga "travel" must have a compensator: its reserve Lambda "travel-flight-reserve" has no cancel Lambda beside it (tagged saga:name=travel, saga:step=Flight, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
            ]);
        });

        it("should fail if a cancel Lambda does not name its step", async () => {
            const lambdas = changed(ofType(sagaStack(), T.lambda), "travel-flight-cancel", (p) => delete p.tags["saga:step"]);
            assert.deepEqual(await check(lambdas), [
                'Step Lambda "travel-flight-cancel" (saga "travel", cancel) must name its step: tag it with saga:step, as every cancel Lambda of a saga is.',
                'Step "Flight" of saga "travel" must have a compensator: its reserve Lambda "travel-flight-reserve" has no cancel Lambda beside it (tagged saga:name=travel, saga:step=Flight, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
            ]);
        });

        it("reports the violation on the step's reserve Lambda", async () => {
            const [violation] = await stackViolations(policy, without(sagaStack(), "travel-flight-cancel", "travel-machine"));
            assert.equal(violation.urn, "urn:pulumi:test::saga::aws:lambda/function:Function::travel-flight-reserve");
        });
    });

    describe("on a generated definition, by the tags of the Lambdas it invokes", () => {
        it("passes the travel booking", async () => {
            assert.deepEqual(await check(sagaStack(travelSteps)), []);
        });

        it("passes six steps, some with a confirm", async () => {
            const steps = ["A", "B", "C", "D", "E", "F"].map((name, i) => step(name, i % 2 === 0));
            assert.deepEqual(await check(sagaStack(steps)), []);
        });

        it("should fail if a forward task has no Catch", async () => {
            const stack = withDefinition(sagaStack(), (asl) => delete asl.States["Reserve Flight"].Catch);
            assert.deepEqual(await check(stack), [
                `${M} must catch every error of forward task "Reserve Flight" (step "Flight"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
            ]);
        });

        it("should fail if a forward task catches only some errors", async () => {
            const stack = withDefinition(sagaStack(), (asl) => (asl.States["Reserve Flight"].Catch[0].ErrorEquals = ["Flight.Unavailable"]));
            assert.deepEqual(await check(stack), [
                `${M} must catch every error of forward task "Reserve Flight" (step "Flight"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
            ]);
        });

        it("should fail if a Catch skips an earlier step's compensator", async () => {
            const stack = withDefinition(sagaStack(), (asl) => (asl.States["Cancel Flight"].Next = "Rolled Back"));
            assert.deepEqual(await check(stack), [
                `${M} must compensate step "Hotel" when forward task "Reserve Flight" (step "Flight") fails: the path of its Catch on ["States.ALL"] runs "Cancel Flight" and ends at "Rolled Back". Run the compensators of steps "Flight" and "Hotel", newest first, before the Fail state.`,
            ]);
        });

        it("should fail if a Catch skips the failing step's own compensator", async () => {
            const stack = withDefinition(sagaStack(), (asl) => (asl.States["Reserve Flight"].Catch[0].Next = "Cancel Hotel"));
            assert.deepEqual(await check(stack), [
                `${M} must compensate step "Flight" when forward task "Reserve Flight" (step "Flight") fails: the path of its Catch on ["States.ALL"] runs "Cancel Hotel" and ends at "Rolled Back". Run the compensators of steps "Flight" and "Hotel", newest first, before the Fail state.`,
            ]);
        });

        it("should fail if compensations run in the wrong order", async () => {
            const stack = withDefinition(sagaStack(), (asl) => {
                asl.States["Reserve Flight"].Catch[0].Next = "Cancel Hotel";
                asl.States["Cancel Hotel"].Next = "Cancel Flight";
                asl.States["Cancel Flight"].Next = "Rolled Back";
            });
            assert.deepEqual(await check(stack), [
                `${M} must run compensations newest first when forward task "Reserve Flight" (step "Flight") fails: the path of its Catch on ["States.ALL"] runs "Cancel Hotel", then "Cancel Flight" and ends at "Rolled Back". Run "Cancel Flight", then "Cancel Hotel".`,
            ]);
        });

        it("should fail if a confirm's failure misses a compensator", async () => {
            const stack = withDefinition(sagaStack([step("Hotel", true), step("Flight")]), (asl) => (asl.States["Confirm Hotel"].Catch[0].Next = "Cancel Hotel"));
            assert.deepEqual(await check(stack), [
                `${M} must compensate step "Flight" when forward task "Confirm Hotel" (step "Hotel") fails: the path of its Catch on ["States.ALL"] runs "Cancel Hotel" and ends at "Rolled Back". Run the compensators of steps "Flight" and "Hotel", newest first, before the Fail state.`,
            ]);
        });

        it("should fail if a forward failure can end in success", async () => {
            const stack = withDefinition(sagaStack(), (asl) => (asl.States["Reserve Flight"].Catch[0].Next = "Succeeded"));
            assert.deepEqual(await check(stack), [
                `${M} must end failed when forward task "Reserve Flight" (step "Flight") fails: the path of its Catch on ["States.ALL"] reaches "Succeeded", which ends the execution successfully. Route it through the compensations to a Fail state.`,
            ]);
        });

        it("should fail if a Choice on the compensation path can lead to success", async () => {
            const stack = withDefinition(sagaStack(), (asl) => {
                asl.States["Reserve Flight"].Catch[0].Next = "Worth compensating?";
                asl.States["Worth compensating?"] = {
                    Type: "Choice",
                    Choices: [{ Variable: "$.saga.failure.Error", StringEquals: "Flight.SoldOut", Next: "Succeeded" }],
                    Default: "Cancel Flight",
                };
            });
            assert.deepEqual(await check(stack), [
                `${M} must end failed when forward task "Reserve Flight" (step "Flight") fails: the path of its Catch on ["States.ALL"] reaches "Succeeded", which ends the execution successfully. Route it through the compensations to a Fail state.`,
            ]);
        });

        it("should fail on every forward task of a tagged machine without any Catch", async () => {
            const stack = withDefinition(sagaStack(), (asl) => Object.values(asl.States).forEach((state) => delete state.Catch));
            assert.deepEqual(await check(stack), [
                `${M} must catch every error of forward task "Reserve Hotel" (step "Hotel"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
                `${M} must catch every error of forward task "Reserve Flight" (step "Flight"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
            ]);
        });

        it("should fail if a saga machine's definition is not JSON", async () => {
            const stack = changed(sagaStack(), "travel-machine", (p) => (p.definition = "{"));
            const parserSays = (() => {
                try {
                    return JSON.parse("{");
                } catch (error) {
                    return (error as Error).message;
                }
            })();
            assert.deepEqual(await check(stack), [`${M} must have a valid definition: its definition is not valid JSON (${parserSays}).`]);
        });
    });

    describe("on a hand-written definition, by its structure", () => {
        // Booking a car, then a room; the compensation chains are separate states per forward task.
        const CAR = arn.lambda("car");
        const ROOM = arn.lambda("room");
        const invoke = (fn: string, action: string, next: object) => ({
            Type: "Task",
            Resource: "arn:aws:states:::lambda:invoke",
            Parameters: { FunctionName: fn, Payload: { action } },
            ...next,
        });
        const retryAll = { Retry: [{ ErrorEquals: ["States.ALL"], MaxAttempts: 5 }] };
        const handWritten = (): { StartAt: string; States: Record<string, any> } => ({
            StartAt: "Book car",
            States: {
                "Book car": invoke(CAR, "book", { Next: "Book room", Catch: [{ ErrorEquals: ["States.ALL"], Next: "Release car" }] }),
                "Book room": invoke(ROOM, "book", { Next: "Done", Catch: [{ ErrorEquals: ["States.ALL"], Next: "Release room (room failed)" }] }),
                Done: { Type: "Succeed" },
                "Release car": invoke(CAR, "release", { Next: "Failed", ...retryAll }),
                "Release room (room failed)": invoke(ROOM, "release", { Next: "Release car (room failed)", ...retryAll }),
                "Release car (room failed)": invoke(CAR, "release", { Next: "Failed", ...retryAll }),
                Failed: { Type: "Fail", Error: "Trip.RolledBack" },
            },
        });
        const machine = (definition: object): TestResource[] => [
            { type: T.stateMachine, name: "trips", props: { definition: JSON.stringify(definition), roleArn: arn.role("trips") } },
        ];
        const TRIPS = 'State machine "trips"';

        it("passes when every forward failure runs the compensations so far, newest first", async () => {
            assert.deepEqual(await check(machine(handWritten())), []);
        });

        it("should fail if a later failure skips a compensation an earlier one runs", async () => {
            const asl = handWritten();
            asl.States["Release room (room failed)"].Next = "Failed";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must also run "Release car" when forward task "Book room" fails, as it does when the earlier forward task "Book car" fails (that work is done by then): the path of its Catch on ["States.ALL"] runs "Release room (room failed)" and ends at "Failed".`,
            ]);
        });

        it("should fail if compensations run oldest first", async () => {
            const asl = handWritten();
            asl.States["Book room"].Catch[0].Next = "Release car (room failed)";
            asl.States["Release car (room failed)"].Next = "Release room (room failed)";
            asl.States["Release room (room failed)"].Next = "Failed";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must run compensations newest first when forward task "Book room" fails: the path of its Catch on ["States.ALL"] runs "Release car (room failed)", then "Release room (room failed)" and ends at "Failed". Run the compensations new at this task first, then "Release car", as for the earlier forward task "Book car".`,
            ]);
        });

        it("should fail if the first forward failure runs no compensation", async () => {
            const asl = handWritten();
            asl.States["Book car"].Catch[0].Next = "Failed";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must compensate when forward task "Book car" fails: the path of its Catch on ["States.ALL"] runs no task and ends at "Failed". Run its compensator and those of every earlier step, newest first, before the Fail state.`,
            ]);
        });

        it("should fail if a forward task of a structural saga has no Catch", async () => {
            const asl = handWritten();
            delete asl.States["Book room"].Catch;
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must catch every error of forward task "Book room": add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
            ]);
        });

        it("ignores a state machine that is no saga (no tags, no saga Lambdas, no compensations)", async () => {
            const asl = handWritten();
            Object.values(asl.States).forEach((state) => delete state.Catch);
            assert.deepEqual(await check(machine(asl)), []);
        });
    });

    describe("while the definition is not known (a first preview)", () => {
        const previewOf = (resources: TestResource[]) => changed(resources, "travel-machine", (p) => (p.definition = UNKNOWN_STRING_SENTINEL));
        const NOT_CHECKED =
            'the definition of state machine "travel-machine" is not known yet (a first preview builds it from ARNs that do not exist yet), so it was not checked; it is checked once known, e.g. by `pulumi up`. The tag-based check did run';

        it("says the definition check could not run, after the tag check has run", async () => {
            const outcome = await stackOutcome(policy, previewOf(without(sagaStack(), "travel-flight-cancel")));
            assert.deepEqual(outcome.reported, [
                'Step "Flight" of saga "travel" must have a compensator: its reserve Lambda "travel-flight-reserve" has no cancel Lambda beside it (tagged saga:name=travel, saga:step=Flight, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
            ]);
            assert.equal(outcome.error?.message, NOT_CHECKED);
            // The policy SDK reports this error class as an advisory "can't run policy ... during preview".
            assert.equal(outcome.error?.constructor.name, "NotKnownYet");
        });

        it("treats an absent definition (Pulumi mocks in preview) as unknown, without crashing", async () => {
            const outcome = await stackOutcome(policy, changed(sagaStack(), "travel-machine", (p) => delete p.definition));
            assert.deepEqual(outcome.reported, []);
            assert.equal(outcome.error?.message, NOT_CHECKED);
        });

        it("checks the tags even when the Lambdas' ARNs are unknown too", async () => {
            let stack = previewOf(without(sagaStack(), "travel-hotel-cancel"));
            for (const fn of ofType(stack, T.lambda)) stack = changed(stack, fn.name, (p) => (p.arn = UNKNOWN_STRING_SENTINEL));
            const outcome = await stackOutcome(policy, stack);
            assert.equal(outcome.reported.length, 1);
            assert.match(outcome.reported[0], /^Step "Hotel" of saga "travel" must have a compensator/);
        });
    });
});
