import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";

import { UNKNOWN_STRING_SENTINEL } from "../policy-pack/analysis/values";
import {
    apiRequiresAuthorization,
    apiStageThrottling,
    dynamodbTableProtected,
    lambdaRuntimeSupported,
    logGroupRetention,
    policies,
    stateMachineLoggingAndTracing,
} from "../policy-pack/policies";
import { COMPENSATION_RETRIES_DEFAULTS } from "../policy-pack/policies/compensation-retries";
import { LAMBDA_RUNTIME_DEFAULTS } from "../policy-pack/policies/lambda-runtime";
import { TestResource, messages, violations } from "./support/policy-args";
import { changed, sagaStack, without } from "./support/policy-fixtures";
import { ResourceTypes } from "../components/model/resource-types";

type AnyPolicy = Parameters<typeof violations>[0];
const check = (p: AnyPolicy, resources: TestResource[], config = {}) => messages(violations(p, resources, config));

describe("the policy pack", () => {
    it("names each policy in kebab-case and describes what it checks", () => {
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
            assert.match(p.description, /^Checks whether /, p.name);
        }
        assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
    });

    it("makes the saga's guarantees and its blast radius mandatory, operational basics advisory", () => {
        const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
        assert.deepEqual(levels, {
            "saga-steps-have-compensators": "mandatory",
            "saga-compensations-retry": "mandatory",
            "saga-compensation-failures-recorded": "mandatory",
            "saga-compensation-failures-repaired": "mandatory",
            "saga-express-machine-safe": "mandatory",
            "saga-least-privilege": "mandatory",
            "lambda-runtime-supported": "mandatory",
            "saga-stopped-executions-compensated": "advisory",
            "saga-existing-functions-in-stack": "advisory",
            "state-machine-logging-and-tracing": "advisory",
            "log-group-retention": "advisory",
            "dynamodb-table-recovery-and-encryption": "advisory",
            "api-stage-throttling": "advisory",
            "api-requires-authorization": "advisory",
            "saga-testing-switches-off": "advisory",
        });
    });

    it("declares the defaults its code applies in its config schemas", () => {
        const schemaOf = (name: string) => policies.find((p) => p.name === name)?.configSchema?.properties;
        assert.equal(schemaOf("saga-compensations-retry")?.minimumRetries.default, COMPENSATION_RETRIES_DEFAULTS.minimumRetries);
        assert.deepEqual(schemaOf("lambda-runtime-supported")?.allowedRuntimes.default, LAMBDA_RUNTIME_DEFAULTS.allowedRuntimes);
    });

    it("reads the resource types the AWS provider declares", () => {
        const token = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;
        assert.deepEqual(
            [ResourceTypes.function, ResourceTypes.role, ResourceTypes.rolePolicy, ResourceTypes.policy, ResourceTypes.rolePolicyAttachment, ResourceTypes.stateMachine, ResourceTypes.table],
            [aws.lambda.Function, aws.iam.Role, aws.iam.RolePolicy, aws.iam.Policy, aws.iam.RolePolicyAttachment, aws.sfn.StateMachine, aws.dynamodb.Table].map(token),
        );
        assert.deepEqual(
            [ResourceTypes.logGroup, ResourceTypes.restApiStage, ResourceTypes.methodSettings, ResourceTypes.httpApiStage],
            [aws.cloudwatch.LogGroup, aws.apigateway.Stage, aws.apigateway.MethodSettings, aws.apigatewayv2.Stage].map(token),
        );
    });
});

describe("policy state-machine-logging-and-tracing", () => {
    const machine = (change: (p: Record<string, any>) => void) => changed(sagaStack(), "travel-machine", change);

    it("passes the generated state machine", async () => {
        assert.deepEqual(await check(stateMachineLoggingAndTracing, sagaStack()), []);
    });

    it("should fail if the state machine has no logging and no tracing", async () => {
        const stack = machine((p) => {
            delete p.loggingConfiguration;
            delete p.tracingConfiguration;
        });
        assert.deepEqual(await check(stateMachineLoggingAndTracing, stack), [
            'State machine "travel-machine" must send its logs to CloudWatch Logs: set loggingConfiguration with a level ("ERROR" or "ALL"), includeExecutionData and a logDestination ("<log group ARN>:*").',
            'State machine "travel-machine" must have X-Ray tracing on: set tracingConfiguration.enabled to true.',
        ]);
    });

    it('should fail if logging is "OFF"', async () => {
        assert.deepEqual(await check(stateMachineLoggingAndTracing, machine((p) => (p.loggingConfiguration.level = "OFF"))), [
            'State machine "travel-machine" must log at level "ERROR" or "ALL": loggingConfiguration.level is "OFF".',
        ]);
    });

    it("should fail if the logs have no destination", async () => {
        assert.deepEqual(await check(stateMachineLoggingAndTracing, machine((p) => delete p.loggingConfiguration.logDestination)), [
            'State machine "travel-machine" must name where its logs go: set loggingConfiguration.logDestination to "<log group ARN>:*".',
        ]);
    });

    it("should fail if tracing is off", async () => {
        assert.deepEqual(await check(stateMachineLoggingAndTracing, machine((p) => (p.tracingConfiguration.enabled = false))), [
            'State machine "travel-machine" must have X-Ray tracing on: set tracingConfiguration.enabled to true.',
        ]);
    });
});

describe("policy log-group-retention", () => {
    it("passes log groups with a retention", async () => {
        assert.deepEqual(await check(logGroupRetention, sagaStack()), []);
    });

    it("should fail if a log group keeps its logs forever", async () => {
        const stack = changed(sagaStack(), "travel-machine-logs", (p) => delete p.retentionInDays);
        assert.deepEqual(await check(logGroupRetention, stack), [
            'Log group "travel-machine-logs" must have a retention period: set retentionInDays (e.g. 14); without it the logs never expire.',
        ]);
    });
});

describe("policy dynamodb-table-recovery-and-encryption", () => {
    it("passes the generated table", async () => {
        assert.deepEqual(await check(dynamodbTableProtected, sagaStack()), []);
    });

    it("should fail if point-in-time recovery is off", async () => {
        const stack = changed(sagaStack(), "travel-table", (p) => delete p.pointInTimeRecovery);
        assert.deepEqual(await check(dynamodbTableProtected, stack), [
            'DynamoDB table "travel-table" must have point-in-time recovery: set pointInTimeRecovery.enabled to true.',
        ]);
    });

    it("should fail if KMS encryption is off", async () => {
        const stack = changed(sagaStack(), "travel-table", (p) => (p.serverSideEncryption.enabled = false));
        assert.deepEqual(await check(dynamodbTableProtected, stack), [
            'DynamoDB table "travel-table" must be encrypted with a KMS key: set serverSideEncryption.enabled to true.',
        ]);
    });
});

describe("policy api-stage-throttling", () => {
    const FIX =
        'API stage "travel-api" must be throttled: set an aws.apigateway.MethodSettings with methodPath "*/*" and settings.throttlingRateLimit and throttlingBurstLimit (requests per second and the burst above it).';

    it("passes a stage with throttled method settings", async () => {
        assert.deepEqual(await check(apiStageThrottling, sagaStack()), []);
    });

    it("should fail if a stage has no method settings", async () => {
        assert.deepEqual(await check(apiStageThrottling, without(sagaStack(), "travel-api-throttle")), [FIX]);
    });

    it("should fail if the method settings set no throttling", async () => {
        const stack = changed(sagaStack(), "travel-api-throttle", (p) => (p.settings = { metricsEnabled: true }));
        assert.deepEqual(await check(apiStageThrottling, stack), [FIX]);
    });

    it("should fail if the throttled settings belong to another stage", async () => {
        const stack = changed(sagaStack(), "travel-api-throttle", (p) => (p.stageName = "v2"));
        assert.deepEqual(await check(apiStageThrottling, stack), [FIX]);
    });

    it("should fail if an HTTP API stage has no default route throttling", async () => {
        const stage: TestResource = { type: ResourceTypes.httpApiStage, name: "http", props: { apiId: "abc", name: "$default" } };
        assert.deepEqual(await check(apiStageThrottling, [stage]), [
            'API stage "http" must be throttled: set defaultRouteSettings.throttlingRateLimit and throttlingBurstLimit (requests per second and the burst above it).',
        ]);
    });
});

describe("policy lambda-runtime-supported", () => {
    const withRuntime = (runtime: string) => changed(sagaStack(), "travel-hotel-cancel", (p) => (p.runtime = runtime));
    const ALLOWED = LAMBDA_RUNTIME_DEFAULTS.allowedRuntimes.map((r) => `"${r}"`).join(", ");

    it("passes the generated Lambdas (nodejs22.x)", async () => {
        assert.deepEqual(await check(lambdaRuntimeSupported, sagaStack()), []);
    });

    it("passes a saga action in another supported language", async () => {
        assert.deepEqual(await check(lambdaRuntimeSupported, withRuntime("python3.13")), []);
    });

    it("should fail if a Lambda uses a deprecated Node.js runtime, advising the newest Node.js", async () => {
        assert.deepEqual(await check(lambdaRuntimeSupported, withRuntime("nodejs18.x")), [
            `Lambda "travel-hotel-cancel" must use a supported runtime: "nodejs18.x" is not one of ${ALLOWED}. Set runtime to "nodejs24.x".`,
        ]);
    });

    it("should fail if any Lambda, in the saga or not, uses a deprecated runtime of its language", async () => {
        assert.deepEqual(await check(lambdaRuntimeSupported, [{ type: ResourceTypes.function, name: "report", props: { runtime: "python3.9" } }]), [
            `Lambda "report" must use a supported runtime: "python3.9" is not one of ${ALLOWED}. Set runtime to "python3.14".`,
        ]);
        assert.deepEqual(await check(lambdaRuntimeSupported, [{ type: ResourceTypes.function, name: "legacy", props: { runtime: "go1.x" } }]), [
            `Lambda "legacy" must use a supported runtime: "go1.x" is not one of ${ALLOWED}. Set runtime to one of them.`,
        ]);
    });

    it("leaves container images alone: they carry their own runtime", async () => {
        assert.deepEqual(await check(lambdaRuntimeSupported, [{ type: ResourceTypes.function, name: "image", props: { packageType: "Image" } }]), []);
    });

    it("takes the allowed runtimes from its configuration", async () => {
        const only = [{ type: ResourceTypes.function, name: "report", props: { runtime: "nodejs22.x" } }];
        assert.deepEqual(await check(lambdaRuntimeSupported, only, { allowedRuntimes: ["nodejs24.x"] }), [
            'Lambda "report" must use a supported runtime: "nodejs22.x" is not one of "nodejs24.x". Set runtime to "nodejs24.x".',
        ]);
    });
});

describe("policy api-requires-authorization", () => {
    const iam = { type: "AWS_IAM" };
    const operation = (auth?: object) => ({
        "x-amazon-apigateway-integration": { type: "aws_proxy", uri: "arn:start" },
        ...(auth ? { "x-amazon-apigateway-auth": auth } : {}),
    });
    const restApi = (paths: object, extra: object = {}): TestResource => ({
        type: "aws:apigateway/restApi:RestApi",
        name: "travel-api",
        props: { body: JSON.stringify({ swagger: "2.0", paths, ...extra }) },
    });
    const method = (props: Record<string, unknown>): TestResource => ({ type: "aws:apigateway/method:Method", name: "travel-any", props });
    const FIX = "require SigV4 (SagaComponent `api.iamAuth`, the stack's `saga:publicApi` false), an authorizer or an API key";

    it("passes an API whose every operation requires SigV4", async () => {
        const api = restApi({ "/": { "x-amazon-apigateway-any-method": operation(iam) }, "/trips/{tripId}": { get: operation(iam) } });
        assert.deepEqual(await check(apiRequiresAuthorization, [api]), []);
    });

    it("passes operations secured by an authorizer or an API key, and CORS preflight without one", async () => {
        const api = restApi({ "/": { post: { ...operation(), security: [{ cognito: [] }] }, options: operation() } });
        assert.deepEqual(await check(apiRequiresAuthorization, [api]), []);
        assert.deepEqual(await check(apiRequiresAuthorization, [restApi({ "/": { get: operation() } }, { security: [{ api_key: [] }] })]), []);
    });

    it("should fail if any operation lets anonymous callers in, naming each", async () => {
        const api = restApi({ "/": { "x-amazon-apigateway-any-method": operation() }, "/trips/{tripId}": { get: operation({ type: "NONE" }) } });
        assert.deepEqual(await check(apiRequiresAuthorization, [api]), [
            `REST API "travel-api" must not let anonymous callers in: ANY /, GET /trips/{tripId} have no authorization; ${FIX}.`,
        ]);
    });

    it("should fail if a method resource has no authorization and no API key", async () => {
        assert.deepEqual(await check(apiRequiresAuthorization, [method({ httpMethod: "ANY", authorization: "NONE" })]), [
            `API method "travel-any" must not let anonymous callers in: its authorization is NONE; ${FIX}.`,
        ]);
        assert.deepEqual(await check(apiRequiresAuthorization, [method({ httpMethod: "ANY", authorization: "NONE", apiKeyRequired: true })]), []);
        assert.deepEqual(await check(apiRequiresAuthorization, [method({ httpMethod: "ANY", authorization: "AWS_IAM" })]), []);
    });

    it("skips an API whose body is not known yet", async () => {
        const api: TestResource = { type: "aws:apigateway/restApi:RestApi", name: "travel-api", props: { body: UNKNOWN_STRING_SENTINEL } };
        assert.deepEqual(await check(apiRequiresAuthorization, [api]), []);
    });
});
