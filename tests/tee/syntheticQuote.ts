/**
 * A complete DCAP world under a generated root: PCK certificate with Intel SGX extensions, QE report, attestation
 * key, TDX v4 quote and signed TCB info / QE identity. The real test vectors cannot show an accepted verdict (their
 * Ed25519 keys are not published and they have no matching collateral); this can, with every signature real.
 */
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import {
    AsnArray,
    AsnProp,
    AsnPropTypes,
    AsnSerializer,
    AsnType,
    AsnTypeTypes,
    OctetString,
} from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { bindingReportData, Collateral, TcbStatus } from '../../worker-runtime/src/tee';
import { INTEL_QE_VENDOR_ID } from '../../worker-runtime/src/tee/verifier';
import { issueCertificate, TestCertificate } from './testPki';

const SGX = '1.2.840.113741.1.13.1';

class IntEntry {
    id = '';
    value = 0;
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(IntEntry.prototype, 'id');
AsnProp({ type: AsnPropTypes.Integer })(IntEntry.prototype, 'value');
class OctEntry {
    id = '';
    value = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(OctEntry.prototype, 'id');
AsnProp({ type: AsnPropTypes.OctetString })(OctEntry.prototype, 'value');
class AnyEntry {
    id = '';
    value = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(AnyEntry.prototype, 'id');
AsnProp({ type: AsnPropTypes.Any })(AnyEntry.prototype, 'value');
class AnySequence extends AsnArray<ArrayBuffer> {}
AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Any })(AnySequence);

const ab = (b: Buffer) => new Uint8Array(b).buffer;
const der = (o: object) => AsnSerializer.serialize(o);
const int = (id: string, value: number) => der(Object.assign(new IntEntry(), { id, value }));
const oct = (id: string, value: Buffer) => der(Object.assign(new OctEntry(), { id, value: ab(value) }));

export interface Platform {
    fmspc: string;
    pceId: string;
    pceSvn: number;
    sgxComponents: number[];
    teeTcbSvn: number[];
}

function sgxExtension(p: Platform): Extension {
    const tcb = new AnySequence([
        ...p.sgxComponents.map((svn, i) => int(`${SGX}.2.${i + 1}`, svn)),
        int(`${SGX}.2.17`, p.pceSvn),
        oct(`${SGX}.2.18`, Buffer.from(p.sgxComponents)),
    ]);
    const entries = new AnySequence([
        oct(`${SGX}.1`, randomBytes(16)),
        der(Object.assign(new AnyEntry(), { id: `${SGX}.2`, value: der(tcb) })),
        oct(`${SGX}.3`, Buffer.from(p.pceId, 'hex')),
        oct(`${SGX}.4`, Buffer.from(p.fmspc, 'hex')),
    ]);
    return new Extension({ extnID: SGX, critical: false, extnValue: new OctetString(der(entries)) });
}

const p1363 = (data: Buffer, key: KeyObject) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });

export interface TdxWorld {
    root: TestCertificate;
    platform: Platform;
    qeMrSigner: Buffer;
    qeIsvSvn: number;
    /** A TDX v4 quote over SHA-512(publicKey ‖ nonce), with the given measurements. */
    quote(publicKey: Uint8Array, nonce?: Uint8Array, measurements?: { mrTd?: Buffer; debug?: boolean }): Buffer;
    /** Signed collateral whose single TCB level and QE level have the given statuses. */
    collateral(platformStatus: TcbStatus, qeStatus?: TcbStatus): Collateral;
}

export function createTdxWorld(): TdxWorld {
    const root = issueCertificate({ subject: 'Synthetic SGX Root CA', ca: true, serial: 1 });
    const platformCa = issueCertificate({ subject: 'Synthetic PCK Platform CA', issuer: root, ca: true, serial: 2 });
    const platform: Platform = {
        fmspc: '00a06f000000',
        pceId: '0000',
        pceSvn: 13,
        sgxComponents: [3, 3, 2, 2, 4, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0],
        teeTcbSvn: [5, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    };
    const pck = issueCertificate({
        subject: 'Synthetic PCK Certificate',
        issuer: platformCa,
        ca: false,
        serial: 3,
        extensions: [sgxExtension(platform)],
    });
    const tcbSigner = issueCertificate({ subject: 'Synthetic TCB Signing', issuer: root, ca: false, serial: 4 });
    const qeMrSigner = randomBytes(32);
    const qeIsvSvn = 8;
    const attestation = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = attestation.publicKey.export({ format: 'jwk' });
    const attestationKey = Buffer.concat([
        Buffer.from(jwk.x as string, 'base64url'),
        Buffer.from(jwk.y as string, 'base64url'),
    ]);
    const qeAuthData = randomBytes(32);

    const qeReport = Buffer.alloc(384);
    qeMrSigner.copy(qeReport, 128);
    qeReport.writeUInt16LE(2, 256);
    qeReport.writeUInt16LE(qeIsvSvn, 258);
    createHash('sha256').update(attestationKey).update(qeAuthData).digest().copy(qeReport, 320);
    const qeReportSignature = p1363(qeReport, pck.key);
    const chainPem = Buffer.from([pck, platformCa, root].map((c) => c.cert.toString()).join(''));

    const quote: TdxWorld['quote'] = (publicKey, nonce, m = {}) => {
        const header = Buffer.alloc(48);
        header.writeUInt16LE(4, 0);
        header.writeUInt16LE(2, 2);
        header.writeUInt32LE(0x81, 4);
        header.writeUInt16LE(platform.pceSvn, 10);
        INTEL_QE_VENDOR_ID.copy(header, 12);
        const body = Buffer.alloc(584);
        Buffer.from(platform.teeTcbSvn).copy(body, 0);
        if (m.debug) body[120] = 1;
        (m.mrTd ?? Buffer.alloc(48, 0x11)).copy(body, 136);
        Buffer.alloc(48, 0x22).copy(body, 328);
        Buffer.alloc(48, 0x33).copy(body, 376);
        Buffer.alloc(48, 0x44).copy(body, 424);
        bindingReportData(publicKey, nonce).copy(body, 520);
        const signed = Buffer.concat([header, body]);
        const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
        const u32 = (n: number) => {
            const b = Buffer.alloc(4);
            b.writeUInt32LE(n);
            return b;
        };
        const inner = Buffer.concat([u16(5), u32(chainPem.length), chainPem]);
        const outer = Buffer.concat([qeReport, qeReportSignature, u16(qeAuthData.length), qeAuthData, inner]);
        const sigData = Buffer.concat([
            p1363(signed, attestation.privateKey),
            attestationKey,
            u16(6),
            u32(outer.length),
            outer,
        ]);
        return Buffer.concat([signed, u32(sigData.length), sigData]);
    };

    const signJson = (key: string, value: object) => {
        const raw = JSON.stringify(value);
        return `{"${key}":${raw},"signature":"${p1363(Buffer.from(raw), tcbSigner.key).toString('hex')}"}`;
    };
    const collateral: TdxWorld['collateral'] = (platformStatus, qeStatus = 'UpToDate') => ({
        tcbInfoJson: signJson('tcbInfo', {
            id: 'TDX',
            version: 3,
            issueDate: '2025-01-01T00:00:00Z',
            nextUpdate: '2026-01-01T00:00:00Z',
            fmspc: platform.fmspc,
            pceId: platform.pceId,
            tcbType: 0,
            tcbEvaluationDataNumber: 17,
            tdxModule: {
                mrsigner: '00'.repeat(48),
                attributes: '0000000000000000',
                attributesMask: 'FFFFFFFFFFFFFFFF',
            },
            tdxModuleIdentities: [
                {
                    id: 'TDX_01',
                    mrsigner: '00'.repeat(48),
                    attributes: '0000000000000000',
                    attributesMask: 'FFFFFFFFFFFFFFFF',
                    tcbLevels: [{ tcb: { isvsvn: 5 }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: 'UpToDate' }],
                },
            ],
            tcbLevels: [
                {
                    tcb: {
                        sgxtcbcomponents: platform.sgxComponents.map((svn) => ({ svn })),
                        pcesvn: platform.pceSvn,
                        tdxtcbcomponents: platform.teeTcbSvn.map((svn) => ({ svn })),
                    },
                    tcbDate: '2024-03-13T00:00:00Z',
                    tcbStatus: platformStatus,
                },
            ],
        }),
        qeIdentityJson: signJson('enclaveIdentity', {
            id: 'TD_QE',
            version: 2,
            issueDate: '2025-01-01T00:00:00Z',
            nextUpdate: '2026-01-01T00:00:00Z',
            tcbEvaluationDataNumber: 17,
            miscselect: '00000000',
            miscselectMask: 'FFFFFFFF',
            attributes: '00000000000000000000000000000000',
            attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000',
            mrsigner: qeMrSigner.toString('hex').toUpperCase(),
            isvprodid: 2,
            tcbLevels: [{ tcb: { isvsvn: qeIsvSvn }, tcbDate: '2024-03-13T00:00:00Z', tcbStatus: qeStatus }],
        }),
        tcbSigningChainPem: [tcbSigner, root].map((c) => c.cert.toString()).join(''),
    });
    return { root, platform, qeMrSigner, qeIsvSvn, quote, collateral };
}
