/**
 * The proxy's RA-TLS certificate: self-signed X.509 (@peculiar/asn1-x509 structures) over the proxy's TLS key, carrying the
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
import { createHash, sign, X509Certificate as NodeX509 } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { AttestationDocument, AttestationKind, QuoteProvider, bindingReportData, raTlsNonce } from '../tee';
import { RaTlsError } from './errors';
import { TlsKey } from './tlsKey';

/** OID of the attestation extension: 2.25 + the UUID 6810a46a-769c-4f6d-bcef-7f4d267f2c7b as an integer. */
export const RA_TLS_OID = '2.25.138326123061436232088061825640283712635';
const EVIDENCE_VERSION = 1;
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
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

/** SHA-256 of a key's SubjectPublicKeyInfo (DER). */
export function spkiSha256(key: TlsKey['publicKey']): Buffer {
    return createHash('sha256')
        .update(key.export({ format: 'der', type: 'spki' }))
        .digest();
}

/** Quotes the TLS key (bound to `proxyKey`) and issues the self-signed certificate that carries the quote. */
export async function createRaTlsCertificate(args: {
    tlsKey: TlsKey;
    proxyKey: Uint8Array;
    provider: QuoteProvider;
}): Promise<RaTlsCertificate> {
    const spki = spkiSha256(args.tlsKey.publicKey);
    const quote = await args.provider.getQuote(bindingReportData(args.proxyKey, raTlsNonce(spki)));
    const document: AttestationDocument = { kind: args.provider.kind, quote: quote.toString('base64') };
    const proxyKey = Buffer.from(args.proxyKey);
    return {
        certPem: selfSignedCertificate(args.tlsKey, `chrysalis-proxy-${proxyKey.toString('hex').slice(0, 16)}`, [
            { oid: RA_TLS_OID, value: encodeEvidence({ proxyKey, document }) },
        ]),
        keyPem: args.tlsKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        spkiSha256: spki,
        document,
    };
}

/**
 * A self-signed X.509 v3 certificate (ECDSA P-256 with SHA-256) over `key`, built from @peculiar/asn1-x509's
 * structures. (@peculiar/x509's generator re-reads extension OIDs through a converter that truncates a 2.25 arc wider
 * than 53 bits to "2.25", so it cannot carry {@link RA_TLS_OID}; asn1js encodes the arc exactly.)
 */
export function selfSignedCertificate(
    key: TlsKey,
    commonName: string,
    extensions: { oid: string; value: ArrayBuffer | Buffer }[],
): string {
    const spkiDer = key.publicKey.export({ format: 'der', type: 'spki' });
    const name = new x509.Name([
        new x509.RelativeDistinguishedName([
            new x509.AttributeTypeAndValue({
                type: COMMON_NAME,
                value: new x509.AttributeValue({ utf8String: commonName }),
            }),
        ]),
    ]);
    const now = Date.now();
    const algorithm = new x509.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
    // A serial from the key's hash (unique per key, stable across restarts); first byte 0x40–0x7f: a positive INTEGER
    // whose DER is minimal (no leading zero byte, which OpenSSL refuses as illegal padding).
    const serial = createHash('sha256').update(spkiDer).digest().subarray(0, 16);
    serial[0] = (serial[0] & 0x3f) | 0x40;
    const tbs = new x509.TBSCertificate({
        version: x509.Version.v3,
        serialNumber: new Uint8Array(serial).buffer,
        signature: algorithm,
        issuer: name,
        subject: name,
        validity: new x509.Validity({ notBefore: new Date(now - 3600_000), notAfter: new Date(now + VALIDITY_MS) }),
        // A copy: a small Buffer is a view into Node's shared pool, and the parser must see these bytes only.
        subjectPublicKeyInfo: AsnConvert.parse(new Uint8Array(spkiDer).buffer, x509.SubjectPublicKeyInfo),
        extensions: new x509.Extensions(
            extensions.map(
                (e) =>
                    new x509.Extension({
                        extnID: e.oid,
                        critical: false,
                        extnValue: new OctetString(new Uint8Array(e.value)),
                    }),
            ),
        ),
    });
    const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
    const signature = sign('sha256', tbsDer, { key: key.privateKey, dsaEncoding: 'der' });
    const cert = new x509.Certificate({
        tbsCertificate: tbs,
        signatureAlgorithm: algorithm,
        signatureValue: new Uint8Array(signature).buffer,
    });
    const der = Buffer.from(AsnConvert.serialize(cert));
    return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The key hash and the evidence of a certificate as the TLS handshake presented it (`getPeerX509Certificate()`, the
 * object OpenSSL verified the handshake's signature with); evidence null when it has none.
 *
 * The key is taken from that object, never by parsing the bytes again with `new X509Certificate(buffer)`: Node reads a
 * buffer as PEM first, and a DER certificate whose extension holds PEM text (a TDX quote carries its PCK chain as
 * PEM) would parse as the embedded certificate — another key than the one the handshake proved. The DER's own
 * SubjectPublicKeyInfo (asn1js) must equal it too, so the extension is read from the very certificate that was used.
 */
export function readRaTlsCertificate(cert: NodeX509): { spkiSha256: Buffer; evidence: RaTlsEvidence | null } {
    const spki = cert.publicKey.export({ format: 'der', type: 'spki' });
    const der = cert.raw;
    const { spkiDer, extensions } = walkCertificate(der);
    if (!spkiDer.equals(spki)) {
        throw new RaTlsError('malformed', "the certificate's DER holds another key than the one presented");
    }
    const value = extensions.get(RA_TLS_OID_DER.toString('hex'));
    return { spkiSha256: createHash('sha256').update(spki).digest(), evidence: value ? decodeEvidence(value) : null };
}

/** The value (the extnValue's contents) of a certificate's extension, by OID; null when it has none. */
export function extensionValue(der: Uint8Array, oid: string): Buffer | null {
    const wanted = Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER(false)).toString('hex');
    return walkCertificate(der).extensions.get(wanted) ?? null;
}

const RA_TLS_OID_DER = Buffer.from(new asn1js.ObjectIdentifier({ value: RA_TLS_OID }).toBER(false));

/**
 * The SubjectPublicKeyInfo (its DER as encoded) and the extensions (OID DER hex → value) of a DER certificate,
 * walked with asn1js (Certificate → tbsCertificate → subjectPublicKeyInfo, [3] extensions). Extensions are matched
 * by their OID's bytes because the schema converters read a 128-bit arc back wrongly.
 */
function walkCertificate(der: Uint8Array): { spkiDer: Buffer; extensions: Map<string, Buffer> } {
    const bad = (why: string): never => {
        throw new RaTlsError('malformed', `the certificate is not DER: ${why}`);
    };
    const parsed = asn1js.fromBER(new Uint8Array(der));
    if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) bad('no Certificate SEQUENCE');
    const tbs = (parsed.result as asn1js.Sequence).valueBlock.value[0];
    if (!(tbs instanceof asn1js.Sequence)) return bad('no tbsCertificate');
    const fields = tbs.valueBlock.value;
    // version [0] EXPLICIT (present in v3), serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    const first = fields[0]?.idBlock.tagClass === 3 && fields[0]?.idBlock.tagNumber === 0 ? 1 : 0;
    const spki = fields[first + 5];
    if (!(spki instanceof asn1js.Sequence)) bad('no subjectPublicKeyInfo');
    const extensions = new Map<string, Buffer>();
    const tagged = fields.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 3);
    const list = (tagged as asn1js.Constructed | undefined)?.valueBlock.value[0];
    if (list instanceof asn1js.Sequence) {
        for (const ext of list.valueBlock.value) {
            if (!(ext instanceof asn1js.Sequence)) bad('an extension is not a SEQUENCE');
            const parts = (ext as asn1js.Sequence).valueBlock.value;
            const id = parts[0];
            const value = parts[parts.length - 1];
            if (!(id instanceof asn1js.ObjectIdentifier) || !(value instanceof asn1js.OctetString)) {
                bad('an extension has no OID or no value');
            }
            const key = Buffer.from((id as asn1js.ObjectIdentifier).toBER(false)).toString('hex');
            if (extensions.has(key)) bad('an extension appears twice');
            extensions.set(key, Buffer.from((value as asn1js.OctetString).valueBlock.valueHexView));
        }
    }
    return { spkiDer: Buffer.from((spki as asn1js.Sequence).toBER(false)), extensions };
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
