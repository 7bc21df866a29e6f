// Why a request is refused before its operation runs, independent of the service: each service
// answers a problem in its own shape and status (DynamoDB and Step Functions as AWS JSON
// `__type`, SQS with its query error code, API Gateway as a 403 gateway response).

export type AuthProblemCode = "MissingAuthenticationToken" | "IncompleteSignature" | "InvalidSignature" | "UnrecognizedClient" | "AccessDenied";

export interface AuthProblem {
    code: AuthProblemCode;
    message: string;
}

export const problem = (code: AuthProblemCode, message: string): AuthProblem => ({ code, message });

export const MISSING_TOKEN = problem("MissingAuthenticationToken", "Request is missing Authentication Token");
export const SIGNATURE_MISMATCH = problem(
    "InvalidSignature",
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
);
export const UNKNOWN_ACCESS_KEY = problem("UnrecognizedClient", "The security token included in the request is invalid.");
export const INVALID_SESSION_TOKEN = problem("UnrecognizedClient", "The security token included in the request is invalid");
