/**
 * Ed25519 for the whole runtime, through node:crypto (OpenSSL). @ton/crypto's sign/signVerify are tweetnacl in pure
 * JavaScript: ~3.6 ms per signature and ~8 ms per verification on a 2-core machine, against ~0.06 ms and ~0.12 ms
 * here, and every request signs and verifies several times. Ed25519 is deterministic, so the signatures are
 * byte-for-byte those tweetnacl makes (tests/runtime/ed25519.spec.ts): the contracts see no difference.
 *
 * Keys use @ton/crypto's forms: 32-byte public keys, 64-byte secret keys (seed ‖ public key, as keyPairFromSeed
 * gives). Importing a key into OpenSSL costs about as much as a signature, so KeyObjects are cached.
 */
import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Bounds on the caches: a proxy verifies many client keys; a process signs with a handful. */
const MAX_PUBLIC_KEYS = 10_000;
const MAX_SECRET_KEYS = 64;

const publicKeys = new Map<string, KeyObject>();
/** Keyed by SHA-256 of the secret key, so no secret sits in a map key. */
const secretKeys = new Map<string, KeyObject>();

function checkSecretKey(secretKey: Uint8Array): void {
    if (secretKey.length !== 64) {
        throw new RangeError(`Ed25519 secret key must be 64 bytes (seed ‖ public key), got ${secretKey.length}`);
    }
}

function privateKeyObject(secretKey: Uint8Array): KeyObject {
    checkSecretKey(secretKey);
    const id = createHash('sha256').update(secretKey).digest('base64');
    let key = secretKeys.get(id);
    if (!key) {
        key = createPrivateKey({
            key: Buffer.concat([PKCS8_PREFIX, secretKey.subarray(0, 32)]),
            format: 'der',
            type: 'pkcs8',
        });
        if (secretKeys.size >= MAX_SECRET_KEYS) secretKeys.clear();
        secretKeys.set(id, key);
    }
    return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
    let key = publicKeys.get(id);
    if (!key) {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
        if (publicKeys.size >= MAX_PUBLIC_KEYS) publicKeys.clear();
        publicKeys.set(id, key);
    }
    return key;
}

/** A signer bound to one secret key (the key is imported once): the hot-path form. */
export function ed25519Signer(secretKey: Uint8Array): (message: Uint8Array) => Buffer {
    const key = privateKeyObject(secretKey);
    return (message) => sign(null, message, key);
}

/** The 64-byte signature of `message`; a drop-in for @ton/crypto's `sign(message, secretKey)`. */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Buffer {
    return sign(null, message, privateKeyObject(secretKey));
}

/** A drop-in for @ton/crypto's `signVerify`; false (never a throw) for malformed keys or signatures. */
export function ed25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
        return verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
        return false;
    }
}
