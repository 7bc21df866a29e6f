import * as assert from "node:assert/strict";
import { travelStart, travelSteps } from "../handlers/travel/steps";
import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import { sagaCompensationsRetry, sagaStepsHaveCompensators as policy } from "../policy-pack/policies";
import { TestResource, messages, resourceViolations, stackOutcome, stackViolations } from "./support/policy-args";
import { arn, changed, componentStack, ofType, sagaStack, step, withDefinition, without } from "./support/policy-fixtures";
import { asOutputs } from "./support/policy-stack";
import { ResourceTypes } from "../components/model/resource-types";

const check = (resources: TestResource[]) => messages(stackViolations(policy, resources));
const M = 'State machine "travel-machine"';

describe("policy saga-steps-have-compensators", () => {
    describe("on the step Lambdas' tags", () => {
        it("passes when every step has a cancel Lambda", async () => {
            assert.deepEqual(await check(ofType(sagaStack(travelSteps), ResourceTypes.function)), []);
        });

        it("should fail if a step has a reserve Lambda but no cancel Lambda", async () => {
            assert.deepEqual(await check(without(ofType(sagaStack(), ResourceTypes.function), "travel-flight-cancel")), [
                'Step "Flight" of saga "travel" must have a compensator: its reserve Lambda "travel-flight-reserve" has no cancel Lambda beside it (tagged saga:name=travel, saga:step=Flight, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
            ]);
        });

        it("should fail if a cancel Lambda does not name its step", async () => {
            const lambdas = changed(ofType(sagaStack(), ResourceTypes.function), "travel-flight-cancel", (p) => delete p.tags["saga:step"]);
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

    describe("on a generated definition, by its Tasks' Comments (which agree with its Lambdas' tags)", () => {
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

    // A hand-written machine: booking a car, then a room; the compensation chains are separate
    // states per forward task. Its functions are not in the stack.
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
        { type: ResourceTypes.stateMachine, name: "trips", props: { definition: JSON.stringify(definition), roleArn: arn.role("trips") } },
    ];
    const TRIPS = 'State machine "trips"';

    describe("on a hand-written definition, by its structure", () => {
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

    describe("on a hand-written definition that names its steps in its Tasks' Comments", () => {
        const comment = (step: string, role: string) => `saga:step=${step} saga:role=${role}`;
        const commented = () => {
            const asl = handWritten();
            asl.States["Book car"].Comment = comment("Car", "reserve");
            asl.States["Book room"].Comment = comment("Room", "reserve");
            asl.States["Release car"].Comment = comment("Car", "cancel");
            asl.States["Release room (room failed)"].Comment = comment("Room", "cancel");
            asl.States["Release car (room failed)"].Comment = comment("Car", "cancel");
            return asl;
        };

        it("passes when every forward failure runs the compensators of its step and the earlier ones, newest first", async () => {
            assert.deepEqual(await check(machine(commented())), []);
        });

        it("should fail if a later failure skips an earlier step's compensator, naming the step", async () => {
            const asl = commented();
            asl.States["Release room (room failed)"].Next = "Failed";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must compensate step "Car" when forward task "Book room" (step "Room") fails: the path of its Catch on ["States.ALL"] runs "Release room (room failed)" and ends at "Failed". Run the compensators of steps "Room" and "Car", newest first, before the Fail state.`,
            ]);
        });

        it("should fail if a step has no cancel task at all, naming the step", async () => {
            const asl = commented();
            delete asl.States["Release room (room failed)"];
            asl.States["Book room"].Catch[0].Next = "Release car (room failed)";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must compensate step "Room" when forward task "Book room" (step "Room") fails: the path of its Catch on ["States.ALL"] runs "Release car (room failed)" and ends at "Failed". Run the compensators of steps "Room" and "Car", newest first, before the Fail state.`,
            ]);
        });

        it("should fail if a step's only cancel task is one nothing reaches", async () => {
            const asl = commented();
            asl.States["Book room"].Catch[0].Next = "Release car (room failed)";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must compensate step "Room" when forward task "Book room" (step "Room") fails: the path of its Catch on ["States.ALL"] runs "Release car (room failed)" and ends at "Failed". Run the compensators of steps "Room" and "Car", newest first, before the Fail state.`,
            ]);
        });

        it("should fail if compensations run oldest first", async () => {
            const asl = commented();
            asl.States["Book room"].Catch[0].Next = "Release car (room failed)";
            asl.States["Release car (room failed)"].Next = "Release room (room failed)";
            asl.States["Release room (room failed)"].Next = "Failed";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must run compensations newest first when forward task "Book room" (step "Room") fails: the path of its Catch on ["States.ALL"] runs "Release car (room failed)", then "Release room (room failed)" and ends at "Failed". Run "Release room (room failed)", then "Release car (room failed)".`,
            ]);
        });

        it("is checked as a saga even with no Catch at all, where an uncommented machine is not", async () => {
            const asl = commented();
            Object.values(asl.States).forEach((state) => delete state.Catch);
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must catch every error of forward task "Book car" (step "Car"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
                `${TRIPS} must catch every error of forward task "Book room" (step "Room"): add a Catch on ["States.ALL"] that runs its compensator and those of every earlier step, newest first, then ends in a Fail state.`,
            ]);
        });

        it("has its compensations' retries checked even when no forward failure is caught", async () => {
            // The rollback is a branch of a Choice: structurally no saga, but the Comments say it is one.
            const asl = commented();
            Object.values(asl.States).forEach((state) => delete state.Catch);
            asl.States["Book room"].Next = "Keep it?";
            asl.States["Keep it?"] = { Type: "Choice", Choices: [{ Variable: "$.keep", BooleanEquals: false, Next: "Release room (room failed)" }], Default: "Done" };
            asl.States["Release car (room failed)"].Retry = [{ ErrorEquals: ["States.ALL"], MaxAttempts: 1 }];
            const retries = (definition: object) => messages(resourceViolations(sagaCompensationsRetry, machine(definition)));
            assert.deepEqual(await retries(asl), [
                `${TRIPS} must retry compensation "Release car (room failed)" at least 3 times: its Retry on ["States.ALL"] has MaxAttempts 1. Set MaxAttempts to 3 or more.`,
            ]);
            Object.values(asl.States).forEach((state) => delete state.Comment);
            assert.deepEqual(await retries(asl), []);
        });

        it("should fail if a Comment mentions the saga tags but does not follow the convention", async () => {
            const asl = commented();
            asl.States["Release car"].Comment = "saga:step=Car saga:role=undo";
            assert.deepEqual(await check(machine(asl)), [
                `${TRIPS} must write the Comment of task "Release car" as "saga:step=<step> saga:role=<reserve, confirm or cancel>": "saga:step=Car saga:role=undo" does not follow that convention, so the task's step and role are not known from it.`,
                `${TRIPS} must compensate step "Car" when forward task "Book car" (step "Car") fails: the path of its Catch on ["States.ALL"] runs "Release car" and ends at "Failed". Run the compensators of step "Car", newest first, before the Fail state.`,
            ]);
        });
    });

    describe("on a saga of existing functions (SagaComponent with `functionArn`), by the Tasks' Comments", () => {
        // Hotel's actions are the saga's own Lambdas; Flight's cancel and both of Payment's actions
        // are existing functions: not in the stack, so untagged and unknown to the pack.
        const EXISTING = { flightCancel: arn.lambda("flight-desk-cancel"), take: arn.lambda("payments-take"), refund: arn.lambda("payments-refund") };
        const [hotel, flight, payment] = travelSteps;
        let stack: TestResource[];
        const MIXED = 'State machine "mixed-machine"';
        const inMachine = (resources: TestResource[], change: Parameters<typeof withDefinition>[1]) => withDefinition(resources, change, "mixed-machine");
        /** Deletes a state and sends every transition to it (Next, Catch) to `instead`. */
        const removeState = (asl: { States: Record<string, any> }, name: string, instead: string) => {
            delete asl.States[name];
            for (const state of Object.values(asl.States)) {
                if (state.Next === name) state.Next = instead;
                for (const catcher of state.Catch ?? []) if (catcher.Next === name) catcher.Next = instead;
            }
        };

        before(async () => {
            const captured = await componentStack("mixed", {
                steps: [
                    hotel,
                    { ...flight, cancel: { functionArn: EXISTING.flightCancel, stateName: "Cancel Flight" } },
                    { ...payment, reserve: { functionArn: EXISTING.take, stateName: "Take Payment" }, cancel: { functionArn: EXISTING.refund, stateName: "Refund Payment" } },
                ],
                start: travelStart,
            });
            stack = asOutputs(captured);
        });

        it("creates no Lambda for the existing functions (the premise)", () => {
            const lambdas = ofType(stack, ResourceTypes.function).map((l) => l.name);
            assert.deepEqual(lambdas.filter((name) => /flight-cancel|payment/.test(name)), []);
            assert.ok(lambdas.includes("mixed-flight-reserve"));
        });

        it("passes: the Comments name the step and role of every task", async () => {
            assert.deepEqual(await check(stack), []);
        });

        it("passes when the existing functions are untagged Lambdas of the stack", async () => {
            const untagged = Object.entries(EXISTING).map(([name, fnArn]): TestResource => ({
                type: ResourceTypes.function,
                name,
                props: { name: fnArn.split(":").at(-1), arn: fnArn, runtime: "python3.13", role: arn.role(`${name}-role`) },
            }));
            assert.deepEqual(await check([...stack, ...untagged]), []);
        });

        // Take Payment, Confirm Hotel and Confirm Flight are caught into the compensations from Refund Payment on.
        const intoRefund = ["Take Payment", "Confirm Hotel", "Confirm Flight"];
        const paymentNotCompensated = intoRefund.map(
            (task) =>
                `${MIXED} must compensate step "Payment" when forward task "${task}" (step "${task.split(" ")[1]}") fails: the path of its Catch on ["States.ALL"] runs "Cancel Flight", then "Cancel Hotel" and ends at "Rolled Back". Run the compensators of steps "Payment", "Flight" and "Hotel", newest first, before the Fail state.`,
        );

        it("should fail if a step of existing functions has no cancel state, naming the step", async () => {
            const broken = inMachine(stack, (asl) => {
                delete asl.States["Refund Payment"];
                for (const task of intoRefund) asl.States[task].Catch[0].Next = "Cancel Flight";
            });
            assert.deepEqual(await check(broken), paymentNotCompensated);
        });

        it("should fail if a step's existing cancel function is never reached, naming the step", async () => {
            const broken = inMachine(stack, (asl) => {
                for (const task of intoRefund) asl.States[task].Catch[0].Next = "Cancel Flight";
            });
            assert.deepEqual(await check(broken), paymentNotCompensated);
        });

        it("should fail if a step whose reserve is the saga's Lambda loses its existing cancel", async () => {
            const broken = inMachine(stack, (asl) => {
                removeState(asl, "Cancel Flight", "Cancel Hotel");
                removeState(asl, "Cancel Flight (after a failed compensation)", "Cancel Hotel (after a failed compensation)");
            });
            const found = await check(broken);
            assert.equal(
                found[0],
                'Step "Flight" of saga "mixed" must have a compensator: its reserve Lambda "mixed-flight-reserve" has no cancel Lambda beside it (tagged saga:name=mixed, saga:step=Flight, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
            );
            assert.deepEqual(
                found.slice(1).map((m) => /forward task "([^"]+)"/.exec(m)?.[1]),
                ["Reserve Flight", "Take Payment", "Confirm Hotel", "Confirm Flight"],
                found.join("\n"),
            );
            assert.ok(found.slice(1).every((m) => m.startsWith(`${MIXED} must compensate step "Flight" when forward task`)), found.join("\n"));
        });

        it("should fail if a task's Comment and its Lambda's tags disagree, naming both", async () => {
            const broken = inMachine(stack, (asl) => (asl.States["Cancel Hotel"].Comment = "saga:step=Flight saga:role=cancel"));
            const found = await check(broken);
            assert.equal(
                found[0],
                `${MIXED} must name the same step and role in the Comment of task "Cancel Hotel" as the tags of the Lambda it invokes: the Comment says "saga:step=Flight saga:role=cancel", but Lambda "mixed-hotel-cancel" is tagged saga:step=Hotel, saga:role=cancel. The compensations are checked by the Comment; correct whichever is wrong.`,
            );
            // Going by the Comment, no task compensates Hotel any more.
            assert.ok(found.length > 1 && found.slice(1).every((m) => m.includes('must compensate step "Hotel"')), found.join("\n"));
        });
    });

    describe("on a definition without Comments, by the tags of the Lambdas it invokes (the fallback)", () => {
        const uncommented = (resources: TestResource[]) => withDefinition(resources, (asl) => Object.values(asl.States).forEach((state) => delete state.Comment));

        it("passes the travel booking", async () => {
            assert.deepEqual(await check(uncommented(sagaStack(travelSteps))), []);
        });

        it("should fail if a Catch skips an earlier step's compensator, naming the step", async () => {
            const stack = withDefinition(uncommented(sagaStack()), (asl) => (asl.States["Cancel Flight"].Next = "Rolled Back"));
            assert.deepEqual(await check(stack), [
                `${M} must compensate step "Hotel" when forward task "Reserve Flight" (step "Flight") fails: the path of its Catch on ["States.ALL"] runs "Cancel Flight" and ends at "Rolled Back". Run the compensators of steps "Flight" and "Hotel", newest first, before the Fail state.`,
            ]);
        });

        it("compares the paths with each other when a forward task's Lambda is untagged too", async () => {
            let stack = changed(uncommented(sagaStack()), "travel-flight-reserve", (p) => delete p.tags);
            stack = withDefinition(stack, (asl) => (asl.States["Cancel Flight"].Next = "Rolled Back"));
            assert.deepEqual(await check(stack), [
                `${M} must also run "Cancel Hotel" when forward task "Reserve Flight" fails, as it does when the earlier forward task "Reserve Hotel" fails (that work is done by then): the path of its Catch on ["States.ALL"] runs "Cancel Flight" and ends at "Rolled Back".`,
            ]);
        });
    });

    describe("while the definition is not known (a first preview)", () => {
        const previewOf = (resources: TestResource[]) => changed(resources, "travel-machine", (p) => (p.definition = UNKNOWN_STRING_SENTINEL));
        const NOT_CHECKED =
            'the definition of state machine "travel-machine" is not known yet (a first preview builds it from ARNs that do not exist yet), so it was not checked; it is checked once known, e.g. by `pulumi up`. The tag-based check did run';

        it("says the definition check could not run, after the tag check has run", async () => {
            const outcome = await stackOutcome(policy, previewOf(changed(sagaStack(), "travel-flight-cancel", (p) => delete p.tags["saga:step"])));
            assert.deepEqual(outcome.reported, [
                'Step Lambda "travel-flight-cancel" (saga "travel", cancel) must name its step: tag it with saga:step, as every cancel Lambda of a saga is.',
            ]);
            assert.equal(
                outcome.error?.message,
                `${NOT_CHECKED}; it found no cancel Lambda for step "Flight" of saga "travel", so its compensator can only be a task of the definition (e.g. an existing function, named by its Comment), which is checked with the definition`,
            );
            // The policy SDK reports this error class as an advisory "can't run policy ... during preview".
            assert.equal(outcome.error?.constructor.name, "NotKnownYet");
        });

        it("leaves a step without a cancel Lambda to the definition check, since its cancel may be an existing function", async () => {
            const outcome = await stackOutcome(policy, previewOf(without(sagaStack(), "travel-flight-cancel", "travel-hotel-cancel")));
            assert.deepEqual(outcome.reported, []);
            assert.equal(
                outcome.error?.message,
                `${NOT_CHECKED}; it found no cancel Lambda for step "Hotel" of saga "travel", step "Flight" of saga "travel", so their compensators can only be a task of the definition (e.g. an existing function, named by its Comment), which is checked with the definition`,
            );
        });

        it("treats an absent definition (Pulumi mocks in preview) as unknown, without crashing", async () => {
            const outcome = await stackOutcome(policy, changed(sagaStack(), "travel-machine", (p) => delete p.definition));
            assert.deepEqual(outcome.reported, []);
            assert.equal(outcome.error?.message, NOT_CHECKED);
        });

        it("checks the tags even when the Lambdas' ARNs are unknown too", async () => {
            let stack = previewOf(changed(sagaStack(), "travel-hotel-cancel", (p) => delete p.tags["saga:step"]));
            for (const fn of ofType(stack, ResourceTypes.function)) stack = changed(stack, fn.name, (p) => (p.arn = UNKNOWN_STRING_SENTINEL));
            const outcome = await stackOutcome(policy, stack);
            assert.equal(outcome.reported.length, 1);
            assert.match(outcome.reported[0], /^Step Lambda "travel-hotel-cancel" \(saga "travel", cancel\) must name its step/);
        });

        it("still reports a step without a cancel Lambda when its saga has no state machine to name one", async () => {
            const outcome = await stackOutcome(policy, without(sagaStack(), "travel-hotel-cancel", "travel-machine"));
            assert.deepEqual(outcome.reported, [
                'Step "Hotel" of saga "travel" must have a compensator: its reserve Lambda "travel-hotel-reserve" has no cancel Lambda beside it (tagged saga:name=travel, saga:step=Hotel, saga:role=cancel). Add a `cancel` action to the step that undoes `reserve`.',
            ]);
            assert.equal(outcome.error, undefined);
        });
    });
});
