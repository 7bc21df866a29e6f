import * as assert from "node:assert/strict";
import { expressBilledDurationMs, expressBilledMemoryMb, perMillion, priceUsage } from "../bench/bill";

// Dollars per million, compared to the cent's hundredth: the arithmetic is by hand below.
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} != ${expected}`);

describe("bench bill: the whole AWS bill from counts", () => {
    it("prices a 6-state STANDARD booking's transitions at $150 per million (issue 19)", () => {
        const bill = perMillion(priceUsage({ stepFunctionsStandardTransitions: 6 }));
        close(bill.total, 150); // 6 x $0.025 / 1,000 x 1e6
        close(bill.byService.stepFunctions, 150);
        close(bill.byService.lambda, 0);
    });

    it("prices an EXPRESS booking of 300 ms at 64 MB at about $1.31 per million (issue 19)", () => {
        const bill = perMillion(priceUsage({ express: [{ requests: 1, billedDurationMs: 300, memoryMb: 64 }] }));
        // $1.00 per million requests + 0.0625 GB x 0.3 s x $0.00001667 x 1e6 = $0.3125625
        close(bill.byService.stepFunctions, 1.3125625);
        assert.equal(bill.total.toFixed(2), "1.31");
    });

    it("bills EXPRESS memory in 64 MB steps and duration in 100 ms steps, each at least one step", () => {
        assert.deepEqual([1, 64, 65, 128, 129].map(expressBilledMemoryMb), [64, 64, 128, 128, 192]);
        assert.deepEqual([0, 1, 100, 101, 300, 301].map(expressBilledDurationMs), [100, 100, 100, 200, 300, 400]);
        // 100 MB is billed as 128 MB: 0.125 GB x 0.3 s x $0.00001667 x 1e6 = $0.625125, plus $1 of the request.
        close(perMillion(priceUsage({ express: [{ requests: 1, billedDurationMs: 300, memoryMb: 100 }] })).total, 1.625125);
    });

    it("prices Lambda requests and GB-seconds at each function's memory and architecture", () => {
        const bill = perMillion(
            priceUsage({
                lambda: [
                    // $0.20 + 0.25 GB x 0.020 s x $0.0000133334 x 1e6 = $0.20 + $0.066667
                    { requests: 1, billedDurationMs: 20, memoryMb: 256, architecture: "arm64" },
                    // 2 x $0.20 + 0.125 GB x 0.100 s x $0.0000166667 x 1e6 = $0.40 + $0.20833375
                    { requests: 2, billedDurationMs: 100, memoryMb: 128, architecture: "x86_64" },
                ],
            }),
        );
        close(bill.byService.lambda, 0.2 + 0.066667 + 0.4 + 0.20833375);
    });

    it("prices the original's success path: REST, 6 Lambda requests, 5 writes and 6 transitions, about $158 per million", () => {
        const bill = perMillion(
            priceUsage({
                apiGatewayRestRequests: 1,
                lambda: [{ requests: 6, billedDurationMs: 0, memoryMb: 128, architecture: "x86_64" }],
                dynamoDbWriteUnits: 5,
                stepFunctionsStandardTransitions: 6,
            }),
        );
        assert.deepEqual(
            Object.fromEntries(Object.entries(bill.byService).map(([service, dollars]) => [service, Number(dollars.toFixed(6))])),
            { apiGateway: 3.5, lambda: 1.2, dynamoDb: 3.125, stepFunctions: 150, cloudWatchLogs: 0, sqs: 0 },
        );
        close(bill.total, 157.825);
    });

    it("prices reads, HTTP API requests, log ingestion and SQS requests", () => {
        const bill = perMillion(priceUsage({ dynamoDbReadUnits: 2, apiGatewayHttpRequests: 1, logBytes: 1024 ** 3 / 1_000_000, sqsRequests: 3 }));
        close(bill.byService.dynamoDb, 0.25); // 2 x $0.125
        close(bill.byService.apiGateway, 1);
        close(bill.byService.cloudWatchLogs, 0.5); // 1 GB per million x $0.50
        close(bill.byService.sqs, 1.2); // 3 x $0.40
        close(bill.total, 0.25 + 1 + 0.5 + 1.2);
    });

    it("refuses negative or non-numeric counts and unknown architectures, naming them", () => {
        assert.throws(() => priceUsage({ dynamoDbWriteUnits: -1 }), /dynamoDbWriteUnits must be a count of 0 or more, not -1/);
        assert.throws(() => priceUsage({ logBytes: NaN }), /logBytes must be a count of 0 or more/);
        assert.throws(() => priceUsage({ express: [{ requests: 1, billedDurationMs: -5, memoryMb: 64 }] }), /EXPRESS billedDurationMs must be 0 or more, not -5/);
        assert.throws(
            () => priceUsage({ lambda: [{ requests: 1, billedDurationMs: 1, memoryMb: 128, architecture: "sparc" as "arm64" }] }),
            /Lambda architecture must be x86_64 or arm64, not sparc/,
        );
    });
});
