// Whether a role's identity policies allow an action on a resource, decided by
// @cloud-copilot/iam-simulate (AWS's evaluation logic: explicit deny, then allow, else implicit
// deny; wildcards, NotAction/NotResource, condition operators), and AWS's message when they do
// not. Pure.
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import type { NamedPolicy } from "./policies";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface EvaluationRequest {
    /** Who asks: the assumed-role session ARN. */
    principalArn: string;
    roleArn: string;
    account: string;
    region: string;
    /** `service:Action`, matched without regard to case as IAM matches it. */
    action: string;
    resource: string;
}

/**
 * The decision for one request. The request context holds what the local cloud knows of every
 * request (principal, account, region); a condition on any other key (dynamodb:LeadingKeys,
 * aws:SourceIp, ...) finds it absent, as IAM does when a request lacks the key.
 */
export function decide(request: EvaluationRequest, policies: NamedPolicy[]): Decision {
    try {
        // The unchecked entry point: synchronous, and it takes every ARN AWS forms (the
        // checked one refuses an API's root method ARN, `.../GET/`).
        return runUnsafeSimulation(
            {
                request: {
                    principal: request.principalArn,
                    action: request.action,
                    resource: { resource: request.resource, accountId: request.account },
                    contextVariables: {
                        "aws:PrincipalArn": request.roleArn,
                        "aws:PrincipalAccount": request.account,
                        "aws:RequestedRegion": request.region,
                    },
                },
                identityPolicies: policies.map(({ name, policy }) => ({ name, policy })),
                serviceControlPolicies: [],
                resourceControlPolicies: [],
            },
            {},
        ) as Decision;
    } catch {
        // A policy the simulator cannot read grants nothing (AWS refuses it at deployment).
        return "ImplicitlyDenied";
    }
}

/** AWS's AccessDenied message for an identity-based decision. */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, decision: Exclude<Decision, "Allowed">): string {
    const why = decision === "ExplicitlyDenied" ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${action} action`;
    return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}
