// The package's schema, as the Pulumi engine gets it from the plugin (`pulumi package add`,
// `pulumi package get-schema`, SDK generation for Python, Go, .NET, Java and YAML): the repository
// started as a plugin, asked GetSchema over gRPC. Pulumi infers the schema from the TypeScript
// types of SagaComponent and its args: a type it cannot express fails here, with the analyzer's
// message, instead of at a user's `pulumi package add`.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PluginProcess, REPO, SAGA_TYPE, sharedPluginHost } from "../support/plugin";

const AWS_VERSION: string = JSON.parse(fs.readFileSync(require.resolve("@pulumi/aws/package.json", { paths: [REPO] }), "utf8")).version;
const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
const awsResource = (type: string) => `/aws/v${AWS_VERSION}/schema.json#/resources/${type.replace("/", "%2F")}`;

// A root-level hook, so the run's first: the plugin's schema inference runs beside the test files before this one.
before(() => void sharedPluginHost());

describe("the component package as a plugin: its schema", function () {
    this.timeout(60_000);
    let plugin: PluginProcess;
    let schema: Record<string, any>;
    let component: Record<string, any>;

    before(async () => {
        ({ plugin } = await sharedPluginHost());
        try {
            schema = await plugin.getSchema();
        } catch (error) {
            // The analyzer's message (an unsupported type names the property) is the gRPC error's details.
            throw new Error(`GetSchema failed: ${(error as { details?: string }).details ?? error}\n${plugin.log}`);
        }
        component = schema.resources?.[SAGA_TYPE];
    });

    it("matches the reviewed golden schema", () => {
        const golden = path.join(__dirname, "..", "golden", "schema.json");
        if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, JSON.stringify(schema, null, 2) + "\n");
        assert.deepEqual(schema, JSON.parse(fs.readFileSync(golden, "utf8")));
    });

    it("is declared a Node.js plugin, so the engine runs it with the Node.js language host", () => {
        const project = parse(fs.readFileSync(path.join(REPO, "PulumiPlugin.yaml"), "utf8"));
        assert.equal(typeof project.runtime === "string" ? project.runtime : project.runtime?.name, "nodejs");
    });

    it("is the package saga, at package.json's version, with the one component", async () => {
        assert.equal(schema.name, "saga");
        assert.equal(schema.version, PACKAGE_VERSION);
        assert.equal(await plugin.getPluginVersion(), PACKAGE_VERSION);
        assert.deepEqual(Object.keys(schema.resources), [SAGA_TYPE]);
        assert.equal(component.isComponent, true);
    });

    it("requires exactly `steps` and `start`, plain (they decide which resources exist)", () => {
        assert.deepEqual(component.requiredInputs, ["start", "steps"]);
        assert.deepEqual(component.inputProperties.steps, {
            type: "array",
            items: { $ref: "#/types/saga:index:SagaStep", plain: true },
            plain: true,
            description: component.inputProperties.steps.description,
        });
        assert.equal(component.inputProperties.start.$ref, "#/types/saga:index:SagaAction");
        assert.equal(component.inputProperties.start.plain, true);
        assert.deepEqual(schema.types["saga:index:SagaStep"].required, ["cancel", "name", "reserve"]);
        // Enums, for `tableAccess` and `architecture`, with their values.
        assert.deepEqual(schema.types["saga:index:TableAccess"].enum.map((e: { value: string }) => e.value), ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"]);
        assert.deepEqual(schema.types["saga:index:Architecture"].enum.map((e: { value: string }) => e.value), ["arm64", "x86_64"]);
    });

    it("outputs the URLs and ARNs as strings", () => {
        for (const output of ["apiUrl", "stateMachineArn", "tableName", "tableArn", "failureQueueUrl", "failureQueueArn", "compensationAlarmArn"]) {
            assert.equal(component.properties[output]?.type, "string", output);
            assert.ok(component.required.includes(output), `${output} is always set`);
        }
    });

    it("outputs the children as references to the @pulumi/aws resources, at the installed version", () => {
        const references: Record<string, string> = {
            stateMachine: "aws:sfn/stateMachine:StateMachine",
            stateMachineRole: "aws:iam/role:Role",
            startFunction: "aws:lambda/function:Function",
            startRole: "aws:iam/role:Role",
            statusFunction: "aws:lambda/function:Function",
            statusRole: "aws:iam/role:Role",
            table: "aws:dynamodb/table:Table",
            restApi: "aws:apigateway/restApi:RestApi",
            stage: "aws:apigateway/stage:Stage",
            failureQueue: "aws:sqs/queue:Queue",
            failureAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
        };
        for (const [output, type] of Object.entries(references)) assert.equal(component.properties[output]?.$ref, awsResource(type), output);
        assert.deepEqual(component.properties.functions.additionalProperties, { $ref: awsResource("aws:lambda/function:Function") });
        assert.deepEqual(component.properties.functionRoles.additionalProperties, { $ref: awsResource("aws:iam/role:Role") });
        // Only when the saga has a status route, or creates its table.
        for (const optional of ["statusFunction", "statusRole", "table"]) assert.ok(!component.required.includes(optional), optional);
        assert.deepEqual(schema.dependencies, [{ name: "aws", version: AWS_VERSION }]);
    });
});
