// The state machines of a stack as the saga policies read them: the definition, the saga each
// belongs to and the functions its Tasks invoke.
import { Tags } from "../../components/model/conventions";
import { Asl, invokedFunction, parseAsl } from "../../components/model/asl";
import { isSagaMachine, readSaga } from "../../components/model/saga-reader";
import { StackIndex, StackResource } from "./stack";
import { UNKNOWN, Unknown, tagsOf } from "./values";
import { ResourceTypes } from "../../components/model/resource-types";

export interface MachineReading {
    resource: StackResource;
    /** The parsed definition, UNKNOWN while it is not known (or absent, under mocks in preview), or why it does not parse. */
    asl: Asl | Unknown | { error: string };
    /**
     * The saga it belongs to: its `saga:name` tag; else the saga of a tagged Lambda it invokes;
     * else, when it is a saga by its definition (the model's isSagaMachine), its own name.
     * Undefined: it is no saga.
     */
    saga?: string;
    /** The functions its Tasks invoke (names or ARNs), when the definition is known. */
    invoked: string[];
}

export const isKnown = (asl: MachineReading["asl"]): asl is Asl => asl !== UNKNOWN && !("error" in asl);

export function readMachines(stack: StackIndex): MachineReading[] {
    return stack.ofType(ResourceTypes.stateMachine).map((resource) => {
        const definition = resource.props.definition;
        const asl = definition === UNKNOWN || definition === undefined ? UNKNOWN : parseAsl(definition);
        const invoked = isKnown(asl) ? Object.values(asl.States).flatMap((state) => invokedFunction(state) ?? []) : [];
        const saga =
            tagsOf(resource.props)[Tags.saga] ??
            invoked.map((fn) => stack.lambdaFor(fn)?.saga).find((s) => s !== undefined) ??
            (isKnown(asl) && isSagaMachine(readSaga(asl), { tagged: false }) ? resource.name : undefined);
        return { resource, asl, saga, invoked };
    });
}

const FUNCTION_ARN = /^arn:[^:]+:lambda:([^:]*):([^:]*):function:([^:]+)(?::([^:]+))?$/;

/**
 * Whether an IAM resource is the function a definition refers to (by ARN, with or without a
 * qualifier, or by name): the same function, and the same version or alias when both name one.
 */
export function sameFunction(resource: string, reference: string): boolean {
    const r = FUNCTION_ARN.exec(resource);
    const f = FUNCTION_ARN.exec(reference);
    if (!r) return resource === reference;
    if (!f) return r[3] === reference;
    return r[1] === f[1] && r[2] === f[2] && r[3] === f[3] && (r[4] === undefined || f[4] === undefined || r[4] === f[4]);
}
