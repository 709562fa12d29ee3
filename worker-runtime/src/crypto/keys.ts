import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors';

/** Raw X25519 keys are 32 bytes; the queue's symmetric keys (AES-256) are 32 bytes too. */
export const X25519_KEY_BYTES = 32;
export const SYMMETRIC_KEY_BYTES = 32;

/** DER headers that turn a raw 32-byte X25519 key into PKCS#8 / SPKI, the formats node:crypto imports. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export interface X25519KeyPair {
    /** Raw 32-byte public key (what a worker publishes and binds into its attestation report). */
    publicKey: Buffer;
    /** Raw 32-byte private key; never leaves the TEE. */
    privateKey: Buffer;
}

export function generateX25519KeyPair(): X25519KeyPair {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    return { publicKey: x25519PublicKeyToRaw(publicKey), privateKey: x25519PrivateKeyToRaw(privateKey) };
}

/** Rebuilds a key pair from a stored 32-byte private key. */
export function x25519KeyPairFromPrivate(privateKey: Uint8Array): X25519KeyPair {
    const priv = x25519PrivateKeyObject(privateKey);
    return { publicKey: x25519PublicKeyToRaw(createPublicKey(priv)), privateKey: Buffer.from(privateKey) };
}

export function x25519PrivateKeyObject(raw: Uint8Array): KeyObject {
    assertLength(raw, X25519_KEY_BYTES, 'X25519 private key');
    return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function x25519PublicKeyObject(raw: Uint8Array): KeyObject {
    assertLength(raw, X25519_KEY_BYTES, 'X25519 public key');
    return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function x25519PublicKeyToRaw(key: KeyObject): Buffer {
    return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519_PREFIX.length);
}

export function x25519PrivateKeyToRaw(key: KeyObject): Buffer {
    return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_X25519_PREFIX.length);
}

/** A fresh random AES-256 key, e.g. one queue key per model queue. */
export function generateSymmetricKey(): Buffer {
    return randomBytes(SYMMETRIC_KEY_BYTES);
}

/** Parses a key given as hex or base64 (config files, environment variables) and checks its length. */
export function parseKey(text: string, bytes: number, what: string): Buffer {
    const trimmed = text.trim();
    const key = /^[0-9a-fA-F]+$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    assertLength(key, bytes, what);
    return key;
}

export function assertLength(value: Uint8Array, bytes: number, what: string): void {
    if (!(value instanceof Uint8Array) || value.length !== bytes) {
        const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
        throw new InvalidInputError(`${what} must be ${bytes} bytes, got ${got}`);
    }
}
