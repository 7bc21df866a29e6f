// What `npm start` prints once the local cloud serves: where everything is, what was and was not
// provisioned, and requests to copy and paste.
import * as path from "node:path";
import { RUN_TYPES } from "../handlers/travel/trip";
import { executionArnOf } from "../components/model/arns";
import type { LocalCloud } from "./cloud";
import { printableConfig } from "../harness/config";
import type { ResourceEntry } from "./provision";
import { CONSOLE_PATH } from "./console-web/route";
import type { IamMode } from "./iam/gate";
import { OPERATOR_CREDENTIALS } from "./iam/operator";

/** The reference program (the travel booking), whose requests the banner knows. */
const REFERENCE_PROGRAM = path.resolve(__dirname, "..", "index.ts");

export interface BannerOptions {
    /** What retries wait locally, in ms; undefined: the definition's own intervals. */
    retryIntervalMs?: number;
    dataDir?: string;
    /** How long a stop waits for running sagas; default 10. */
    graceSeconds?: number;
    /** --iam; default enforce. */
    iam?: IamMode;
}

function byType(entries: ResourceEntry[]): Map<string, ResourceEntry[]> {
    const groups = new Map<string, ResourceEntry[]>();
    for (const entry of entries) groups.set(entry.type, [...(groups.get(entry.type) ?? []), entry]);
    return groups;
}

/** The API's base URL: the program's `apiUrl` output, else the first stage. */
export function apiUrlOf(cloud: LocalCloud): string | undefined {
    if (typeof cloud.outputs.apiUrl === "string") return cloud.outputs.apiUrl;
    const first = Object.keys(cloud.routes)[0];
    return first ? `${first}/` : undefined;
}

export function banner(cloud: LocalCloud, options: BannerOptions): string {
    const { settings, resources } = cloud;
    const lines = [
        "",
        `Local cloud: the ${settings.project} program (${settings.programFile}), stack "${settings.stack}", deployed in ${(cloud.deployMs / 1000).toFixed(1)} s`,
        `Endpoint: ${cloud.url} (DynamoDB, Step Functions, SQS, the APIs' stages, /_local)`,
        "",
        "Provisioned locally:",
        ...[...byType(resources.provisioned)].flatMap(([type, entries]) => [`  ${type}`, ...entries.map((e) => `      ${e.name}: ${e.local}`)]),
        "",
        "Not provisioned locally (acknowledged; no local effect: logs go to this console, alarms never fire):",
        ...[...byType(resources.notProvisioned)].map(([type, entries]) => `  ${type} (${entries.length}): ${entries.map((e) => e.name).join(", ")}`),
        ...(resources.warnings.length > 0 ? ["", "Warnings:", ...resources.warnings.map((w) => `  ${w}`)] : []),
        "",
        "Stack outputs:",
        ...Object.entries(cloud.outputs).map(([name, value]) => `  ${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`),
        "",
        "Routes:",
        ...Object.entries(cloud.routes).map(([url, routes]) => `  ${url}: ${routes.join(", ")}`),
        "",
        `Console: ${cloud.url}${CONSOLE_PATH} (the machine, its executions and their data, in a browser; ${cloud.url}/ opens it too)`,
        "",
        `Config: ${Object.entries(printableConfig(settings)).map(([key, value]) => `${key}=${value}`).join(", ")}`,
        options.retryIntervalMs === undefined
            ? "Retries wait as the definition says."
            : `Retries wait ${options.retryIntervalMs} ms here, not the definition's intervals (--retry-interval <ms>, or --retry-interval definition).`,
        ...dataLines(cloud),
        iamLine(options.iam ?? "enforce"),
        "",
        ...examples(cloud, options.iam ?? "enforce"),
        "",
        stopLine(cloud, options.graceSeconds ?? 10),
        "",
    ];
    return lines.join("\n");
}

function iamLine(mode: IamMode): string {
    const operator = `you are the operator, allowed everything: access key ${OPERATOR_CREDENTIALS.accessKeyId}, secret ${OPERATOR_CREDENTIALS.secretAccessKey}`;
    switch (mode) {
        case "enforce":
            return `IAM: enforced (--iam warn or off to relax). Requests must be SigV4-signed; each function signs as its role and may do what its policies allow, each state machine calls as its role; ${operator}.`;
        case "warn":
            return `IAM: warn. What enforce would refuse (unsigned requests, calls a role does not allow) is logged as "iam (warn)" and let through; ${operator}.`;
        case "off":
            return "IAM: off. No signature is checked and no policy evaluated (--iam enforce, the default, refuses what AWS would).";
    }
}

/** curl's arguments that sign a request to an API as the operator (curl 7.75 or later), as AWS_IAM authorization requires. */
function curlSigning(cloud: LocalCloud, mode: IamMode): string {
    if (mode === "off") return "";
    const { accessKeyId, secretAccessKey } = OPERATOR_CREDENTIALS;
    return `--aws-sigv4 "aws:amz:${cloud.settings.config["aws:region"] ?? "us-east-1"}:execute-api" --user "${accessKeyId}:${secretAccessKey}" `;
}

function dataLines(cloud: LocalCloud): string[] {
    if (!cloud.dataDir) {
        return ["Data: in memory, nothing persists: tables, executions and queued messages are gone when it stops (--data <dir> keeps them)."];
    }
    const resumed = cloud.resumed.length > 0 ? ` This start resumed ${cloud.resumed.length} (listed above).` : "";
    return [`Data folder: ${cloud.dataDir}: tables, queued messages and every execution survive a restart or a crash; running executions resume where they were.${resumed}`];
}

function stopLine(cloud: LocalCloud, graceSeconds: number): string {
    const after = cloud.dataDir ? "what still runs then is kept in the data folder and resumes at the next start" : "what still runs then is aborted";
    return `Ctrl-C stops: new requests get 503, running sagas get ${graceSeconds} s to finish (--grace), ${after}; Ctrl-C again stops waiting.`;
}

function examples(cloud: LocalCloud, mode: IamMode): string[] {
    const api = apiUrlOf(cloud);
    if (!api) return [];
    const reference = cloud.settings.programFile === REFERENCE_PROGRAM;
    const status = Object.values(cloud.routes)
        .flat()
        .map((route) => /^GET \/([\w-]+)\/\{[\w-]+\}$/.exec(route)?.[1])
        .find((collection) => collection !== undefined);
    const sign = curlSigning(cloud, mode);
    const lines = reference ? referenceRequests(cloud, api, status, sign) : programRequests(cloud, api, status, sign);
    const machine = cloud.outputs.stateMachineArn;
    if (typeof machine === "string") {
        lines.push(
            "",
            `The AWS CLI works against it too (DynamoDB, Step Functions and SQS on ${cloud.url}), as the operator:`,
            `  export AWS_ENDPOINT_URL=${cloud.url} AWS_REGION=${cloud.settings.config["aws:region"] ?? "us-east-1"} AWS_ACCESS_KEY_ID=${OPERATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${OPERATOR_CREDENTIALS.secretAccessKey}`,
            `  aws stepfunctions list-executions --state-machine-arn ${machine}`,
            ...(reference ? [`  aws stepfunctions describe-execution --execution-arn ${executionArnOf(machine, "trip-1")}`] : []),
            ...(typeof cloud.outputs.tableName === "string"
                ? [`  aws dynamodb query --table-name ${cloud.outputs.tableName} --key-condition-expression 'pk = :t' --expression-attribute-values '{":t":{"S":"${reference ? "trip-1" : "<saga id>"}"}}'`]
                : []),
        );
    }
    return lines;
}

/** The travel booking's own requests: it knows its parameter and run types. */
function referenceRequests(cloud: LocalCloud, api: string, status: string | undefined, sign: string): string[] {
    const injection = cloud.settings.config[`${cloud.settings.project}:failureInjection`] === "true";
    const requests: [string, string][] = [
        [`${sign}'${api}?tripID=trip-1'`, "books a trip: hotel, flight, payment"],
        ...(injection ? RUN_TYPES.map((runType, i): [string, string] => [`${sign}'${api}?tripID=trip-${i + 2}&runType=${runType}'`, "fails on purpose, rolls back"]) : []),
        ...(status ? [[`${sign}'${api}${status}/trip-1'`, "the saga's outcome and records"] as [string, string]] : []),
        [`'${cloud.url}/_local/queues'`, "compensations that failed all their retries"],
    ];
    const lines = ["Try it (the reference saga's requests):", ...aligned(requests)];
    if (!injection) lines.push("  (runType is refused: failure injection is off in this stack's config.)");
    lines.push(`  Random compensation failures, to watch retries: npm start -- --config ${cloud.settings.project}:compensationFailureRate=0.4`);
    return lines;
}

/** Another program: its start handler decides what the query string means, so only the routes are known. */
function programRequests(cloud: LocalCloud, api: string, status: string | undefined, sign: string): string[] {
    const requests: [string, string][] = [
        [`${sign}'${api}'`, "starts a saga (what the query string may say is up to the program's start handler)"],
        ...(status ? [[`${sign}'${api}${status}/<saga id>'`, "a saga's outcome and records"] as [string, string]] : []),
        [`'${cloud.url}/_local/queues'`, "every queue's messages: the program's own and the failed compensations"],
    ];
    return ["Try it:", ...aligned(requests)];
}

/** `curl <arguments>  # what`, the comments aligned; the arguments quoted as the shell needs them. */
function aligned(requests: [string, string][]): string[] {
    const width = Math.max(...requests.map(([args]) => args.length));
    return requests.map(([args, what]) => `  curl ${args}${" ".repeat(width - args.length)}  # ${what}`);
}
