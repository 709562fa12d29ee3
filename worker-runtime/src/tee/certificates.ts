/**
 * PCK certificate chains: decoding the certification data of a quote, verifying the chain up to a pinned root
 * (at an explicit time, with optional CRLs) and reading the Intel SGX extensions of the PCK leaf certificate.
 *
 * Signatures and chain links use node:crypto's X509Certificate; the SGX extensions and CRLs are read with
 * @peculiar/asn1-x509 / asn1-schema instead of hand-parsing DER.
 */
import { X509Certificate, createPublicKey, verify as verifySignature } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
    AsnArray,
    AsnParser,
    AsnProp,
    AsnPropTypes,
    AsnSerializer,
    AsnType,
    AsnTypeTypes,
} from '@peculiar/asn1-schema';
import { Certificate, CertificateList } from '@peculiar/asn1-x509';
import { AttestationError, fail } from './errors';

/** Intel SGX extensions OID and the sub-OIDs we read (Intel SGX PCK Certificate and CRL Profile). */
export const SGX_EXTENSIONS_OID = '1.2.840.113741.1.13.1';
const OID_TCB = `${SGX_EXTENSIONS_OID}.2`;
const OID_PCESVN = `${SGX_EXTENSIONS_OID}.2.17`;
const OID_CPUSVN = `${SGX_EXTENSIONS_OID}.2.18`;
const OID_PCEID = `${SGX_EXTENSIONS_OID}.3`;
const OID_FMSPC = `${SGX_EXTENSIONS_OID}.4`;

/** The pinned Intel SGX Root CA shipped with the runtime (SHA-256 fingerprint 44:A0:19:6B:…:74:D3). */
export const INTEL_SGX_ROOT_CA_PEM = fs.readFileSync(path.join(__dirname, 'intel-sgx-root-ca.pem'), 'utf8');
/** The same root, parsed once (parsing it per verification costs a quarter of a millisecond). */
export const INTEL_SGX_ROOT_CA = new X509Certificate(INTEL_SGX_ROOT_CA_PEM);

// ASN.1 schemas for the SGX extension: SEQUENCE OF SEQUENCE { OID, value }. Decorators are applied as plain
// calls because the project compiles without `experimentalDecorators`.
class SgxEntry {
    id = '';
    value: ArrayBuffer = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(SgxEntry.prototype, 'id');
AsnProp({ type: AsnPropTypes.Any })(SgxEntry.prototype, 'value');

class SgxEntries extends AsnArray<SgxEntry> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: SgxEntry })(SgxEntries);

/** A TCB entry's value is an INTEGER (component SVNs, PCESVN) or an OCTET STRING (CPUSVN). */
class SgxTcbValue {
    integer?: number;
    octets?: ArrayBuffer;
}
AsnType({ type: AsnTypeTypes.Choice })(SgxTcbValue);
AsnProp({ type: AsnPropTypes.Integer })(SgxTcbValue.prototype, 'integer');
AsnProp({ type: AsnPropTypes.OctetString })(SgxTcbValue.prototype, 'octets');

class SgxTcbEntry {
    id = '';
    value = new SgxTcbValue();
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(SgxTcbEntry.prototype, 'id');
AsnProp({ type: SgxTcbValue })(SgxTcbEntry.prototype, 'value');

class SgxTcbEntries extends AsnArray<SgxTcbEntry> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: SgxTcbEntry })(SgxTcbEntries);

class SgxOctetsEntry {
    id = '';
    value: ArrayBuffer = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(SgxOctetsEntry.prototype, 'id');
AsnProp({ type: AsnPropTypes.OctetString })(SgxOctetsEntry.prototype, 'value');

export interface PckExtensions {
    /** Family-Model-Stepping-Platform-CustomSKU, 6 bytes, lowercase hex. */
    fmspc: string;
    pceId: string;
    pceSvn: number;
    cpuSvn: Buffer;
    /** The 16 SGX TCB component SVNs (extension 2.1 … 2.16). */
    sgxTcbComponents: number[];
}

export function readPckExtensions(cert: X509Certificate): PckExtensions {
    try {
        const parsed = AsnParser.parse(cert.raw, Certificate);
        const ext = parsed.tbsCertificate.extensions?.find((e) => e.extnID === SGX_EXTENSIONS_OID);
        if (!ext) fail('certificate', 'PCK certificate has no Intel SGX extensions (1.2.840.113741.1.13.1)');
        const entries = AsnParser.parse(ext.extnValue.buffer, SgxEntries);
        const octets = (e: SgxEntry) => Buffer.from(AsnParser.parse(AsnSerializer.serialize(e), SgxOctetsEntry).value);
        const find = (id: string) =>
            entries.find((e) => e.id === id) ?? fail('certificate', `PCK certificate lacks SGX extension ${id}`);

        const tcb = AsnParser.parse(find(OID_TCB).value, SgxTcbEntries);
        const tcbValue = (id: string) =>
            tcb.find((e) => e.id === id)?.value ?? fail('certificate', `PCK certificate lacks SGX TCB extension ${id}`);
        const integer = (id: string) =>
            tcbValue(id).integer ?? fail('certificate', `SGX TCB extension ${id} is not an INTEGER`);
        const sgxTcbComponents = Array.from({ length: 16 }, (_, i) => integer(`${OID_TCB}.${i + 1}`));
        const cpuSvn = tcbValue(OID_CPUSVN).octets ?? fail('certificate', 'SGX CPUSVN is not an OCTET STRING');
        const fmspc = octets(find(OID_FMSPC));
        if (fmspc.length !== 6) fail('certificate', `PCK FMSPC has ${fmspc.length} bytes, expected 6`);
        return {
            fmspc: fmspc.toString('hex'),
            pceId: octets(find(OID_PCEID)).toString('hex'),
            pceSvn: integer(OID_PCESVN),
            cpuSvn: Buffer.from(cpuSvn),
            sgxTcbComponents,
        };
    } catch (err) {
        if (err instanceof AttestationError) throw err;
        fail('certificate', `cannot read the PCK certificate's SGX extensions: ${(err as Error).message}`);
    }
}

/** Decodes certificates given as concatenated PEM blocks or concatenated DER (both occur in real quotes). */
export function decodeCertificates(data: Buffer | string): X509Certificate[] {
    const text = typeof data === 'string' ? data : data.toString('latin1');
    try {
        if (text.includes('-----BEGIN CERTIFICATE-----')) {
            const blocks = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
            return blocks.map((b) => new X509Certificate(b));
        }
        const der = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
        const certs: X509Certificate[] = [];
        let pos = 0;
        // Each DER certificate is a SEQUENCE with a long-form length; split on the outer lengths.
        while (pos < der.length && der[pos] === 0x30) {
            const lenOctets = der[pos + 1] & 0x80 ? der[pos + 1] & 0x7f : 0;
            if (lenOctets < 1 || lenOctets > 3) break;
            let len = 0;
            for (let i = 0; i < lenOctets; i++) len = len * 256 + der[pos + 2 + i];
            const end = pos + 2 + lenOctets + len;
            if (end > der.length) break;
            certs.push(new X509Certificate(der.subarray(pos, end)));
            pos = end;
        }
        return certs;
    } catch (err) {
        fail('certificate', `certification data holds an unreadable certificate: ${(err as Error).message}`);
    }
}

export interface ChainOptions {
    /** Pinned roots of trust (PEM or X509Certificate). Empty means nothing is trusted. */
    roots: (string | X509Certificate)[];
    /** Time at which every certificate and CRL must be valid. */
    at: Date;
    /**
     * DER or PEM CRLs (root CA CRL, PCK Platform/Processor CA CRL). A CRL applies to a chain when its issuer name is
     * the subject of a CA in that chain, and must then be signed by that CA and current; CRLs of other CAs (the
     * Platform CA's CRL for a chain under the Processor CA) are out of scope for that chain and ignored, so one
     * deployment-wide list serves every chain (RFC 5280 §5: a CRL covers only its issuer's certificates).
     */
    crls?: (Buffer | string)[];
}

function checkValidAt(cert: X509Certificate, at: Date): void {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (at < from || at > to) {
        fail(
            'certificate',
            `certificate "${cert.subject.replace(/\n/g, ', ')}" is not valid at ${at.toISOString()} (valid ${from.toISOString()} – ${to.toISOString()})`,
        );
    }
}

/**
 * Verifies `certs` (any order, any embedded root ignored) as a chain from a leaf to one of the pinned roots and
 * returns it leaf first, ending with the pinned root that anchored it.
 */
export function verifyChain(certs: X509Certificate[], options: ChainOptions): X509Certificate[] {
    const roots = options.roots.map((r) => (typeof r === 'string' ? new X509Certificate(r) : r));
    if (roots.length === 0) fail('certificate', 'no pinned root certificates: nothing can be trusted');
    if (certs.length === 0) fail('certificate', 'the quote carries no PCK certificate chain');
    const isRoot = (c: X509Certificate) => roots.some((r) => r.fingerprint256 === c.fingerprint256);
    const intermediates = certs.filter((c) => !isRoot(c) && c.checkIssued(c) === false);
    // The leaf is the certificate that issued none of the others.
    const leaves = intermediates.filter((c) => !intermediates.some((o) => o !== c && o.checkIssued(c)));
    if (leaves.length !== 1)
        fail('certificate', `cannot find a single PCK leaf certificate among ${certs.length} certificates`);

    if (leaves[0].ca) fail('certificate', 'the leaf certificate is a CA, not a PCK certificate');
    const chain: X509Certificate[] = [leaves[0]];
    for (;;) {
        const child = chain[chain.length - 1];
        checkValidAt(child, options.at);
        const root = roots.find((r) => child.checkIssued(r) && child.verify(r.publicKey));
        if (root) {
            checkValidAt(root, options.at);
            chain.push(root);
            break;
        }
        const parent = intermediates.find((c) => !chain.includes(c) && child.checkIssued(c));
        if (!parent)
            fail('certificate', `certificate "${child.subject.replace(/\n/g, ', ')}" does not chain to a pinned root`);
        if (!parent.ca) fail('certificate', `issuer "${parent.subject.replace(/\n/g, ', ')}" is not a CA`);
        if (!child.verify(parent.publicKey))
            fail('certificate', `signature of "${child.subject.replace(/\n/g, ', ')}" does not verify`);
        chain.push(parent);
        if (chain.length > 8) fail('certificate', 'certificate chain too long');
    }
    for (const crl of options.crls ?? []) applyCrl(crl, chain, options.at);
    return chain;
}

function toDer(crl: Buffer | string): Buffer {
    if (typeof crl !== 'string' && !crl.toString('latin1').startsWith('-----BEGIN')) return crl;
    const text = typeof crl === 'string' ? crl : crl.toString('latin1');
    return Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

function subjectDer(cert: X509Certificate): Buffer {
    return Buffer.from(AsnSerializer.serialize(AsnParser.parse(cert.raw, Certificate).tbsCertificate.subject));
}

/**
 * A CRL whose issuer is a CA of the chain must be signed by that CA, current at `at`, and must not list any
 * certificate that CA issued. A CRL of a CA outside the chain does not concern it.
 */
function applyCrl(crlData: Buffer | string, chain: X509Certificate[], at: Date): void {
    let crl: CertificateList;
    try {
        crl = AsnParser.parse(toDer(crlData), CertificateList);
    } catch (err) {
        fail('certificate', `unreadable CRL: ${(err as Error).message}`);
    }
    const issuerName = Buffer.from(AsnSerializer.serialize(crl.tbsCertList.issuer));
    const issuer = chain.find((c) => c.ca && subjectDer(c).equals(issuerName));
    if (!issuer) return;
    const tbs = Buffer.from(AsnSerializer.serialize(crl.tbsCertList));
    const key = createPublicKey(issuer.publicKey.export({ format: 'pem', type: 'spki' }));
    if (!verifySignature('sha256', tbs, key, Buffer.from(crl.signature))) {
        fail('certificate', `CRL naming "${issuer.subject.replace(/\n/g, ', ')}" is not signed by it`);
    }
    const thisUpdate = crl.tbsCertList.thisUpdate.getTime();
    const nextUpdate = crl.tbsCertList.nextUpdate?.getTime();
    if (at < thisUpdate || (nextUpdate !== undefined && at > nextUpdate)) {
        fail('certificate', `CRL of "${issuer.subject.replace(/\n/g, ', ')}" is not current at ${at.toISOString()}`);
    }
    const revoked = new Set(
        (crl.tbsCertList.revokedCertificates ?? []).map((r) =>
            Buffer.from(r.userCertificate)
                .toString('hex')
                .replace(/^(00)+/, '')
                .toUpperCase(),
        ),
    );
    for (const cert of chain) {
        if (
            cert !== issuer &&
            cert.checkIssued(issuer) &&
            revoked.has(cert.serialNumber.replace(/^(00)+/, '').toUpperCase())
        ) {
            fail(
                'certificate',
                `certificate "${cert.subject.replace(/\n/g, ', ')}" (serial ${cert.serialNumber}) is revoked`,
            );
        }
    }
}
