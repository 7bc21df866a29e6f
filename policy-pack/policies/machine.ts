// Reading a state machine resource as a saga, shared by the definition-based policies.
import { Tags } from "../../components/model/conventions";
import { parseAsl } from "../../components/model/asl";
import { SagaReading, isSagaMachine, readSaga } from "../../components/model/saga-reader";
import { NotKnownYet, Props, UNKNOWN, tagsOf } from "../analysis/values";

/** Why a definition-based check could not run, for the advisory the policy SDK prints. */
export const definitionNotKnown = (machines: string[]) =>
    `the definition of state machine ${machines.map((m) => `"${m}"`).join(", ")} is not known yet (a first preview builds it from ARNs that do not exist yet), so it was not checked; it is checked once known, e.g. by \`pulumi up\``;

/**
 * The saga in a state machine's definition, or undefined when the machine is no saga (or its
 * definition does not parse: saga-steps-have-compensators reports that). Throws NotKnownYet
 * while the definition is unknown. Whether it is a saga: the model's isSagaMachine (a resource policy does not
 * see the functions it invokes).
 */
export function readMachine(name: string, props: Props): SagaReading | undefined {
    const definition = props.definition;
    if (definition === UNKNOWN || definition === undefined) throw new NotKnownYet(definitionNotKnown([name]));
    const asl = parseAsl(definition);
    if ("error" in asl) return undefined;
    const reading = readSaga(asl);
    return isSagaMachine(reading, { tagged: tagsOf(props)[Tags.saga] !== undefined }) ? reading : undefined;
}
