/**
 * The proxy's RA-TLS certificate: self-signed X.509 (made with @peculiar/x509) over the proxy's TLS key, carrying the
 * proxy's attestation in one non-critical extension, so a client checks the key its TLS handshake proved against a
 * TEE quote before it sends a byte.
 *
 * Extension `RA_TLS_OID` (a UUID OID, 2.25.x, ITU-T X.667: ours without registration), value (DER, via asn1js):
 *
 *   ChrysalisRaTls ::= SEQUENCE {
 *       version   INTEGER (1),
 *       proxyKey  OCTET STRING (SIZE (32)),  -- the Ed25519 key the Proxy contract holds
 *       kind      UTF8String,                -- "tdx" | "simulated" (tee/provider.ts)
 *       quote     OCTET STRING }             -- the quote bytes
 *
 * The quote's report_data = SHA-512(proxyKey ‖ "chrysalis/ra-tls/v1" ‖ 0x00 ‖ SHA-256(SubjectPublicKeyInfo DER)) —
 * `bindingReportData(proxyKey, raTlsNonce(spkiSha256))` (tee/binding.ts).
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs it loaded first
import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as x509 from '@peculiar/x509';
import { AttestationDocument, AttestationKind, QuoteProvider, bindingReportData, raTlsNonce } from '../tee';
import { RaTlsError } from './errors';
import { TlsKey } from './tlsKey';

/** OID of the attestation extension: 2.25 + the UUID 6810a46a-769c-4f6d-bcef-7f4d267f2c7b as an integer. */
export const RA_TLS_OID = '2.25.138326123061436232088061825640283712635';
const EVIDENCE_VERSION = 1;
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** The certificate's own validity says nothing here (the quote and the pin do): wide enough never to get in the way. */
const VALIDITY_MS = 10 * 365 * 86400 * 1000;

export interface RaTlsEvidence {
    /** The Ed25519 key the Proxy contract holds (32 bytes). */
    proxyKey: Buffer;
    document: AttestationDocument;
}

export interface RaTlsCertificate {
    /** PEM of the certificate and of its private key, as `https.createServer` takes them. */
    certPem: string;
    keyPem: string;
    /** SHA-256 of the certificate's SubjectPublicKeyInfo (DER): what a client pins. */
    spkiSha256: Buffer;
    document: AttestationDocument;
}

export function spkiSha256(spkiDer: Uint8Array | ArrayBuffer): Buffer {
    return createHash('sha256')
        .update(Buffer.from(spkiDer as ArrayBuffer))
        .digest();
}

/** Quotes the TLS key (bound to `proxyKey`) and issues the self-signed certificate that carries the quote. */
export async function createRaTlsCertificate(args: {
    tlsKey: TlsKey;
    proxyKey: Uint8Array;
    provider: QuoteProvider;
}): Promise<RaTlsCertificate> {
    const { jwk } = args.tlsKey;
    const subtle = webcrypto.subtle;
    const keys = {
        privateKey: await subtle.importKey('jwk', jwk, ECDSA_P256, true, ['sign']),
        publicKey: await subtle.importKey('jwk', { ...jwk, d: undefined }, ECDSA_P256, true, ['verify']),
    };
    const spki = spkiSha256(await subtle.exportKey('spki', keys.publicKey));
    const quote = await args.provider.getQuote(bindingReportData(args.proxyKey, raTlsNonce(spki)));
    const document: AttestationDocument = { kind: args.provider.kind, quote: quote.toString('base64') };
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
        {
            serialNumber: spki.subarray(0, 16).toString('hex').replace(/^[89a-f]/, '0'),
            name: `CN=chrysalis-proxy-${Buffer.from(args.proxyKey).toString('hex').slice(0, 16)}`,
            notBefore: new Date(now - 3600_000),
            notAfter: new Date(now + VALIDITY_MS),
            keys,
            signingAlgorithm: ECDSA_P256,
            extensions: [
                new x509.Extension(RA_TLS_OID, false, encodeEvidence({ proxyKey: Buffer.from(args.proxyKey), document })),
            ],
        },
        webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
    );
    return {
        certPem: cert.toString('pem'),
        keyPem: args.tlsKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        spkiSha256: spki,
        document,
    };
}

/** The key hash and the evidence of a certificate as a peer presented it (DER); evidence null when it has none. */
export function readRaTlsCertificate(der: Uint8Array): { spkiSha256: Buffer; evidence: RaTlsEvidence | null } {
    let cert: x509.X509Certificate;
    try {
        cert = new x509.X509Certificate(der);
    } catch (err) {
        throw new RaTlsError('malformed', `the certificate does not parse: ${(err as Error).message}`);
    }
    const spki = spkiSha256(cert.publicKey.rawData);
    const ext = cert.getExtension(RA_TLS_OID);
    return { spkiSha256: spki, evidence: ext ? decodeEvidence(Buffer.from(ext.value)) : null };
}

function encodeEvidence(e: RaTlsEvidence): ArrayBuffer {
    return new asn1js.Sequence({
        value: [
            new asn1js.Integer({ value: EVIDENCE_VERSION }),
            new asn1js.OctetString({ valueHex: e.proxyKey }),
            new asn1js.Utf8String({ value: e.document.kind }),
            new asn1js.OctetString({ valueHex: Buffer.from(e.document.quote, 'base64') }),
        ],
    }).toBER(false);
}

function decodeEvidence(der: Buffer): RaTlsEvidence {
    const parsed = asn1js.fromBER(der);
    const seq = parsed.result;
    const bad = (why: string): never => {
        throw new RaTlsError('malformed', `the attestation extension is malformed: ${why}`);
    };
    if (parsed.offset === -1 || !(seq instanceof asn1js.Sequence)) bad('not a DER SEQUENCE');
    const [version, proxyKey, kind, quote] = (seq as asn1js.Sequence).valueBlock.value;
    if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== EVIDENCE_VERSION) bad('version');
    if (!(proxyKey instanceof asn1js.OctetString) || proxyKey.valueBlock.valueHexView.length !== 32) bad('proxyKey');
    if (!(kind instanceof asn1js.Utf8String)) bad('kind');
    if (!(quote instanceof asn1js.OctetString)) bad('quote');
    const kindValue = (kind as asn1js.Utf8String).valueBlock.value;
    if (kindValue !== 'tdx' && kindValue !== 'simulated') bad(`unknown kind "${kindValue}"`);
    return {
        proxyKey: Buffer.from((proxyKey as asn1js.OctetString).valueBlock.valueHexView),
        document: {
            kind: kindValue as AttestationKind,
            quote: Buffer.from((quote as asn1js.OctetString).valueBlock.valueHexView).toString('base64'),
        },
    };
}
