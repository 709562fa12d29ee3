/**
 * What a quote commits to: the peer's Ed25519 key (through report_data) and the image it runs (through MRTD and
 * RTMR0–2). Both digests are fixed here so that the registry, the CLI and every verifier compute the same bytes.
 */
import { createHash } from 'node:crypto';
import { fail } from './errors';

export const REPORT_DATA_SIZE = 64;

/** report_data = SHA-512(Ed25519 public key (32 bytes) ‖ nonce (optional, any length)). 64 bytes, fills the field. */
export function bindingReportData(publicKey: Uint8Array, nonce?: Uint8Array): Buffer {
    if (publicKey.length !== 32) fail('binding', `Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
    const h = createHash('sha512').update(publicKey);
    if (nonce) h.update(nonce);
    return h.digest();
}

/** Domain tag of the RA-TLS binding: a quote over a TLS key can never pass as a fresh-nonce attestation, or back. */
export const RA_TLS_DOMAIN = 'chrysalis/ra-tls/v1';

/**
 * The `nonce` of a proxy's RA-TLS quote: "chrysalis/ra-tls/v1" ‖ 0x00 ‖ SHA-256(the TLS certificate's
 * SubjectPublicKeyInfo, DER). With {@link bindingReportData} the quote's report_data is then
 * SHA-512(proxy Ed25519 key ‖ that nonce): one quote commits to both the key the Proxy contract holds and the TLS key.
 */
export function raTlsNonce(spkiSha256: Uint8Array): Buffer {
    if (spkiSha256.length !== 32) fail('binding', `SPKI SHA-256 must be 32 bytes, got ${spkiSha256.length}`);
    return Buffer.concat([Buffer.from(RA_TLS_DOMAIN, 'ascii'), Buffer.from([0]), spkiSha256]);
}

export interface Measurements {
    mrTd: Buffer;
    rtmr0: Buffer;
    rtmr1: Buffer;
    rtmr2: Buffer;
}

/**
 * Image hash = SHA-256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2), 32 bytes — a uint256 in the registry. MRTD covers the TD's
 * initial memory (firmware), RTMR0 its configuration, RTMR1 the kernel, RTMR2 the kernel command line and initrd.
 * RTMR3 is left out: it is extended at run time by the guest itself.
 */
export function imageHash(m: Measurements): Buffer {
    for (const name of ['mrTd', 'rtmr0', 'rtmr1', 'rtmr2'] as const) {
        const v = m[name];
        if (v?.length !== 48) fail('malformed', `${name} must be 48 bytes, got ${v?.length ?? 0}`);
    }
    return createHash('sha256').update(m.mrTd).update(m.rtmr0).update(m.rtmr1).update(m.rtmr2).digest();
}

export function imageHashBigInt(m: Measurements): bigint {
    return BigInt('0x' + imageHash(m).toString('hex'));
}
