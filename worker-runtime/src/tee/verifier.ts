/**
 * DCAP verification of a TDX quote: PCK chain to a pinned root, QE report signed by the PCK key, QE report binds
 * the attestation key, quote signed by the attestation key, and (with collateral) the TCB status. This says the
 * quote is genuine; whether its measurements and key are acceptable is policy.ts's decision.
 */
import { createHash, createPublicKey, KeyObject, verify as verifySignature, X509Certificate } from 'node:crypto';
import { decodeCertificates, INTEL_SGX_ROOT_CA, PckExtensions, readPckExtensions, verifyChain } from './certificates';
import { Collateral, evaluateTcb, TcbEvaluation, verifyCollateral } from './collateral';
import { fail } from './errors';
import { CERT_DATA_PCK_CHAIN, parseQuote, TdxQuote } from './quote';

/** QE vendor ID of Intel's quoting enclave (quote header). */
export const INTEL_QE_VENDOR_ID = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

export interface VerifyQuoteOptions {
    /** Pinned roots; default: Intel SGX Root CA. An empty list trusts nothing. */
    roots?: (string | X509Certificate)[];
    /** Verification time (certificates, CRLs, collateral); default now. */
    at?: Date;
    /** DER or PEM CRLs (Intel root CA CRL, PCK Platform/Processor CA CRL). */
    crls?: (Buffer | string)[];
    /** TCB info + QE identity; without them the TCB status stays unknown. */
    collateral?: Collateral;
}

export interface VerifiedQuote {
    quote: TdxQuote;
    pck: PckExtensions;
    /** The PCK chain as verified, leaf first, ending with the pinned root. */
    chain: X509Certificate[];
    /** Present when collateral was given. */
    tcb?: TcbEvaluation;
}

function attestationPublicKey(raw: Buffer): KeyObject {
    try {
        return createPublicKey({
            key: {
                kty: 'EC',
                crv: 'P-256',
                x: raw.subarray(0, 32).toString('base64url'),
                y: raw.subarray(32, 64).toString('base64url'),
            },
            format: 'jwk',
        });
    } catch {
        fail('signature', 'attestation key is not a point on P-256');
    }
}

function checkP1363(data: Buffer, key: KeyObject, signature: Buffer): boolean {
    return verifySignature('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

export function verifyQuote(input: Uint8Array | TdxQuote, options: VerifyQuoteOptions = {}): VerifiedQuote {
    const quote = input instanceof Uint8Array ? parseQuote(input) : input;
    const roots = options.roots ?? [INTEL_SGX_ROOT_CA];
    const at = options.at ?? new Date();

    if (!quote.header.qeVendorId.equals(INTEL_QE_VENDOR_ID)) {
        fail('unsupported', `QE vendor ${quote.header.qeVendorId.toString('hex')} is not Intel's quoting enclave`);
    }
    if (quote.certDataType !== CERT_DATA_PCK_CHAIN) {
        fail(
            'unsupported',
            `PCK certification data type ${quote.certDataType} unsupported (expected 5, PCK certificate chain)`,
        );
    }
    const chain = verifyChain(decodeCertificates(quote.certData), { roots, at, crls: options.crls });
    const pckKey = chain[0].publicKey;
    if (pckKey.asymmetricKeyType !== 'ec' || pckKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        fail('certificate', 'PCK certificate key is not ECDSA P-256');
    }
    if (!checkP1363(quote.qeReport.raw, pckKey, quote.qeReportSignature)) {
        fail('signature', 'QE report signature does not verify with the PCK certificate key');
    }
    // The QE vouches for the attestation key by putting SHA-256(key ‖ auth data) in its report, zero-padded.
    const expected = createHash('sha256').update(quote.attestationKey).update(quote.qeAuthData).digest();
    const reportData = quote.qeReport.reportData;
    if (!reportData.subarray(0, 32).equals(expected) || reportData.subarray(32).some((b) => b !== 0)) {
        fail(
            'signature',
            'QE report does not bind the attestation key (SHA-256(attestation key ‖ QE auth data) mismatch)',
        );
    }
    if (!checkP1363(quote.signedRegion, attestationPublicKey(quote.attestationKey), quote.signature)) {
        fail('signature', 'quote signature over header ‖ TD report does not verify with the attestation key');
    }
    const pck = readPckExtensions(chain[0]);

    let tcb: TcbEvaluation | undefined;
    if (options.collateral) {
        const { tcbInfo, qeIdentity } = verifyCollateral(options.collateral, { roots, at, crls: options.crls });
        tcb = evaluateTcb(quote, pck, tcbInfo, qeIdentity);
    }
    return { quote, pck, chain, tcb };
}
