// SHA-256 and HMAC-SHA256 for @smithy/signature-v4, on node:crypto (the SDK's own package for
// it is not installed; this is all it needs).
import type { Checksum, SourceData } from "@smithy/types";
import { createHash, createHmac, Hash, Hmac } from "node:crypto";

const bytes = (data: SourceData): Buffer =>
    typeof data === "string" ? Buffer.from(data, "utf8") : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

export class NodeSha256 implements Checksum {
    private hash: Hash | Hmac;

    constructor(private readonly secret?: SourceData) {
        this.hash = this.fresh();
    }

    update(data: Uint8Array): void {
        this.hash.update(bytes(data));
    }

    async digest(): Promise<Uint8Array> {
        return new Uint8Array(this.hash.digest());
    }

    reset(): void {
        this.hash = this.fresh();
    }

    private fresh(): Hash | Hmac {
        return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
    }
}
