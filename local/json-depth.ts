// How deep JSON text nests, found by scanning it (never by parsing, which recursion in a later
// reader could not survive): the services refuse what nests deeper than they take, before anything
// recursive reads it.

/** The depth of `text` past `max` (its objects and arrays open at once), or undefined when it nests `max` or less. */
export function jsonDepthPast(text: Buffer | string, max: number): number | undefined {
    const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
    let depth = 0;
    let inString = false;
    for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i];
        if (inString) {
            if (byte === 0x5c) i++; // a backslash escapes the next character
            else if (byte === 0x22) inString = false;
        } else if (byte === 0x22) {
            inString = true;
        } else if (byte === 0x7b || byte === 0x5b) {
            if (++depth > max) return depth;
        } else if (byte === 0x7d || byte === 0x5d) {
            depth--;
        }
    }
    return undefined;
}
