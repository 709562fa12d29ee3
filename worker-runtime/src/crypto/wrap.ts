import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { SealedPayloadError } from '../errors';
import { open, seal } from './aead';
import { hkdfSha256 } from './hkdf';
import {
    assertLength,
    SYMMETRIC_KEY_BYTES,
    X25519_KEY_BYTES,
    x25519PrivateKeyObject,
    x25519PublicKeyObject,
    x25519PublicKeyToRaw,
} from './keys';

/**
 * Wrapping a symmetric key (e.g. a queue key) to a peer's X25519 public key — ECIES-style, ephemeral-static:
 *
 *   (e, E)   = fresh X25519 key pair for this wrap
 *   Z        = X25519(e, P)                         (P = the recipient's public key; reject the all-zero Z)
 *   kek      = HKDF-SHA256(ikm = Z, salt = E ‖ P, info = "chrysalis/key-wrap/v1" ‖ 0x00 ‖ context, 32)
 *   wrapped  = 0x01 ‖ E ‖ AES-256-GCM-seal(kek, key, aad = E ‖ P ‖ context)
 *
 * Binding both public keys into the salt and the AAD ties the wrap to this exact recipient, and `context` (the
 * queue name) ties it to one purpose: a key wrapped for queue A never unwraps as the key of queue B. The ephemeral
 * key gives each wrap a fresh KEK, so no nonce is ever reused under one KEK. Only the holder of P's private key
 * (an attested worker's TEE) can compute Z.
 */
const WRAP_VERSION = 0x01;
const WRAP_INFO = 'chrysalis/key-wrap/v1';

export function wrapKey(key: Uint8Array, recipientPublicKey: Uint8Array, context: string): Buffer {
    assertLength(key, SYMMETRIC_KEY_BYTES, 'key to wrap');
    const recipient = x25519PublicKeyObject(recipientPublicKey);
    const ephemeral = generateKeyPairSync('x25519');
    const ephemeralPublic = x25519PublicKeyToRaw(ephemeral.publicKey);
    const shared = agree(() => diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }));
    const kek = deriveKek(shared, ephemeralPublic, recipientPublicKey, context);
    const aad = wrapAad(ephemeralPublic, recipientPublicKey, context);
    return Buffer.concat([Buffer.from([WRAP_VERSION]), ephemeralPublic, seal(kek, key, aad)]);
}

export function unwrapKey(wrapped: Uint8Array, recipientPrivateKey: Uint8Array, context: string): Buffer {
    const box = Buffer.from(wrapped);
    if (box.length < 1 + X25519_KEY_BYTES || box[0] !== WRAP_VERSION) {
        throw new SealedPayloadError('wrapped key is malformed or of an unknown version');
    }
    const ephemeralPublic = box.subarray(1, 1 + X25519_KEY_BYTES);
    const privateKey = x25519PrivateKeyObject(recipientPrivateKey);
    // The recipient's own public key is recomputed from its private key, never taken from the wire.
    const recipientPublic = x25519PublicKeyToRaw(createPublicKey(privateKey));
    const shared = agree(() => diffieHellman({ privateKey, publicKey: x25519PublicKeyObject(ephemeralPublic) }));
    const kek = deriveKek(shared, ephemeralPublic, recipientPublic, context);
    const key = open(kek, box.subarray(1 + X25519_KEY_BYTES), wrapAad(ephemeralPublic, recipientPublic, context));
    assertLength(key, SYMMETRIC_KEY_BYTES, 'unwrapped key');
    return key;
}

function agree(compute: () => Buffer): Buffer {
    let shared: Buffer;
    try {
        shared = compute();
    } catch (err) {
        // OpenSSL refuses low-order points itself; report it as a bad payload rather than a crash.
        throw new SealedPayloadError(`X25519 key agreement failed: ${(err as Error).message}`);
    }
    if (shared.every((b) => b === 0)) {
        throw new SealedPayloadError('X25519 key agreement produced the all-zero secret (low-order public key)');
    }
    return shared;
}

function deriveKek(shared: Buffer, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array, context: string): Buffer {
    const info = Buffer.concat([Buffer.from(WRAP_INFO), Buffer.from([0]), Buffer.from(context, 'utf8')]);
    return hkdfSha256(shared, Buffer.concat([ephemeralPublic, recipientPublic]), info, SYMMETRIC_KEY_BYTES);
}

function wrapAad(ephemeralPublic: Uint8Array, recipientPublic: Uint8Array, context: string): Buffer {
    return Buffer.concat([ephemeralPublic, recipientPublic, Buffer.from(context, 'utf8')]);
}
