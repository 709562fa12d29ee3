/**
 * The proxy's TLS key: ECDSA P-256, derived from the proxy's Ed25519 seed (which never leaves the TEE). Derived rather
 * than drawn at random so that a restarted proxy presents the same key and the clients' pins keep holding; the TLS key
 * and the voucher-signing key stay separate keys all the same (HKDF with its own label).
 */
import { createECDH, createPrivateKey, createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import { hkdfSha256 } from '../crypto/hkdf';
import { assertLength } from '../crypto/keys';

/** The order of the P-256 group: a private scalar must lie in [1, n − 1]. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const LABEL = 'chrysalis/ra-tls/p256/v1';

export interface TlsKey {
    privateKey: KeyObject;
    publicKey: KeyObject;
    /** The private key as a JWK (what WebCrypto imports to sign the certificate). */
    jwk: JsonWebKey;
}

/** The TLS key of the proxy whose Ed25519 seed is `seed` (32 bytes: the first half of a TON secret key). */
export function deriveTlsKey(seed: Uint8Array): TlsKey {
    assertLength(seed, 32, 'proxy seed');
    // Rejection sampling: a scalar outside [1, n − 1] (probability ~2^-32) takes the next counter.
    for (let counter = 0; ; counter++) {
        const d = hkdfSha256(seed, Buffer.alloc(0), `${LABEL}/${counter}`, 32);
        const scalar = BigInt('0x' + d.toString('hex'));
        if (scalar === 0n || scalar >= P256_ORDER) continue;
        return tlsKeyFromScalar(d);
    }
}

/** A TLS key from a raw P-256 private scalar (32 bytes). */
export function tlsKeyFromScalar(d: Buffer): TlsKey {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey(); // 0x04 ‖ x ‖ y
    const jwk: JsonWebKey = {
        kty: 'EC',
        crv: 'P-256',
        d: d.toString('base64url'),
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33, 65).toString('base64url'),
    };
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    return { privateKey, publicKey: createPublicKey(privateKey), jwk };
}
