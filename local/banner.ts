// What `npm start` prints once the local cloud serves: where everything is, the outputs a user
// reads, three requests to paste, how to stop; at most 25 lines. `--verbose` adds what was and was
// not provisioned, every output and route, more requests and the AWS CLI (GET /_local serves the
// same lists to the console). Secret outputs show as [secret], as Pulumi shows them.
import * as path from "node:path";
import { RUN_TYPES } from "../handlers/travel/trip";
import { executionArnOf } from "../components/model/arns";
import type { LocalCloud } from "./cloud";
import { printableConfig } from "../harness/config";
import type { ResourceEntry } from "./provision";
import { CONSOLE_PATH } from "./console-web/route";
import type { IamMode } from "./iam/gate";
import { OPERATOR_CREDENTIALS } from "./iam/operator";
import { SecretOutput } from "../harness/harness";

/** The reference program (the travel booking), whose requests the banner knows. */
const REFERENCE_PROGRAM = path.resolve(__dirname, "..", "index.ts");

/** The default banner's bound: it fits a terminal, and the requests to try are on screen. */
export const BANNER_MAX_LINES = 25;

/** Warnings shown by default; the rest with --verbose (start-up also logs each as it happens). */
const WARNINGS_SHOWN = 3;

export interface BannerOptions {
    /** What retries wait locally, in ms; undefined: the definition's own intervals. */
    retryIntervalMs?: number;
    /** What a repair's retries wait locally, in ms (with retryIntervalMs); default retryIntervalMs. */
    repairRetryIntervalMs?: number;
    dataDir?: string;
    /** How long a stop waits for running sagas; default 10. */
    graceSeconds?: number;
    /** --iam; default enforce. */
    iam?: IamMode;
    /** --verbose: every resource provisioned or not, every output and route, more requests. */
    verbose?: boolean;
}

/** An output as it may be shown: a secret as [secret], a string as it is, anything else as JSON. */
export function shown(value: unknown): string {
    if (value instanceof SecretOutput || typeof value === "string") return String(value);
    return JSON.stringify(value);
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

/**
 * A query string with its parameters in sorted order. curl before 8.x (Debian 12's 7.88) signs
 * the parameters in the order written, while AWS (and this cloud) sorts them before checking the
 * signature: sorted, they are signed correctly by every curl.
 */
export function sortedQuery(parameters: Record<string, string>): string {
    const names = Object.keys(parameters).sort();
    return names.length === 0 ? "" : `?${names.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(parameters[name])}`).join("&")}`;
}

export function banner(cloud: LocalCloud, options: BannerOptions): string {
    const { settings } = cloud;
    const iam = options.iam ?? "enforce";
    const lines = [
        "",
        `Local cloud: the ${settings.project} program (${path.relative(process.cwd(), settings.programFile) || settings.programFile}), stack "${settings.stack}", deployed in ${(cloud.deployMs / 1000).toFixed(1)} s`,
        `Endpoint: ${cloud.url} (DynamoDB, Step Functions, SQS, the APIs' stages, /_local)`,
        `Console:  ${cloud.url}${CONSOLE_PATH} (the machine, its executions and their records; ${cloud.url}/ opens it too)`,
        "",
        ...(options.verbose ? verboseLines(cloud) : summaryLines(cloud)),
        `Config: ${Object.entries(printableConfig(settings)).map(([key, value]) => `${key}=${value}`).join(", ")}`,
        retryLine(cloud, options),
        dataLine(cloud),
        iamLine(iam),
        "",
        ...requests(cloud, iam, options.verbose === true),
        "",
        stopLine(cloud, options.graceSeconds ?? 10),
        "",
    ];
    return lines.join("\n");
}

/** The outputs a user reads, and how much was provisioned: the lists are behind --verbose. */
function summaryLines(cloud: LocalCloud): string[] {
    const { provisioned, notProvisioned, warnings } = cloud.resources;
    const read: [string, string][] = [
        ["API URL", "apiUrl"],
        ["State machine", "stateMachineArn"],
        ["Table", "tableName"],
    ];
    const known = read.filter(([, output]) => output in cloud.outputs);
    const others = Object.keys(cloud.outputs).filter((name) => !known.some(([, output]) => output === name));
    const width = Math.max(0, ...known.map(([label]) => label.length + 1));
    const api = apiUrlOf(cloud);
    return [
        ...known.map(([label, output]) => `${`${label}:`.padEnd(width)} ${shown(cloud.outputs[output])}`),
        ...(known.length === 0 && api ? [`API URL: ${api}`] : []),
        ...(others.length > 0 ? [`Other outputs: ${others.join(", ")} (--verbose shows them)`] : []),
        `Resources: ${provisioned.length} provisioned locally, ${notProvisioned.length} with no local effect (${[...byType(notProvisioned).keys()].map((type) => type.split(":").pop()).join(", ") || "none"}); --verbose or ${cloud.url}/_local lists them.`,
        ...warnings.slice(0, WARNINGS_SHOWN).map((warning) => `Warning: ${warning}`),
        ...(warnings.length > WARNINGS_SHOWN ? [`... and ${warnings.length - WARNINGS_SHOWN} more warning(s): --verbose shows them.`] : []),
    ];
}

/** Everything: what was and was not provisioned, warnings, every output, every route. */
function verboseLines(cloud: LocalCloud): string[] {
    const { provisioned, notProvisioned, warnings } = cloud.resources;
    return [
        "Provisioned locally:",
        ...[...byType(provisioned)].flatMap(([type, entries]) => [`  ${type}`, ...entries.map((e) => `      ${e.name}: ${e.local}`)]),
        "",
        "Not provisioned locally (acknowledged; no local effect: logs go to this console, alarms never fire):",
        ...[...byType(notProvisioned)].map(([type, entries]) => `  ${type} (${entries.length}): ${entries.map((e) => e.name).join(", ")}`),
        ...(warnings.length > 0 ? ["", "Warnings:", ...warnings.map((w) => `  ${w}`)] : []),
        "",
        "Stack outputs:",
        ...Object.entries(cloud.outputs).map(([name, value]) => `  ${name}: ${shown(value)}`),
        "",
        "Routes:",
        ...Object.entries(cloud.routes).map(([url, routes]) => `  ${url}: ${routes.join(", ")}`),
        "",
    ];
}

function iamLine(mode: IamMode): string {
    const operator = `you are the operator, allowed everything: access key ${OPERATOR_CREDENTIALS.accessKeyId}, secret ${OPERATOR_CREDENTIALS.secretAccessKey}`;
    switch (mode) {
        case "enforce":
            return `IAM: enforced, as on AWS (--iam warn or off to relax): requests must be SigV4-signed; ${operator}.`;
        case "warn":
            return `IAM: warn. What enforce would refuse (unsigned requests, calls a role does not allow) is logged as "iam (warn)" and let through; ${operator}.`;
        case "off":
            return "IAM: off. No signature is checked and no policy evaluated (--iam enforce, the default, refuses what AWS would).";
    }
}

function region(cloud: LocalCloud): string {
    return cloud.settings.config["aws:region"] ?? "us-east-1";
}

/** curl's arguments that sign a request as the operator (curl 7.75 or later), for `service`. */
function curlSigning(cloud: LocalCloud, mode: IamMode, service: string): string {
    if (mode === "off") return "";
    const { accessKeyId, secretAccessKey } = OPERATOR_CREDENTIALS;
    return `--aws-sigv4 "aws:amz:${region(cloud)}:${service}" --user "${accessKeyId}:${secretAccessKey}" `;
}

function dataLine(cloud: LocalCloud): string {
    if (!cloud.dataDir) return "Data: in memory: tables, executions and queued messages are gone when it stops (--data <dir> keeps them).";
    const resumed = cloud.resumed.length > 0 ? ` This start resumed ${cloud.resumed.length} (listed above).` : "";
    return `Data folder: ${cloud.dataDir}: tables, queued messages and every execution survive a restart or a crash; running executions resume.${resumed}`;
}

function stopLine(cloud: LocalCloud, graceSeconds: number): string {
    const after = cloud.dataDir ? "what still runs then is kept in the data folder and resumes at the next start" : "what still runs then is aborted";
    return `Ctrl-C stops: new requests get 503, running sagas get ${graceSeconds} s to finish (--grace), ${after}; Ctrl-C again stops waiting.`;
}

/** The requests to paste: three by default, run in this order; with --verbose more, and the AWS CLI. */
function requests(cloud: LocalCloud, mode: IamMode, verbose: boolean): string[] {
    const api = apiUrlOf(cloud);
    if (!api) return [];
    const reference = cloud.settings.programFile === REFERENCE_PROGRAM;
    const status = Object.values(cloud.routes)
        .flat()
        .map((route) => /^GET \/([\w-]+)\/\{[\w-]+\}$/.exec(route)?.[1])
        .find((collection) => collection !== undefined);
    const lines = reference ? referenceRequests(cloud, api, status, mode, verbose) : programRequests(cloud, api, status, mode, verbose);
    const machine = cloud.outputs.stateMachineArn;
    const express = typeof machine === "string" ? expressLogs(cloud, machine) : undefined;
    const cli = `export AWS_ENDPOINT_URL=${cloud.url} AWS_REGION=${region(cloud)} AWS_ACCESS_KEY_ID=${OPERATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${OPERATOR_CREDENTIALS.secretAccessKey}`;
    if (!verbose) return [...lines, `The AWS CLI works too, as the operator: ${cli}`];
    if (typeof machine === "string") {
        lines.push(
            "",
            `The AWS CLI works against it too (DynamoDB, Step Functions, SQS and CloudWatch Logs on ${cloud.url}), as the operator:`,
            `  ${cli}`,
            // An EXPRESS machine's executions are neither listed nor described: its log group has them.
            ...(express
                ? express.logGroupName
                    ? [`  aws logs filter-log-events --log-group-name ${express.logGroupName}`]
                    : []
                : [
                      `  aws stepfunctions list-executions --state-machine-arn ${machine}`,
                      ...(reference ? [`  aws stepfunctions describe-execution --execution-arn ${executionArnOf(machine, "trip-1")}`] : []),
                  ]),
            ...(typeof cloud.outputs.tableName === "string"
                ? [`  aws dynamodb query --table-name ${cloud.outputs.tableName} --key-condition-expression 'pk = :t' --expression-attribute-values '{":t":{"S":"${reference ? "trip-1" : "<saga id>"}"}}'`]
                : []),
        );
    }
    return lines;
}

/** The travel booking's own requests: it knows its parameter and run types. */
function referenceRequests(cloud: LocalCloud, api: string, status: string | undefined, mode: IamMode, verbose: boolean): string[] {
    const sign = curlSigning(cloud, mode, "execute-api");
    const injection = cloud.settings.config[`${cloud.settings.project}:failureInjection`] === "true";
    const start = (tripID: string, runType?: string) => `${sign}'${api}${sortedQuery({ tripID, ...(runType ? { runType } : {}) })}'`;
    const statusOf = (tripID: string): [string, string][] => (status ? [[`${sign}'${api}${status}/${tripID}'`, `${tripID}'s outcome and records (once it has ended)`]] : []);
    const queues: [string, string] = [`'${cloud.url}/_local/queues'`, "compensations that failed all their retries"];
    const all: [string, string][] = injection
        ? [
              [start("trip-1"), "books a trip: hotel, flight, payment"],
              [start("trip-2", "failPayment"), "the payment fails: the saga rolls back"],
              ...statusOf("trip-2"),
              ...(verbose
                  ? [
                        ...statusOf("trip-1"),
                        ...RUN_TYPES.filter((runType) => runType !== "failPayment").map((runType, i): [string, string] => [start(`trip-${i + 3}`, runType), "fails on purpose, rolls back"]),
                        queues,
                    ]
                  : []),
          ]
        : [[start("trip-1"), "books a trip: hotel, flight, payment"], ...statusOf("trip-1"), ...(verbose || !status ? [queues] : [])];
    const lines = ["Try it, in another terminal (parameters in sorted order, so that every curl signs them right):", ...aligned(all)];
    if (!injection) lines.push("  (runType is refused: failure injection is off in this stack's config.)");
    if (verbose) lines.push(`  Random compensation failures, to watch retries: npm start -- --config ${cloud.settings.project}:compensationFailureRate=0.4`);
    return lines;
}

/** Another program: its start handler decides what the query string means, so only the routes and the machine are known. */
function programRequests(cloud: LocalCloud, api: string, status: string | undefined, mode: IamMode, verbose: boolean): string[] {
    const machine = cloud.outputs.stateMachineArn;
    const express = typeof machine === "string" ? expressLogs(cloud, machine) : undefined;
    const listExecutions: [string, string][] = express
        ? express.logGroupName
            ? [[`'${cloud.url}/_local/logs/${encodeURIComponent(express.logGroupName)}'`, "its executions' events, from its log group (EXPRESS executions are not listed)"]]
            : []
        : typeof machine === "string"
          ? [
                  [
                      `${curlSigning(cloud, mode, "states")}-H 'X-Amz-Target: AWSStepFunctions.ListExecutions' -H 'Content-Type: application/x-amz-json-1.0' -d '${JSON.stringify({ stateMachineArn: machine })}' '${cloud.url}/'`,
                      "its executions, newest first",
                  ],
              ]
          : [];
    const requests: [string, string][] = [
        [`${curlSigning(cloud, mode, "execute-api")}'${api}'`, "starts a saga (what the query string may say is up to the program's start handler)"],
        ...listExecutions,
        ...(verbose && status ? [[`${curlSigning(cloud, mode, "execute-api")}'${api}${status}/<saga id>'`, "a saga's outcome and records (its id is in the start's answer)"] as [string, string]] : []),
        [`'${cloud.url}/_local/queues'`, "every queue's messages: the program's own and the failed compensations"],
    ];
    return ["Try it, in another terminal:", ...aligned(requests)];
}

/** `curl <arguments>  # what`, the comments aligned; the arguments quoted as the shell needs them. */
function aligned(requests: [string, string][]): string[] {
    const width = Math.max(...requests.map(([args]) => args.length));
    return requests.map(([args, what]) => `  curl ${args}${" ".repeat(width - args.length)}  # ${what}`);
}

/** An EXPRESS machine's log group (undefined: the machine is not EXPRESS); `logGroupName` absent when it logs nowhere. */
function expressLogs(cloud: LocalCloud, machineArn: string): { logGroupName?: string } | undefined {
    const machine = cloud.stateMachine(machineArn);
    return machine?.type === "EXPRESS" ? { ...(machine.logGroupName ? { logGroupName: machine.logGroupName } : {}) } : undefined;
}

/** What retries wait here, and how long a repair keeps retrying each compensation (its local horizon). */
function retryLine(cloud: LocalCloud, options: BannerOptions): string {
    if (options.retryIntervalMs === undefined) return "Retries wait as the definition says (a repair's up to its horizon).";
    const repairMs = options.repairRetryIntervalMs ?? options.retryIntervalMs;
    const attempts = Math.max(0, ...cloud.repairs().map((repair) => repair.maxAttempts));
    const repair = attempts > 0 ? `; a repair's ${repairMs} ms, so it retries each compensation ${attempts} times over about ${duration((attempts * repairMs) / 1000)} (on AWS, up to its horizon)` : "";
    return `Retries wait ${options.retryIntervalMs} ms here, not the definition's intervals${repair} (--retry-interval, --repair-retry-interval).`;
}

function duration(seconds: number): string {
    return seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}
