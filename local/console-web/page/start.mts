// The start form: sends the start request a user would (GET on the API with the saga id and run
// type in the query string) and shows the API's answer as it is, its validation errors included.
// Its fields are those the program's startRequest output names; the page checks nothing itself,
// so what it shows is what the API says.
import type { ConsoleApi } from "../api";
import { ProgramApi, StartForm, startQuery } from "../program";
import { byId, h } from "./dom.mjs";

export interface Started {
    id: string;
    executionArn: string;
}

export function setUpStartForm(api: ConsoleApi, program: ProgramApi | undefined, form: (StartForm & { described: boolean }) | undefined, onStarted: (started: Started) => void): void {
    const element = byId<HTMLFormElement>("start-form");
    const result = byId("start-result");
    if (!program || !form) {
        element.hidden = true;
        result.textContent = "The program has no REST API in front of a state machine (its apiUrl and stateMachineArn outputs) to start a saga with.";
        return;
    }
    // The fields the program's startRequest output names, and no other.
    byId("start-id-field").hidden = form.idParameter === undefined;
    byId("start-id-label").textContent = `${form.idParameter ?? "Saga id"} (optional)`;
    const runType = byId<HTMLSelectElement>("start-run-type");
    runType.replaceChildren(h("option", { value: "" }, "none: runs to success"), ...form.runTypes.map((name) => h("option", { value: name }, name)));
    byId("start-run-type-field").hidden = form.runTypes.length === 0;
    byId("start-injection-off").hidden = !form.described || form.runTypes.length > 0;
    byId("start-undescribed").hidden = form.described;
    const id = byId<HTMLInputElement>("start-id");
    const button = element.querySelector("button")!;

    element.addEventListener("submit", async (event) => {
        event.preventDefault();
        button.disabled = true;
        result.className = "";
        const query = startQuery(form, id.value, runType.value);
        const request = `GET ${program.apiPath}${query ? `?${query}` : ""}`;
        result.textContent = `${request} …`;
        try {
            const { status, body } = await api.get<{ id?: string; executionArn?: string; message?: string }>(`${program.apiPath}${query ? `?${query}` : ""}`);
            if (status === 202 && body.id && body.executionArn) {
                result.className = "ok";
                result.textContent = `${request}: ${status}, started ${body.id}.`;
                id.value = "";
                onStarted({ id: body.id, executionArn: body.executionArn });
            } else {
                result.className = "refused";
                result.replaceChildren(`${request}: ${status}`, h("br"), h("span", { class: "api-message" }, body.message ?? JSON.stringify(body)));
            }
        } catch (error) {
            result.className = "refused";
            result.textContent = `${request}: ${(error as Error).message}`;
        } finally {
            button.disabled = false;
        }
    });
}
