/**
 * The proxy's per-request records are sealed before they reach Redis (which is outside the TEE): a charged record
 * names the account, the model, the worker and, through the receipt, the hashes of the inputs and outputs — enough to
 * confirm a guessed input. Sealed with AES-256-GCM (crypto/aead.ts) under a key derived from the proxy's seed, with
 * the request id as associated data, so a record cannot be read, altered or moved to another request id outside the
 * proxy. The body digest a reservation binds a request id to is kept as a keyed tag (HMAC) for the same reason.
 */
import { createHmac } from 'node:crypto';
import { open, seal } from '../../crypto/aead';
import { deriveSubkey } from '../../crypto/hkdf';

export class SealedRecords {
    private readonly sealKey: Buffer;
    private readonly tagKey: Buffer;

    /** `proxySeed`: the 32-byte seed of the proxy's Ed25519 key (kept inside the TEE). */
    constructor(proxySeed: Uint8Array) {
        this.sealKey = deriveSubkey(proxySeed, 'proxy/records');
        this.tagKey = deriveSubkey(proxySeed, 'proxy/digest-tags');
    }

    /** The stored form of a record (base64 of the sealed JSON), bound to its request id. */
    seal(requestId: string, json: string): string {
        return seal(this.sealKey, Buffer.from(json, 'utf8'), aad(requestId)).toString('base64');
    }

    /** The JSON of a stored record; throws SealedPayloadError when it was not sealed here for this request id. */
    open(requestId: string, stored: string): string {
        return open(this.sealKey, Buffer.from(stored, 'base64'), aad(requestId)).toString('utf8');
    }

    /** A keyed tag of a request's signed digest (hex): equal digests give equal tags, and nothing else can be read. */
    tag(digest: Uint8Array): string {
        return createHmac('sha256', this.tagKey).update(digest).digest('hex');
    }
}

function aad(requestId: string): Buffer {
    return Buffer.from(`chrysalis/proxy-record/v1:${requestId.toLowerCase()}`, 'utf8');
}
