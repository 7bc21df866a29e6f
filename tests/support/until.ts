// The one way the tests wait for a condition instead of sleeping: poll until it holds.

/**
 * Polls `probe` every 10 ms until it answers something truthy, and answers that; once `timeoutMs`
 * has passed without it, throws an error naming `what` was awaited.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}
