import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { SealedPayloadError } from '../errors';
import { assertLength, SYMMETRIC_KEY_BYTES } from './keys';

/**
 * AES-256-GCM sealing with a self-describing envelope:
 *
 *   sealed = version (1 byte, 0x01) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)
 *
 * The version byte and the nonce are authenticated too (they are prepended to the caller's AAD), so flipping any
 * byte of the envelope makes `open` fail. Random 96-bit nonces are safe for up to ~2^32 messages per key (NIST
 * SP 800-38D); a queue key is rotated long before that.
 */
const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const SEAL_OVERHEAD_BYTES = 1 + NONCE_BYTES + TAG_BYTES;

/**
 * Nonces are cut from a pool of CSPRNG bytes, each byte used once: the same random nonces as one `randomBytes(12)`
 * per seal, without a call into OpenSSL's generator for every chunk of a token stream (≈ 2 % of the event loop's
 * time at 4 streams, docs/inference.md, fourth round).
 */
const POOL_BYTES = 4096 - (4096 % NONCE_BYTES);
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function nextNonce(into: Buffer, at: number): void {
    if (poolOffset + NONCE_BYTES > POOL_BYTES) {
        randomFillSync(pool);
        poolOffset = 0;
    }
    pool.copy(into, at, poolOffset, poolOffset + NONCE_BYTES);
    // Wiped once handed out: a used nonce does not linger in the pool.
    pool.fill(0, poolOffset, poolOffset + NONCE_BYTES);
    poolOffset += NONCE_BYTES;
}

/** version ‖ nonce ‖ caller's AAD: what GCM authenticates besides the ciphertext. */
function fullAad(header: Uint8Array, aad: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(header.length + aad.length);
    out.set(header, 0);
    out.set(aad, header.length);
    return out;
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = Buffer.alloc(0)): Buffer {
    assertLength(key, SYMMETRIC_KEY_BYTES, 'AES-256-GCM key');
    const header = Buffer.allocUnsafe(1 + NONCE_BYTES);
    header[0] = VERSION;
    nextNonce(header, 1);
    const cipher = createCipheriv('aes-256-gcm', key, header.subarray(1), { authTagLength: TAG_BYTES });
    cipher.setAAD(fullAad(header, aad));
    const body = cipher.update(plaintext);
    const rest = cipher.final(); // empty for GCM, kept for form
    const out = Buffer.allocUnsafe(header.length + body.length + rest.length + TAG_BYTES);
    header.copy(out, 0);
    body.copy(out, header.length);
    rest.copy(out, header.length + body.length);
    cipher.getAuthTag().copy(out, header.length + body.length + rest.length);
    return out;
}

/** Opens what `seal` produced; throws `SealedPayloadError` for a wrong key, tampering or different AAD. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = Buffer.alloc(0)): Buffer {
    assertLength(key, SYMMETRIC_KEY_BYTES, 'AES-256-GCM key');
    const box = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (box.length < SEAL_OVERHEAD_BYTES) {
        throw new SealedPayloadError(`sealed payload too short (${box.length} bytes)`);
    }
    if (box[0] !== VERSION) {
        throw new SealedPayloadError(`unknown sealed payload version ${box[0]}`);
    }
    const header = box.subarray(0, 1 + NONCE_BYTES);
    const body = box.subarray(1 + NONCE_BYTES, box.length - TAG_BYTES);
    const tag = box.subarray(box.length - TAG_BYTES);
    try {
        const decipher = createDecipheriv('aes-256-gcm', key, header.subarray(1), { authTagLength: TAG_BYTES });
        decipher.setAAD(fullAad(header, aad));
        decipher.setAuthTag(tag);
        const clear = decipher.update(body);
        const rest = decipher.final();
        return rest.length === 0 ? clear : Buffer.concat([clear, rest]);
    } catch {
        // GCM reports every failure the same way on purpose: say nothing about which part was wrong.
        throw new SealedPayloadError('sealed payload failed authentication (wrong key, tampered data or wrong AAD)');
    }
}
