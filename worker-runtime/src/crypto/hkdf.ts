import { hkdfSync } from 'node:crypto';

/** HKDF-SHA256 (RFC 5869) returning a Buffer; `info` strings are the domain separators of each use. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string, length: number): Buffer {
    const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info;
    return Buffer.from(hkdfSync('sha256', ikm, salt, infoBytes, length));
}

/**
 * Derives an independent sub-key from a master key for a named purpose, so one stored secret can serve several
 * uses without two of them ever sharing an AES key.
 */
export function deriveSubkey(masterKey: Uint8Array, purpose: string, length = 32): Buffer {
    return hkdfSha256(masterKey, Buffer.alloc(0), `chrysalis/subkey/v1/${purpose}`, length);
}
