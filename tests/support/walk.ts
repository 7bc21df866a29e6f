// Walks a definition without executing anything: which states a run enters when the given
// states fail (once, past their retries). Used to state properties of every generated shape.
import type { AslDefinition, AslState } from "../../components/model/definition";

export function walk(definition: AslDefinition, failing: ReadonlySet<string>): string[] {
    const entered: string[] = [];
    let name: string | undefined = definition.StartAt;
    while (name !== undefined) {
        if (entered.length > Object.keys(definition.States).length * 2) {
            throw new Error(`The definition loops: ${entered.join(" -> ")}`);
        }
        const state: AslState = definition.States[name];
        if (!state) throw new Error(`"${entered.at(-1)}" leads to the missing state "${name}".`);
        entered.push(name);
        const catchers = (state.Catch ?? []) as { Next: string }[];
        // A failing state without a catcher ends the execution.
        name = failing.has(name) ? catchers[0]?.Next : (state.Next as string | undefined);
    }
    return entered;
}

export const isTask = (state: AslState) => state.Type === "Task";
