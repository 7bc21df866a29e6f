// Operational basics: an API that starts sagas (which change data and are billed per transition)
// is not open to anonymous callers: the original design's public endpoint is a flaw to avoid.
import * as aws from "@pulumi/aws";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { obj, plainProps } from "../analysis/values";

// OpenAPI operations of API Gateway; OPTIONS is left out: CORS preflight requests carry no credentials.
const METHODS = ["get", "put", "post", "delete", "head", "patch", "x-amazon-apigateway-any-method"];

const FIX = "require SigV4 (SagaComponent `api.iamAuth`, the stack's `saga:publicApi` false), an authorizer or an API key";

export const apiRequiresAuthorization: ResourceValidationPolicy = {
    name: "api-requires-authorization",
    description:
        "Checks whether every method of a REST API requires a caller identity (IAM, an authorizer or an API key), so nobody can start sagas anonymously.",
    enforcementLevel: "advisory",
    validateResource: [
        validateResourceOfType(aws.apigateway.RestApi, (_api, args, reportViolation) => {
            const body = plainProps(args.props).body;
            // No OpenAPI body (methods are resources of their own, checked below), or not known yet.
            if (typeof body !== "string") return;
            const open = anonymousOperations(body);
            if (open.length > 0) {
                reportViolation(`REST API "${args.name}" must not let anonymous callers in: ${open.join(", ")} ${open.length === 1 ? "has" : "have"} no authorization; ${FIX}.`);
            }
        }),
        validateResourceOfType(aws.apigateway.Method, (_method, args, reportViolation) => {
            const { authorization, apiKeyRequired, httpMethod } = plainProps(args.props);
            if (authorization === "NONE" && apiKeyRequired !== true && httpMethod !== "OPTIONS") {
                reportViolation(`API method "${args.name}" must not let anonymous callers in: its authorization is NONE; ${FIX}.`);
            }
        }),
    ],
};

/** "METHOD /path" of every operation of an OpenAPI document that names no way to authorize. */
function anonymousOperations(body: string): string[] {
    let document: Record<string, unknown>;
    try {
        document = JSON.parse(body);
    } catch {
        return [];
    }
    const secured = (security: unknown) => Array.isArray(security) && security.length > 0;
    const documentSecured = secured(document.security);
    return Object.entries(obj(document.paths) ?? {}).flatMap(([path, operations]) =>
        Object.entries(obj(operations) ?? {})
            .filter(([method]) => METHODS.includes(method))
            .filter(([, operation]) => {
                const auth = obj(obj(operation)?.["x-amazon-apigateway-auth"]);
                const byIam = typeof auth?.type === "string" && auth.type.toUpperCase() !== "NONE";
                return !byIam && !secured(obj(operation)?.security) && !documentSecured;
            })
            .map(([method]) => `${method === "x-amazon-apigateway-any-method" ? "ANY" : method.toUpperCase()} ${path}`),
    );
}
