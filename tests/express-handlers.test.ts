// An EXPRESS saga's handlers with their real SDK clients, against dynalite (a table with the
// open-saga index, as the component creates it for EXPRESS) and a local stand-in of the Step
// Functions API: the start that lets the table decide one saga per id, the status read from the
// saga's record, the sweep that hands open sagas past their deadline to the repair, and the
// repair's outcome function taking over an open record.
// First: the fake AWS environment must be in place before the handlers create their SDK clients.
import "./support/aws-env";
import assert from "node:assert/strict";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { Env, ExpressOutcomes, OpenSagaIndex, openShardOf, OPEN_SHARDS, OUTCOME_RECORD_SK, SAGA_STATE_KEY, SagaErrors } from "../components/model/conventions";
import { handler as recordOutcome } from "../handlers/lib/repair-outcome";
import { repairInputOf, sweep, SweepIncomplete } from "../handlers/lib/sweep";
import { handler as start } from "../handlers/travel/start";
import { handler as status } from "../handlers/travel/status";
import { demoTrip } from "../handlers/travel/trip";
import { withEnv } from "./support/aws-env";
import { localTable } from "./support/dynalite";
import { SfnStub, sfnStub } from "./support/sfn-stub";

const TABLE = "saga-express-test";
const REPAIR_MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:booking-repair-machine";

describe("an EXPRESS saga's handlers", () => {
    let sfn: SfnStub;
    let dynamo: DynamoDBClient;
    let env: Record<string, string | undefined>;

    before(async () => {
        const table = await localTable();
        sfn = await sfnStub();
        dynamo = new DynamoDBClient({ endpoint: table.endpoint });
        await dynamo.send(
            new CreateTableCommand({
                TableName: TABLE,
                KeySchema: [
                    { AttributeName: "pk", KeyType: "HASH" },
                    { AttributeName: "sk", KeyType: "RANGE" },
                ],
                AttributeDefinitions: ["pk", "sk", OpenSagaIndex.shard, OpenSagaIndex.due].map((name) => ({ AttributeName: name, AttributeType: "S" as const })),
                GlobalSecondaryIndexes: [
                    {
                        IndexName: OpenSagaIndex.name,
                        KeySchema: [
                            { AttributeName: OpenSagaIndex.shard, KeyType: "HASH" },
                            { AttributeName: OpenSagaIndex.due, KeyType: "RANGE" },
                        ],
                        Projection: { ProjectionType: "KEYS_ONLY" },
                    },
                ],
                BillingMode: "PAY_PER_REQUEST",
            }),
        );
        env = {
            [Env.tableName]: TABLE,
            [Env.stateMachineArn]: sfn.stateMachineArn,
            [Env.workflowType]: "EXPRESS",
            [Env.executionTimeoutSeconds]: "300",
            [Env.failureInjection]: "true",
            [Env.statusPath]: undefined,
        };
    });
    after(() => dynamo.destroy());
    beforeEach(() => sfn.reset());

    let serial = 0;
    const newId = (what: string) => `express-${what}-${Date.now().toString(36)}-${serial++}`;
    const startTrip = (query: Record<string, string>) => withEnv(env, () => start({ httpMethod: "GET", queryStringParameters: query }));
    const bodyOf = (response: { body: string }) => JSON.parse(response.body);
    const sagaRecord = async (id: string) => {
        const { Item } = await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: id }, sk: { S: OUTCOME_RECORD_SK } }, ConsistentRead: true }));
        return Item && Object.fromEntries(Object.entries(Item).map(([name, value]) => [name, value.S]));
    };
    const putRecord = (record: Record<string, string>) =>
        dynamo.send(new PutItemCommand({ TableName: TABLE, Item: Object.fromEntries(Object.entries(record).map(([name, value]) => [name, { S: value }])) }));
    const statusOf = async (id: string) => {
        const response = await withEnv(env, () => status({ httpMethod: "GET", pathParameters: { tripId: id } }));
        return { code: response.statusCode, body: bodyOf(response) };
    };

    describe("the start", () => {
        it("records the saga, open until its deadline, before it starts one execution", async () => {
            const id = newId("start");
            const before = Date.now();
            const response = await startTrip({ tripID: id, runType: "failPayment" });
            assert.equal(response.statusCode, 202);
            assert.equal(bodyOf(response).tripId, id);
            assert.deepEqual(sfn.calls.map((call) => [call.name, JSON.parse(call.input)]), [[id, demoTrip(id, "failPayment")]]);
            const record = await sagaRecord(id);
            assert.equal(record?.outcome, ExpressOutcomes.running);
            assert.deepEqual(JSON.parse(record!.input!), demoTrip(id, "failPayment"));
            const started = Date.parse(record!.startedAt!);
            assert.ok(started >= before - 1000 && started <= Date.now());
            assert.equal(Date.parse(record!.deadline!) - started, 300_000);
            assert.equal(record![OpenSagaIndex.due], record!.deadline);
            assert.equal(record![OpenSagaIndex.shard], openShardOf(id));
        });

        it("answers a repeat of a running saga 202 with the same id, and starts nothing more", async () => {
            const id = newId("repeat");
            const first = bodyOf(await startTrip({ tripID: id }));
            const again = await startTrip({ tripID: id });
            assert.equal(again.statusCode, 202);
            assert.equal(bodyOf(again).tripId, id);
            assert.equal(bodyOf(again).startDate, (await sagaRecord(id))?.startedAt);
            assert.ok(first.startDate);
            assert.equal(sfn.calls.length, 1);
        });

        it("starts one execution for concurrent starts of the same id: the table decides", async () => {
            const id = newId("concurrent");
            // One environment for all: withEnv restores it as each call ends.
            const responses = await withEnv(env, () => Promise.all(Array.from({ length: 6 }, () => start({ httpMethod: "GET", queryStringParameters: { tripID: id } }))));
            assert.deepEqual(responses.map((r) => r.statusCode), Array(6).fill(202));
            assert.ok(responses.every((r) => bodyOf(r).tripId === id));
            assert.equal(sfn.calls.length, 1);
        });

        it("refuses, as STANDARD does (409), the id of a saga that has ended or was started with another input", async () => {
            const ended = newId("ended");
            await startTrip({ tripID: ended });
            await putRecord({ ...(await sagaRecord(ended))!, outcome: ExpressOutcomes.succeeded });
            const other = newId("other-input");
            await startTrip({ tripID: other });
            sfn.reset();
            for (const [id, query] of [
                [ended, { tripID: ended }],
                [other, { tripID: other, runType: "failHotelReservation" }],
            ] as const) {
                const response = await startTrip(query);
                assert.equal(response.statusCode, 409);
                assert.match(bodyOf(response).message, new RegExp(`A saga with tripID "${id}" already exists: it has ended, or was started with another input`));
            }
            assert.equal(sfn.calls.length, 0);
        });

        it("keeps every refusal of the start: a bad method, parameter or body writes nothing and starts nothing", async () => {
            const id = newId("refused");
            const refusals = [
                { httpMethod: "DELETE", queryStringParameters: { tripID: id } },
                { httpMethod: "GET", queryStringParameters: { tripID: id, runtype: "failPayment" } },
                { httpMethod: "GET", queryStringParameters: { tripID: `${id}!` } },
                { httpMethod: "GET", queryStringParameters: { tripID: id, runType: "failEverything" } },
            ];
            const codes = [];
            for (const event of refusals) codes.push((await withEnv(env, () => start(event))).statusCode);
            assert.deepEqual(codes, [405, 400, 400, 400]);
            assert.equal(await sagaRecord(id), undefined);
            assert.equal(sfn.calls.length, 0);
        });

        it("answers 500 when the execution cannot start, leaving the saga recorded for the sweep", async () => {
            const id = newId("no-machine");
            const response = await withEnv({ ...env, [Env.stateMachineArn]: "arn:aws:states:us-east-1:000000000000:stateMachine:gone" }, () =>
                start({ httpMethod: "GET", queryStringParameters: { tripID: id } }),
            );
            assert.equal(response.statusCode, 500);
            assert.equal((await sagaRecord(id))?.outcome, ExpressOutcomes.running);
        });
    });

    describe("the status route", () => {
        it("reports each outcome the machine records, from the saga's record, without DescribeExecution", async () => {
            const id = newId("status");
            await startTrip({ tripID: id });
            const record = (await sagaRecord(id))!;
            const expected = [
                [ExpressOutcomes.running, "RUNNING", null],
                [ExpressOutcomes.succeeded, "SUCCEEDED", null],
                [ExpressOutcomes.rolledBack, "FAILED", SagaErrors.RolledBack],
                [ExpressOutcomes.compensationFailed, "FAILED", SagaErrors.CompensationFailed],
            ] as const;
            for (const [outcome, executionStatus, error] of expected) {
                await putRecord({ ...record, outcome } as Record<string, string>);
                const { code, body } = await statusOf(id);
                assert.equal(code, 200);
                assert.deepEqual([body.outcome, body.status, body.error, body.tripId, body.startDate], [outcome, executionStatus, error, id, record.startedAt]);
                assert.deepEqual(body.records, [], "the saga's record is reported through the outcome, not listed");
            }
            assert.deepEqual(sfn.described, []);
        });

        it("reports a repair's outcome once the repair has taken the record over, and 404 for a saga never started", async () => {
            const id = newId("repaired");
            await startTrip({ tripID: id });
            const repair = (outcome: string) => ({
                sagaId: id,
                outcome,
                executionArn: null,
                cause: { status: "TIMED_OUT", error: null },
                repairExecutionArn: `${REPAIR_MACHINE.replace(":stateMachine:", ":execution:")}:${id}`,
                repairStartedAt: new Date().toISOString(),
            });
            const outcomes = [];
            for (const outcome of ["repairing", "rolled_back"]) {
                await withEnv(env, () => recordOutcome(repair(outcome)));
                const { body } = await statusOf(id);
                outcomes.push([body.outcome, body.repairedFrom]);
            }
            assert.deepEqual(outcomes, [
                ["repairing", "timed_out"],
                ["rolled_back", "timed_out"],
            ]);
            assert.equal((await statusOf(newId("never"))).code, 404);
        });
    });

    describe("the sweep", () => {
        const sweepEnv = () => ({ ...env, [Env.stateMachineArn]: sfn.stateMachineArn });
        const runSweep = (now: Date) => withEnv(sweepEnv(), () => sweep(now));
        /** An open saga as its start records it, `startedAt` minutes ago with a 5-minute deadline. */
        const openSaga = async (what: string, minutesAgo: number, extra: Record<string, string> = {}) => {
            const id = newId(what);
            const startedAt = new Date(Date.now() - minutesAgo * 60_000);
            const deadline = new Date(startedAt.getTime() + 300_000).toISOString();
            await putRecord({
                pk: id,
                sk: OUTCOME_RECORD_SK,
                type: "SagaOutcome",
                outcome: ExpressOutcomes.running,
                workflowType: "EXPRESS",
                input: JSON.stringify(demoTrip(id)),
                startedAt: startedAt.toISOString(),
                deadline,
                [OpenSagaIndex.shard]: openShardOf(id),
                [OpenSagaIndex.due]: deadline,
                ...extra,
            });
            return id;
        };

        it("hands each saga still running past its deadline to the repair, as timed out, and leaves the others", async () => {
            const late = await openSaga("late", 6);
            const running = await openSaga("running", 1);
            const report = await runSweep(new Date());
            assert.ok(report.repaired.includes(late));
            assert.ok(!report.repaired.includes(running));
            const call = sfn.calls.find((c) => c.name === late)!;
            assert.equal(call.stateMachineArn, sfn.stateMachineArn);
            assert.deepEqual(JSON.parse(call.input), { sagaId: late, executionArn: null, cause: { status: "TIMED_OUT", error: null }, input: demoTrip(late) });
            assert.ok(!sfn.calls.some((c) => c.name === running));
        });

        it("hands a saga that recorded a failed compensation over at once, with the saga's state for its compensations", async () => {
            const state = { failure: { Error: "PaymentFailed", Cause: "declined" }, compensationFailures: { Flight: { Error: "FlightDeskDown", Cause: "down" } } };
            const executionArn = "arn:aws:states:us-east-1:000000000000:express:booking-machine:x:1";
            const id = await openSaga("compensation-failed", 0, {
                outcome: ExpressOutcomes.compensationFailed,
                [OpenSagaIndex.due]: new Date(Date.now() - 1000).toISOString(),
                sagaState: JSON.stringify(state),
                executionArn,
            });
            await runSweep(new Date());
            const input = JSON.parse(sfn.calls.find((c) => c.name === id)!.input);
            assert.deepEqual(input, { sagaId: id, executionArn, cause: { status: "FAILED", error: SagaErrors.CompensationFailed }, input: { ...demoTrip(id), [SAGA_STATE_KEY]: state } });
        });

        it("takes a saga whose repair was started before out of the open sagas, so later sweeps no longer find it", async () => {
            const id = await openSaga("already-repaired", 7);
            // The repair machine names executions by saga id: another input under the name is refused.
            await withEnv({ [Env.stateMachineArn]: sfn.stateMachineArn }, async () => {
                const { SFNClient, StartExecutionCommand } = await import("@aws-sdk/client-sfn");
                const client = new SFNClient({});
                await client.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: id, input: "{}" }));
                client.destroy();
            });
            const first = await runSweep(new Date());
            assert.ok(first.closed.includes(id));
            const record = await sagaRecord(id);
            assert.equal(record?.[OpenSagaIndex.shard], undefined);
            assert.equal(record?.outcome, ExpressOutcomes.running, "the record itself stays for the repair to replace");
            const second = await runSweep(new Date());
            assert.ok(!second.repaired.includes(id) && !second.closed.includes(id));
        });

        it("finds nothing of a saga once its outcome is recorded: the record leaves the index", async () => {
            const id = await openSaga("ended", 10);
            // As the machine's "Record Succeeded" leaves it: the outcome set, the index attributes removed.
            const record = Object.fromEntries(Object.entries((await sagaRecord(id))!).filter(([name]) => name !== OpenSagaIndex.shard && name !== OpenSagaIndex.due)) as Record<string, string>;
            await putRecord({ ...record, outcome: ExpressOutcomes.succeeded });
            const report = await runSweep(new Date());
            assert.ok(!report.repaired.includes(id));
            assert.ok(!sfn.calls.some((c) => c.name === id));
        });

        it("reads every shard, and fails (for Lambda to retry) naming the sagas it could not hand over, after handing over the rest", async () => {
            assert.equal(new Set(OPEN_SHARDS).size, OpenSagaIndex.shards);
            const ids = [];
            for (let i = 0; i < 12; i++) ids.push(await openSaga("many", 8));
            assert.ok(new Set(ids.map(openShardOf)).size > 1, "the ids spread over several shards");
            const report = await runSweep(new Date());
            assert.ok(ids.every((id) => report.repaired.includes(id)));
            const broken = await openSaga("no-repair-machine", 8);
            await assert.rejects(
                withEnv({ ...sweepEnv(), [Env.stateMachineArn]: "arn:aws:states:us-east-1:000000000000:stateMachine:gone" }, () => sweep(new Date())),
                (error: Error) => error instanceof SweepIncomplete && /due sagas could not be handed to the repair .* the next sweep tries them again\.$/.test(error.message),
            );
            assert.equal((await sagaRecord(broken))?.[OpenSagaIndex.shard], openShardOf(broken), "still open for the next sweep");
        });

        it("gives the repair nothing for a record that is no longer open", () => {
            assert.equal(repairInputOf({ pk: "x", sk: OUTCOME_RECORD_SK, outcome: "running" }), undefined);
            assert.equal(repairInputOf({ pk: "x", sk: OUTCOME_RECORD_SK, outcome: "repairing", [OpenSagaIndex.shard]: "open#0" }), undefined);
        });
    });

    describe("the repair's outcome function on an EXPRESS record", () => {
        it("replaces the open record with 'repairing' (out of the index), accepting a repair with no execution known", async () => {
            const id = newId("outcome");
            await startTrip({ tripID: id });
            const result = await withEnv(env, () =>
                recordOutcome({ sagaId: id, outcome: "repairing", executionArn: null, cause: { status: "TIMED_OUT", error: null }, repairExecutionArn: "arn:r", repairStartedAt: "2026-01-01T00:00:00.000Z" }),
            );
            assert.deepEqual(result, { outcome: "repairing", written: true });
            const record = await sagaRecord(id);
            assert.equal(record?.outcome, "repairing");
            assert.equal(record?.executionArn, undefined);
            assert.equal(record?.[OpenSagaIndex.shard], undefined);
        });
    });
});
