// Step Functions' optimized DynamoDB integration (`arn:aws:states:::dynamodb:getItem`, putItem,
// updateItem, deleteItem), request-response, as AWS runs it:
//   - the Task's Parameters are the DynamoDB API's request, attribute values typed as DynamoDB
//     writes them (`{"S": "..."}`), with the fields the integration takes (others are refused when
//     the machine is created, as CreateStateMachine refuses them);
//   - the result is the API's response (Item, Attributes, ...) with the Java SDK's metadata that
//     Step Functions adds (SdkHttpMetadata, SdkResponseMetadata);
//   - a failure is the Java SDK's exception, prefixed with the service: `DynamoDB.<exception>` for
//     the exceptions that SDK models (ConditionalCheckFailedException, ResourceNotFoundException,
//     ProvisionedThroughputExceededException, ...), `DynamoDB.AmazonDynamoDBException` for every
//     other error code (ValidationException, AccessDeniedException, ...); the Cause is the SDK's
//     message: `<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)`.

/** The integration's actions, by the resource's last part, with the DynamoDB operation each calls. */
export const DYNAMODB_TASK_ACTIONS: Record<string, string> = {
    getItem: "GetItem",
    putItem: "PutItem",
    updateItem: "UpdateItem",
    deleteItem: "DeleteItem",
};

export const DYNAMODB_TASK_PREFIX = "arn:aws:states:::dynamodb:";

const WRITE_FIELDS = [
    "TableName",
    "ConditionalOperator",
    "ConditionExpression",
    "Expected",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnConsumedCapacity",
    "ReturnItemCollectionMetrics",
    "ReturnValues",
];

/** The request fields each action takes (the API's own, as the integration documents them). */
const FIELDS: Record<string, ReadonlySet<string>> = {
    getItem: new Set(["TableName", "Key", "AttributesToGet", "ConsistentRead", "ExpressionAttributeNames", "ProjectionExpression", "ReturnConsumedCapacity"]),
    putItem: new Set([...WRITE_FIELDS, "Item"]),
    deleteItem: new Set([...WRITE_FIELDS, "Key"]),
    updateItem: new Set([...WRITE_FIELDS, "Key", "AttributeUpdates", "UpdateExpression"]),
};

/** The action of a DynamoDB integration resource, or undefined when the resource is not one the integration has. */
export function dynamoDbAction(resource: string): string | undefined {
    if (!resource.startsWith(DYNAMODB_TASK_PREFIX)) return undefined;
    const action = resource.slice(DYNAMODB_TASK_PREFIX.length);
    return Object.hasOwn(DYNAMODB_TASK_ACTIONS, action) ? action : undefined;
}

/**
 * Why the Task's Parameters do not fit the action (a field it does not take, or no TableName), as
 * CreateStateMachine says it; undefined when they fit. Fields given by path (`Key.$`) count by name.
 */
export function dynamoDbParametersProblem(state: string, action: string, parameters: unknown): string | undefined {
    if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
        return `The Task "${state}" (dynamodb:${action}) has no Parameters: the integration needs at least TableName.`;
    }
    const names = Object.keys(parameters).map((key) => key.replace(/\.\$$/, ""));
    const unknown = names.filter((name) => !FIELDS[action].has(name));
    if (unknown.length > 0) {
        return `SCHEMA_VALIDATION_FAILED: The field "${unknown[0]}" is not supported by Step Functions at /States/${state}/Parameters (dynamodb:${action} takes ${[...FIELDS[action]].join(", ")}).`;
    }
    if (!names.includes("TableName")) return `SCHEMA_VALIDATION_FAILED: The field "TableName" is required at /States/${state}/Parameters (dynamodb:${action}).`;
    return undefined;
}

/** The exceptions the AWS SDK for Java (v1) models for DynamoDB's item operations: each its own error name. */
const MODELED_EXCEPTIONS = new Set([
    "ConditionalCheckFailedException",
    "InternalServerErrorException",
    "ItemCollectionSizeLimitExceededException",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceededException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "TransactionConflictException",
]);

/** The name Retry and Catch match for a DynamoDB error code, as Step Functions reports it. */
export function dynamoDbErrorName(code: string): string {
    return `DynamoDB.${MODELED_EXCEPTIONS.has(code) ? code : "AmazonDynamoDBException"}`;
}

/** The Task's error for an error DynamoDB answered (its `__type`, its message). */
export function dynamoDbTaskError(type: string, message: string, statusCode: number, requestId: string): Error {
    const code = type.split("#").pop() ?? type;
    const error = new Error(`${message} (Service: AmazonDynamoDBv2; Status Code: ${statusCode}; Error Code: ${code}; Request ID: ${requestId}; Proxy: null)`);
    error.name = dynamoDbErrorName(code);
    return error;
}

/** The Task's result: DynamoDB's response with the metadata Step Functions adds to it. */
export function dynamoDbTaskOutput(body: Record<string, unknown>, requestId: string, at = new Date()): Record<string, unknown> {
    const headers = {
        Connection: "keep-alive",
        "Content-Length": String(Buffer.byteLength(JSON.stringify(body))),
        "Content-Type": "application/x-amz-json-1.0",
        Date: at.toUTCString(),
        Server: "Server",
        "x-amzn-RequestId": requestId,
    };
    return {
        ...body,
        SdkHttpMetadata: {
            AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
            HttpHeaders: headers,
            HttpStatusCode: 200,
        },
        SdkResponseMetadata: { RequestId: requestId },
    };
}
