// SHA-256 and HMAC-SHA256 for @smithy/signature-v4 on WebCrypto, for the console's page (the
// browser has no node:crypto; Node.js has WebCrypto too, where the console's code runs in tests).
import type { Checksum, SourceData } from "@smithy/types";

const bytes = (data: SourceData): Uint8Array =>
    typeof data === "string" ? new TextEncoder().encode(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

export class WebSha256 implements Checksum {
    private chunks: Uint8Array[] = [];

    constructor(private readonly secret?: SourceData) {}

    update(data: Uint8Array): void {
        this.chunks.push(bytes(data).slice());
    }

    async digest(): Promise<Uint8Array> {
        const data = new Uint8Array(this.chunks.reduce((length, chunk) => length + chunk.length, 0));
        this.chunks.reduce((offset, chunk) => (data.set(chunk, offset), offset + chunk.length), 0);
        if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
        const key = await crypto.subtle.importKey("raw", bytes(this.secret).slice(), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
        return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
    }

    reset(): void {
        this.chunks = [];
    }
}
