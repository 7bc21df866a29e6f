// The operator's credentials: what the banner and the README print, and what SagaClient, the
// console, chaos and the benchmarks sign with. The account's administrator: every action is
// allowed. Not secret: the local cloud listens on 127.0.0.1 only. No Node.js imports: the
// console's page signs with them in the browser.

export interface Credentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
}

export const OPERATOR_CREDENTIALS: Credentials = { accessKeyId: "local", secretAccessKey: "local" };
