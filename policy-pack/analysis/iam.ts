// Reading IAM policy documents and judging their grants. Pure.

export interface Statement {
    Sid?: string;
    Effect: string;
    Action: string[];
    NotAction?: string[];
    Resource: string[];
    NotResource?: string[];
}

const asList = (value: unknown): string[] =>
    (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === "string");

/** The statements of a policy document given as JSON text or an object. */
export function parseDocument(document: unknown): Statement[] | { error: string } {
    let value = document;
    if (typeof document === "string") {
        try {
            value = JSON.parse(document);
        } catch (error) {
            return { error: `is not valid JSON (${(error as Error).message})` };
        }
    }
    const statements = (value as { Statement?: unknown } | null)?.Statement;
    if (statements === undefined) return { error: "has no `Statement`" };
    return (Array.isArray(statements) ? statements : [statements]).map((s: Record<string, unknown>) => ({
        Sid: typeof s.Sid === "string" ? s.Sid : undefined,
        Effect: String(s.Effect),
        Action: asList(s.Action),
        NotAction: s.NotAction === undefined ? undefined : asList(s.NotAction),
        Resource: asList(s.Resource),
        NotResource: s.NotResource === undefined ? undefined : asList(s.NotResource),
    }));
}


/**
 * Actions AWS authorises only on "*": X-Ray has no resource-level permissions, and Step
 * Functions configures log delivery through account-level CloudWatch Logs APIs.
 */
export const STAR_ONLY_ACTIONS: ReadonlySet<string> = new Set([
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]);

export const serviceOf = (action: string) => action.split(":")[0].toLowerCase();

/**
 * A resource pattern whose wildcard only spans what belongs to one named resource: the log
 * streams of a log group, the indexes of a table, the executions of a state machine.
 */
const SCOPED_WILDCARDS = [
    /^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^*:]+:\*$/,
    /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[^*/]+\/index\/\*$/,
    /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^*:]+:\*$/,
];

/** Why a statement is broader than any saga role needs; one message tail per finding. */
export function broadGrants(statement: Statement): string[] {
    if (statement.Effect !== "Allow") return [];
    const findings: string[] = [];
    if (statement.NotAction) findings.push(`must list the actions it allows: it uses NotAction, which allows every other action`);
    if (statement.NotResource) findings.push(`must list the resources it allows: it uses NotResource, which allows every other resource`);
    for (const action of statement.Action.filter((a) => a.includes("*"))) {
        findings.push(
            action === "*"
                ? `must not allow every action ("*"): list the actions the role needs`
                : `must not allow the wildcard action "${action}": list the actions the role needs`,
        );
    }
    if (statement.Resource.includes("*")) {
        const needNamed = statement.Action.filter((a) => !a.includes("*") && !STAR_ONLY_ACTIONS.has(a));
        if (needNamed.length > 0) {
            findings.push(
                `must not allow ${needNamed.map((a) => `"${a}"`).join(", ")} on every resource ("*"): name the resources (only X-Ray and CloudWatch Logs delivery actions need "*")`,
            );
        }
    }
    for (const resource of statement.Resource.filter((r) => r !== "*" && r.includes("*"))) {
        if (!SCOPED_WILDCARDS.some((pattern) => pattern.test(resource))) {
            findings.push(`must not use the wildcard resource "${resource}": name the exact resource`);
        }
    }
    return findings;
}

/** Whether `resource` is `arn` itself or one of its sub-resources (`arn/index/...`, `arn:qualifier`). */
export const isWithin = (resource: string, arn: string) =>
    resource === arn || resource.startsWith(`${arn}/`) || resource.startsWith(`${arn}:`);
