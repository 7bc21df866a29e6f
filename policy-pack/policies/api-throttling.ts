// Operational basics: an API that starts billed executions has a rate limit.
import { StackValidationPolicy } from "@pulumi/policy";
import { StackResource, fromPolicyResources } from "../analysis/stack";
import { UNKNOWN, obj } from "../analysis/values";
import { ResourceTypes } from "../../components/model/resource-types";

const positive = (value: unknown) => value === UNKNOWN || (typeof value === "number" && value > 0);

export const apiStageThrottling: StackValidationPolicy = {
    name: "api-stage-throttling",
    description:
        "Checks whether every API Gateway stage limits its request rate and burst, so one client cannot start executions (billed per state transition) as fast as the account quota allows.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        const resources = fromPolicyResources(args.resources);
        const ofType = (type: string) => resources.filter((r) => r.type === type);
        const settings = ofType(ResourceTypes.methodSettings);
        for (const stage of ofType(ResourceTypes.restApiStage)) {
            const { restApi, stageName } = stage.props;
            if (restApi === UNKNOWN || stageName === UNKNOWN) continue;
            const throttled = settings.some(
                (s) =>
                    (s.props.restApi === restApi || s.props.restApi === UNKNOWN) &&
                    (s.props.stageName === stageName || s.props.stageName === UNKNOWN) &&
                    (s.props.methodPath === "*/*" || s.props.methodPath === UNKNOWN) &&
                    isThrottled(obj(s.props.settings), "throttlingRateLimit", "throttlingBurstLimit"),
            );
            if (!throttled) reportViolation(missing(stage, 'an aws.apigateway.MethodSettings with methodPath "*/*" and settings.throttlingRateLimit and throttlingBurstLimit'), stage.urn);
        }
        for (const stage of ofType(ResourceTypes.httpApiStage)) {
            if (stage.props.defaultRouteSettings === UNKNOWN) continue;
            if (!isThrottled(obj(stage.props.defaultRouteSettings), "throttlingRateLimit", "throttlingBurstLimit")) {
                reportViolation(missing(stage, "defaultRouteSettings.throttlingRateLimit and throttlingBurstLimit"), stage.urn);
            }
        }
    },
};

function isThrottled(settings: Record<string, unknown> | undefined, rate: string, burst: string): boolean {
    return settings !== undefined && positive(settings[rate]) && positive(settings[burst]);
}

const missing = (stage: StackResource, fix: string) =>
    `API stage "${stage.name}" must be throttled: set ${fix} (requests per second and the burst above it).`;
