// The environment a Lambda gets from AWS, faked for local tests: a region, credentials that sign
// requests nobody checks, and quiet handler logs. Set at import, before any SDK client sends.
process.env.AWS_REGION ??= "us-east-1";
process.env.AWS_ACCESS_KEY_ID ??= "local";
process.env.AWS_SECRET_ACCESS_KEY ??= "local";
// Handlers log JSON lines; tests only want them when asked for (AWS_LAMBDA_LOG_LEVEL=debug).
process.env.AWS_LAMBDA_LOG_LEVEL ??= "fatal";
// The SDK warns once per process that Node 20 support ends in 2027; known, and noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Sets (or, with undefined, unsets) environment variables; returns a function that restores them. */
export function setEnv(values: Record<string, string | undefined>): () => void {
    const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
    apply(values);
    return () => apply(previous);
}

/** Runs `body` with some environment variables set (undefined unsets), then restores them. */
export async function withEnv<T>(values: Record<string, string | undefined>, body: () => Promise<T> | T): Promise<T> {
    const restore = setEnv(values);
    try {
        return await body();
    } finally {
        restore();
    }
}

function apply(settings: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(settings)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
}
