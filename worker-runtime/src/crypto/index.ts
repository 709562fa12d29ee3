/**
 * Sealing primitives (node:crypto only). See docs/queue.md for the constructions and why they are built this way.
 */
export { seal, open, SEAL_OVERHEAD_BYTES } from './aead';
export { hkdfSha256, deriveSubkey } from './hkdf';
export type { X25519KeyPair } from './keys';
export {
    X25519_KEY_BYTES,
    SYMMETRIC_KEY_BYTES,
    generateX25519KeyPair,
    x25519KeyPairFromPrivate,
    x25519PrivateKeyObject,
    x25519PublicKeyObject,
    x25519PublicKeyToRaw,
    x25519PrivateKeyToRaw,
    generateSymmetricKey,
    parseKey,
} from './keys';
export { wrapKey, unwrapKey } from './wrap';
export { ed25519Sign, ed25519Signer, ed25519Verify } from './ed25519';
