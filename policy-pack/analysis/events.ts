// EventBridge rules and their targets, as a stack policy reads them. Pure. Whether a rule's pattern
// matches an event: components/model/event-pattern.ts (a rule relying on a matcher it does not
// know, such as `cidr`, is not counted).
import { isDefaultBus, parseEventPattern } from "../../components/model/event-pattern";
import { StackIndex, StackResource } from "./stack";
import { UNKNOWN, Unknown, str } from "./values";
import { ResourceTypes } from "../../components/model/resource-types";

export interface RuleReading {
    resource: StackResource;
    /** The rule's physical name, what its targets name. */
    name: string | Unknown | undefined;
    /** The parsed pattern; UNKNOWN while not known; undefined when the rule has none (a schedule) or it does not parse. */
    pattern: Record<string, unknown> | Unknown | undefined;
    /** Rules on the default bus see Step Functions' events; a custom bus does not. */
    onDefaultBus: boolean;
    enabled: boolean;
    /** The ARNs of its targets (UNKNOWN for one not known yet). */
    targets: (string | Unknown)[];
}

/** Every EventBridge rule of the stack, with its targets. */
export function readRules(stack: StackIndex): RuleReading[] {
    const targets = stack.ofType(ResourceTypes.eventTarget);
    return stack.ofType(ResourceTypes.eventRule).map((resource) => {
        const { props } = resource;
        const name = props.name === UNKNOWN ? UNKNOWN : str(props.name);
        const pattern = props.eventPattern === UNKNOWN ? UNKNOWN : parseEventPattern(props.eventPattern);
        const enabled = props.state !== "DISABLED" && props.isEnabled !== false;
        const own = targets.filter((t) => name !== undefined && t.props.rule === name && isDefaultBus(t.props.eventBusName) === isDefaultBus(props.eventBusName));
        return {
            resource,
            name,
            pattern,
            onDefaultBus: isDefaultBus(props.eventBusName),
            enabled,
            targets: own.map((t) => (t.props.arn === UNKNOWN ? UNKNOWN : (str(t.props.arn) ?? ""))),
        };
    });
}
