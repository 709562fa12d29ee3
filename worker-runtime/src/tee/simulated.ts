/**
 * Simulated attestation for development and tests on machines without TDX. The document has the TD report layout
 * of a real quote (so measurements, report_data and the image hash work the same way) but is signed by a software
 * Ed25519 key and starts with an unmistakable magic. It proves nothing about the machine: policy.ts accepts it only
 * when the registry marks its network as a test network, and logs a warning every time.
 *
 * Layout: magic (32 bytes) ‖ TD report body (584 bytes) ‖ signer Ed25519 public key (32) ‖ signature (64) over
 * magic ‖ body.
 */
import { createHash, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { Measurements } from './binding';
import { fail } from './errors';
import { parseTdReportBody, TD_REPORT_BODY_SIZE, TdReport } from './quote';

export const SIMULATED_MAGIC = Buffer.from('CHRYSALIS-SIMULATED-TDX-QUOTE-V1', 'ascii');
const SIMULATED_SIZE = SIMULATED_MAGIC.length + TD_REPORT_BODY_SIZE + 32 + 64;

// Offsets inside the TD report body (see quote.ts).
const OFFSET = { tdAttributes: 120, mrTd: 136, rtmr0: 328, rtmr1: 376, rtmr2: 424, rtmr3: 472, reportData: 520 };

/** Default measurements of a simulated TD: fixed, recognisable digests, so a test registry can allow-list them. */
export const SIMULATED_MEASUREMENTS: Measurements = {
    mrTd: createHash('sha384').update('chrysalis-simulated:mrtd').digest(),
    rtmr0: createHash('sha384').update('chrysalis-simulated:rtmr0').digest(),
    rtmr1: createHash('sha384').update('chrysalis-simulated:rtmr1').digest(),
    rtmr2: createHash('sha384').update('chrysalis-simulated:rtmr2').digest(),
};

export interface SimulatedQuoteOptions {
    signingKey: KeyObject;
    measurements?: Partial<Measurements>;
    debug?: boolean;
}

export function generateSimulatedSigningKey(): KeyObject {
    return generateKeyPairSync('ed25519').privateKey;
}

function rawEd25519(key: KeyObject): Buffer {
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') fail('provider', 'simulated signing key must be Ed25519');
    return Buffer.from(jwk.x, 'base64url');
}

export function createSimulatedQuote(reportData: Uint8Array, options: SimulatedQuoteOptions): Buffer {
    if (reportData.length !== 64) fail('provider', `report data must be 64 bytes, got ${reportData.length}`);
    const m = { ...SIMULATED_MEASUREMENTS, ...options.measurements };
    const body = Buffer.alloc(TD_REPORT_BODY_SIZE);
    if (options.debug) body[OFFSET.tdAttributes] = 0x01;
    for (const key of ['mrTd', 'rtmr0', 'rtmr1', 'rtmr2'] as const) {
        if (m[key].length !== 48) fail('provider', `${key} must be 48 bytes`);
        m[key].copy(body, OFFSET[key]);
    }
    Buffer.from(reportData).copy(body, OFFSET.reportData);
    const signed = Buffer.concat([SIMULATED_MAGIC, body]);
    return Buffer.concat([signed, rawEd25519(options.signingKey), sign(null, signed, options.signingKey)]);
}

export function isSimulatedQuote(bytes: Uint8Array): boolean {
    return (
        bytes.length >= SIMULATED_MAGIC.length &&
        Buffer.from(bytes.subarray(0, SIMULATED_MAGIC.length)).equals(SIMULATED_MAGIC)
    );
}

export interface VerifiedSimulatedQuote {
    body: TdReport;
    signerKey: Buffer;
}

/** Checks the layout and the software signature (which only shows the document was not altered in transit). */
export function verifySimulatedQuote(bytes: Uint8Array): VerifiedSimulatedQuote {
    const buf = Buffer.from(bytes);
    if (!isSimulatedQuote(buf)) fail('malformed', 'not a simulated quote (magic missing)');
    if (buf.length !== SIMULATED_SIZE)
        fail('malformed', `simulated quote must be ${SIMULATED_SIZE} bytes, got ${buf.length}`);
    const signedEnd = SIMULATED_MAGIC.length + TD_REPORT_BODY_SIZE;
    const signerKey = buf.subarray(signedEnd, signedEnd + 32);
    const key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: signerKey.toString('base64url') },
        format: 'jwk',
    });
    if (!verify(null, buf.subarray(0, signedEnd), key, buf.subarray(signedEnd + 32))) {
        fail('signature', 'simulated quote signature does not verify');
    }
    return { body: parseTdReportBody(buf.subarray(SIMULATED_MAGIC.length, signedEnd)), signerKey };
}
