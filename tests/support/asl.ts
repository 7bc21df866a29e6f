// asl-validator as every test of a generated definition uses it: on a copy (it writes defaults into
// the definition it is given), and once per distinct definition (it compiles its JSON schemas anew
// on every call, about 200 ms, and several files check the same machines).
import assert from "node:assert/strict";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const validate = require("asl-validator") as (definition: unknown) => { isValid: boolean; errorsText(): string };
/** asl-validator's errors by definition (JSON text); undefined: valid. */
const checked = new Map<string, string | undefined>();

/** Fails with asl-validator's errors unless the definition is valid Amazon States Language. */
export function assertValidAsl(definition: unknown): void {
    const text = JSON.stringify(definition);
    if (!checked.has(text)) {
        const result = validate(JSON.parse(text));
        checked.set(text, result.isValid ? undefined : result.errorsText());
    }
    const errors = checked.get(text);
    assert.equal(errors, undefined, `asl-validator: ${errors}`);
}
