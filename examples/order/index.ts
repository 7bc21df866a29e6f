// An order saga on SagaComponent, as another team's Pulumi program uses the saga package:
//   Charge Card -> Hold Stock -> Book Courier -> Commit Stock -> Dispatch Shipment
// and when one of them fails, the compensations of what was done, newest first (Cancel Shipment,
// Release Stock, Refund Card). It shows each way an action gets its code and permissions: handler
// modules the component bundles, an existing function of this program (the courier's), a secret
// in one action's environment (the payments API key), and a grant on one action's role only
// (sending to the warehouse's queue).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SagaComponent, sagaTableArgs, SagaPolicyStatement } from "saga";
import { courierFunction } from "./courier";

const config = new pulumi.Config();
const tags = { project: pulumi.getProject(), stack: pulumi.getStack() };

// The order service's table: the saga's records and the courier's bookings of an order, all under
// the order id. The saga shares it instead of creating its own.
const orders = new aws.dynamodb.Table("orders", sagaTableArgs(tags));

// The warehouse's inbox: Commit Stock asks it to pick an order, Release Stock to cancel the pick.
// FIFO, so that an order's requests arrive in the order sent and a repeated one is dropped.
const warehouse = new aws.sqs.Queue("warehouse", {
    fifoQueue: true,
    messageRetentionSeconds: 4 * 24 * 60 * 60,
    sqsManagedSseEnabled: true,
    tags,
});

const courier = courierFunction({ table: orders, tags });

// Only the two stock actions that talk to the warehouse may send to its queue, and only to it.
const askWarehouse: SagaPolicyStatement = { actions: ["sqs:SendMessage"], resources: [warehouse.arn] };
const warehouseEnvironment = { WAREHOUSE_QUEUE_URL: warehouse.url };
// A secret in the stack's config stays a secret in the functions' environment (and the state).
const paymentsEnvironment = { PAYMENTS_API_KEY: config.requireSecret("paymentsApiKey") };

const order = new SagaComponent("order", {
    steps: [
        {
            name: "Payment",
            reserve: {
                module: "handlers/payment.ts",
                export: "charge",
                stateName: "Charge Card",
                tableAccess: ["PutItem", "GetItem"],
                environment: paymentsEnvironment,
            },
            cancel: {
                module: "handlers/payment.ts",
                export: "refund",
                stateName: "Refund Card",
                tableAccess: ["UpdateItem", "PutItem"],
                environment: paymentsEnvironment,
            },
        },
        {
            name: "Stock",
            reserve: { module: "handlers/stock.ts", export: "hold", stateName: "Hold Stock", tableAccess: ["PutItem", "GetItem"] },
            confirm: {
                module: "handlers/stock.ts",
                export: "commit",
                stateName: "Commit Stock",
                tableAccess: ["UpdateItem"],
                environment: warehouseEnvironment,
                policyStatements: [askWarehouse],
            },
            cancel: {
                module: "handlers/stock.ts",
                export: "release",
                stateName: "Release Stock",
                // GetItem: whether the stock had been committed, i.e. whether the warehouse must hear of it.
                tableAccess: ["GetItem", "PutItem"],
                environment: warehouseEnvironment,
                policyStatements: [askWarehouse],
            },
        },
        {
            name: "Shipping",
            // The courier's own function, as it is.
            reserve: { functionArn: courier.arn, stateName: "Book Courier" },
            confirm: { module: "handlers/shipping.ts", export: "dispatch", stateName: "Dispatch Shipment", tableAccess: ["UpdateItem"] },
            cancel: { module: "handlers/shipping.ts", export: "cancel", stateName: "Cancel Shipment", tableAccess: ["PutItem"] },
        },
    ],
    start: { module: "handlers/start.ts" },
    status: { path: "/orders/{orderId}", handler: { module: "handlers/status.ts" } },
    table: { name: orders.name, arn: orders.arn },
    // Handler modules are relative to this file, wherever the program is run from.
    handlerRoot: __dirname,
    api: { iamAuth: !(config.getBoolean("publicApi") ?? false) },
    tags,
    testing: {
        failureInjection: config.getBoolean("failureInjection") ?? false,
        compensationFailureRate: config.getNumber("compensationFailureRate", { min: 0, max: 1 }) ?? 0,
    },
});

export const apiUrl = order.apiUrl;
export const stateMachineArn = order.stateMachineArn;
export const tableName = order.tableName;
export const warehouseQueueUrl = warehouse.url;
export const failureQueueUrl = order.failureQueueUrl;
export const courierFunctionName = courier.name;
