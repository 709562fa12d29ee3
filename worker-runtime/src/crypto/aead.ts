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
 * Nonces are drawn from the CSPRNG in blocks: a streamed token costs a seal, and one randomFillSync call per seal
 * cost as much as the rest of sealing a small chunk (the call, not the bytes). Each nonce is still 96 fresh random
 * bits, used once; a thread has its own block.
 */
const nonceBlock = Buffer.alloc(NONCE_BYTES * 256);
let nonceAt = nonceBlock.length;

function writeNonce(into: Buffer, offset: number): void {
    if (nonceAt === nonceBlock.length) {
        randomFillSync(nonceBlock);
        nonceAt = 0;
    }
    nonceBlock.copy(into, offset, nonceAt, nonceAt + NONCE_BYTES);
    nonceAt += NONCE_BYTES;
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = Buffer.alloc(0)): Buffer {
    assertLength(key, SYMMETRIC_KEY_BYTES, 'AES-256-GCM key');
    const header = Buffer.alloc(1 + NONCE_BYTES);
    header[0] = VERSION;
    writeNonce(header, 1);
    const cipher = createCipheriv('aes-256-gcm', key, header.subarray(1), { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([header, aad]));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
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
        decipher.setAAD(Buffer.concat([header, aad]));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
        // GCM reports every failure the same way on purpose: say nothing about which part was wrong.
        throw new SealedPayloadError('sealed payload failed authentication (wrong key, tampered data or wrong AAD)');
    }
}
