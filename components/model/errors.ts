/** A SagaComponent argument that cannot work; the message names it and says what to fix. */
export class SagaValidationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SagaValidationError";
    }
}
