// IAM at the door of every local service: who signed the request (SigV4, sigv4.ts), and whether
// that caller's role allows the action on the resource (evaluate.ts), as AWS decides before an
// operation runs. Also what the state machines' Tasks may do, as their role. `--iam`:
//   enforce  refuses as AWS refuses: the service's auth errors, AccessDenied (the default)
//   warn     logs what enforce would refuse, and lets it through
//   off      checks nothing (as before IAM was enforced)
// The operator (OPERATOR_CREDENTIALS) is the account's administrator: allowed everything.
import type { IncomingMessage } from "node:http";
import { Caller, CredentialStore, assumedRoleArn, roleNameOf } from "./credentials";
import { accessDeniedMessage, Decision, decide } from "./evaluate";
import { RolePolicies } from "./policies";
import { AuthProblem, problem } from "./problems";
import type { SigningName } from "./signing";
import { verifySignature } from "./sigv4";

export type IamMode = "off" | "warn" | "enforce";
export const IAM_MODES: readonly IamMode[] = ["off", "warn", "enforce"];

/** One action a request asks for, on one resource (a BatchWriteItem asks once per table). */
export interface ActionRequest {
    /** As the service spells it in its messages (SQS: `sqs:sendmessage`). */
    action: string;
    resource: string;
}

export type Authentication = { caller?: Caller } | { problem: AuthProblem };

export interface IamGateOptions {
    mode: IamMode;
    account: string;
    region: string;
    log(line: string): void;
}

/** The decisions made so far (a role's policies do not change while it serves): at most this many kept. */
const MAX_CACHED_DECISIONS = 10_000;

export class IamGate {
    readonly credentials: CredentialStore;
    readonly policies = new RolePolicies();
    private readonly decisions = new Map<string, Decision>();
    private decisionsVersion = -1;
    /** warn logs each distinct refusal once. */
    private readonly warned = new Set<string>();

    constructor(private readonly options: IamGateOptions) {
        this.credentials = new CredentialStore(options.account);
    }

    /** The account and region of the resources it guards, for their ARNs. */
    get arns(): { account: string; region: string } {
        return { account: this.options.account, region: this.options.region };
    }

    /**
     * Who signed the request, by its SigV4 signature for `service`. A refused request has a
     * problem; in warn mode it is logged and let through without a caller (nothing to evaluate).
     */
    async authenticate(request: IncomingMessage, body: Buffer, service: SigningName, what: string): Promise<Authentication> {
        if (this.options.mode === "off") return {};
        const verified = await verifySignature(
            { method: request.method ?? "GET", target: request.url ?? "/", headers: request.headers, body },
            { service, region: this.options.region },
            (accessKeyId) => this.credentials.lookup(accessKeyId)?.credentials,
        );
        if ("accessKeyId" in verified) return { caller: this.credentials.lookup(verified.accessKeyId)!.caller };
        return this.refuse(`${what}: ${verified.problem.code} (${verified.problem.message})`, verified.problem) ?? {};
    }

    /** Whether the caller may do every one of `requests`: the first refused, as AccessDenied; undefined when allowed. */
    authorize(caller: Caller | undefined, requests: ActionRequest[]): AuthProblem | undefined {
        if (!caller || caller.kind === "operator" || this.options.mode === "off") return undefined;
        for (const { action, resource } of requests) {
            const decision = this.decision(caller.roleArn, caller.principalArn, action, resource);
            if (decision === "Allowed") continue;
            const message = accessDeniedMessage(caller.principalArn, action, resource, decision);
            const why = decision === "ExplicitlyDenied" ? "a policy of the role denies it" : "no policy of the role allows it";
            const refused = this.refuse(`${caller.label} (role ${roleNameOf(caller.roleArn)}): ${action} on ${resource}: AccessDenied, ${why}`, problem("AccessDenied", message));
            if (refused) return refused.problem;
        }
        return undefined;
    }

    /** What a state machine's Task may do, as the machine's role (`sessionName` names the session in messages). */
    authorizeRole(roleArn: string, sessionName: string, label: string, request: ActionRequest): AuthProblem | undefined {
        const principalArn = assumedRoleArn(this.options.account, roleArn, sessionName);
        return this.authorize({ kind: "role", principalArn, roleArn, label }, [request]);
    }

    private decision(roleArn: string, principalArn: string, action: string, resource: string): Decision {
        if (this.decisionsVersion !== this.policies.version || this.decisions.size >= MAX_CACHED_DECISIONS) {
            this.decisions.clear();
            this.decisionsVersion = this.policies.version;
        }
        const key = `${principalArn}\n${action}\n${resource}`;
        let decision = this.decisions.get(key);
        if (decision === undefined) {
            const request = { principalArn, roleArn, account: this.options.account, region: this.options.region, action, resource };
            decision = decide(request, this.policies.of(roleNameOf(roleArn)));
            this.decisions.set(key, decision);
        }
        return decision;
    }

    /** enforce: logged, and the problem to answer; warn: logged once, and let through (undefined). */
    private refuse(line: string, refusal: AuthProblem): { problem: AuthProblem } | undefined {
        if (this.options.mode === "enforce") {
            this.options.log(`iam: refused ${line}`);
            return { problem: refusal };
        }
        if (!this.warned.has(line)) {
            if (this.warned.size < MAX_CACHED_DECISIONS) this.warned.add(line);
            this.options.log(`iam (warn): would refuse ${line}`);
        }
        return undefined;
    }
}
