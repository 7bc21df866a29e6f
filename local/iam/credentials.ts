// Who may call the local cloud's services: the operator (a developer, a test, the AWS CLI: the
// account's administrator) and each deployed function, which gets credentials of its own, as
// Lambda gives each function its role's temporary credentials. A request's access key names the
// caller; the caller's role decides what it may do (policies.ts, gate.ts).
import { randomBytes } from "node:crypto";
import { Credentials, OPERATOR_CREDENTIALS } from "./operator";

/** Who signed a request. */
export type Caller =
    /** The operator: the account's administrator. */
    | { kind: "operator" }
    /** A function, acting as its role: `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
    | { kind: "role"; principalArn: string; roleArn: string; label: string };

/** The session ARN of a role assumed under a session name, as STS names it. */
export function assumedRoleArn(account: string, roleArn: string, sessionName: string): string {
    return `arn:aws:sts::${account}:assumed-role/${roleNameOf(roleArn)}/${sessionName}`;
}

/** `arn:aws:iam::<account>:role/<path/>name` -> `name`. */
export function roleNameOf(roleArn: string): string {
    return roleArn.slice(roleArn.lastIndexOf("/") + 1);
}

export class CredentialStore {
    private readonly byAccessKey = new Map<string, { credentials: Credentials; caller: Caller }>();

    constructor(private readonly account: string) {
        this.byAccessKey.set(OPERATOR_CREDENTIALS.accessKeyId, {
            credentials: OPERATOR_CREDENTIALS,
            caller: { kind: "operator" },
        });
    }

    /**
     * Fresh temporary credentials for a function acting as `roleArn` (new at every start, like
     * Lambda's): an access key (ASIA..., as STS issues), a secret and a session token.
     */
    issueForFunction(functionName: string, roleArn: string): Credentials {
        const credentials = {
            accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
            secretAccessKey: randomBytes(30).toString("base64"),
            sessionToken: randomBytes(48).toString("base64"),
        };
        const caller: Caller = { kind: "role", principalArn: assumedRoleArn(this.account, roleArn, functionName), roleArn, label: `function ${functionName}` };
        this.byAccessKey.set(credentials.accessKeyId, { credentials, caller });
        return credentials;
    }

    lookup(accessKeyId: string): { credentials: Credentials; caller: Caller } | undefined {
        return this.byAccessKey.get(accessKeyId);
    }
}
