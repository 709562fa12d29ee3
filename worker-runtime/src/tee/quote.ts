/**
 * Parser for Intel TDX DCAP quotes, versions 4 and 5 (Intel TDX DCAP Quote Generation Library and Quote
 * Verification Library API, appendix A). Parsing only: nothing here is trusted until verifier.ts has checked it.
 *
 * Every read is bounds-checked against the buffer, so truncated or random input ends in an AttestationError with
 * code 'malformed', never an out-of-range read, a crash or a loop (all lengths come from the input and only move
 * forward).
 */
import { fail } from './errors';

export const TEE_TYPE_SGX = 0x00;
export const TEE_TYPE_TDX = 0x81;
export const ATTESTATION_KEY_ECDSA_P256 = 2;
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;

const TD10_BODY_SIZE = 584;
const TD15_BODY_SIZE = 648;
const SGX_REPORT_SIZE = 384;
const V5_BODY_TYPE_TD10 = 2;
const V5_BODY_TYPE_TD15 = 3;

export interface QuoteHeader {
    version: number;
    attestationKeyType: number;
    teeType: number;
    qeSvn: number;
    pceSvn: number;
    qeVendorId: Buffer;
    userData: Buffer;
}

/** The TD report body: measurements and configuration of the trust domain. TD 1.5 adds the last two fields. */
export interface TdReport {
    teeTcbSvn: Buffer;
    mrSeam: Buffer;
    mrSignerSeam: Buffer;
    seamAttributes: Buffer;
    tdAttributes: Buffer;
    xfam: Buffer;
    mrTd: Buffer;
    mrConfigId: Buffer;
    mrOwner: Buffer;
    mrOwnerConfig: Buffer;
    rtmr0: Buffer;
    rtmr1: Buffer;
    rtmr2: Buffer;
    rtmr3: Buffer;
    reportData: Buffer;
    teeTcbSvn2?: Buffer;
    mrServiceTd?: Buffer;
}

/** The SGX report of the Quoting Enclave, signed by the PCK key. */
export interface QeReport {
    raw: Buffer;
    cpuSvn: Buffer;
    miscSelect: number;
    attributes: Buffer;
    mrEnclave: Buffer;
    mrSigner: Buffer;
    isvProdId: number;
    isvSvn: number;
    reportData: Buffer;
}

export interface TdxQuote {
    header: QuoteHeader;
    /** 'td10' (TDX 1.0) or 'td15' (TDX 1.5: adds TEE_TCB_SVN_2 and MRSERVICETD). */
    bodyType: 'td10' | 'td15';
    body: TdReport;
    /** Bytes covered by the quote signature: header ‖ (v5: body type and size ‖) body. */
    signedRegion: Buffer;
    /** ECDSA-P256 signature, r ‖ s (64 bytes). */
    signature: Buffer;
    /** Attestation public key, x ‖ y (64 bytes). */
    attestationKey: Buffer;
    qeReport: QeReport;
    qeReportSignature: Buffer;
    qeAuthData: Buffer;
    /** Certification data type inside the QE report certification data (5 = PCK chain). */
    certDataType: number;
    certData: Buffer;
    /** Bytes after the signature data; real quotes from configfs can be zero-padded. Not covered by anything. */
    trailingBytes: number;
}

class Reader {
    private pos = 0;
    constructor(private readonly buf: Buffer) {}

    get offset(): number {
        return this.pos;
    }

    bytes(n: number, what: string): Buffer {
        if (n < 0 || this.pos + n > this.buf.length) {
            fail(
                'malformed',
                `quote truncated: ${what} needs ${n} bytes at offset ${this.pos}, ${this.buf.length - this.pos} left`,
            );
        }
        const out = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return out;
    }

    u16(what: string): number {
        return this.bytes(2, what).readUInt16LE(0);
    }

    u32(what: string): number {
        return this.bytes(4, what).readUInt32LE(0);
    }
}

function parseHeader(r: Reader): QuoteHeader {
    const version = r.u16('version');
    const attestationKeyType = r.u16('attestation key type');
    const teeType = r.u32('tee type');
    // An SGX quote (v3, or a v4/v5 header with tee_type 0) gets a specific refusal rather than a layout error.
    if (teeType === TEE_TYPE_SGX && version >= 3 && version <= 5) {
        fail('unsupported', 'SGX quote (tee_type 0x00) refused: only Intel TDX quotes (tee_type 0x81) are accepted');
    }
    if (version !== 4 && version !== 5) {
        fail('malformed', `unsupported quote version ${version} (expected 4 or 5)`);
    }
    if (teeType !== TEE_TYPE_TDX)
        fail('unsupported', `unknown tee_type 0x${teeType.toString(16)} (expected 0x81, TDX)`);
    if (attestationKeyType !== ATTESTATION_KEY_ECDSA_P256) {
        fail('unsupported', `attestation key type ${attestationKeyType} unsupported (expected 2, ECDSA-P256)`);
    }
    const qeSvn = r.u16('qe svn');
    const pceSvn = r.u16('pce svn');
    const qeVendorId = r.bytes(16, 'qe vendor id');
    const userData = r.bytes(20, 'user data');
    return { version, attestationKeyType, teeType, qeSvn, pceSvn, qeVendorId, userData };
}

function parseTdReport(r: Reader, withTd15: boolean): TdReport {
    const body: TdReport = {
        teeTcbSvn: r.bytes(16, 'tee_tcb_svn'),
        mrSeam: r.bytes(48, 'mr_seam'),
        mrSignerSeam: r.bytes(48, 'mr_signer_seam'),
        seamAttributes: r.bytes(8, 'seam_attributes'),
        tdAttributes: r.bytes(8, 'td_attributes'),
        xfam: r.bytes(8, 'xfam'),
        mrTd: r.bytes(48, 'mr_td'),
        mrConfigId: r.bytes(48, 'mr_config_id'),
        mrOwner: r.bytes(48, 'mr_owner'),
        mrOwnerConfig: r.bytes(48, 'mr_owner_config'),
        rtmr0: r.bytes(48, 'rtmr0'),
        rtmr1: r.bytes(48, 'rtmr1'),
        rtmr2: r.bytes(48, 'rtmr2'),
        rtmr3: r.bytes(48, 'rtmr3'),
        reportData: r.bytes(64, 'report_data'),
    };
    if (withTd15) {
        body.teeTcbSvn2 = r.bytes(16, 'tee_tcb_svn_2');
        body.mrServiceTd = r.bytes(48, 'mr_service_td');
    }
    return body;
}

/** Parses a bare TD 1.0 report body (584 bytes); the simulated quote reuses the TDX layout through this. */
export function parseTdReportBody(buf: Buffer): TdReport {
    if (buf.length !== TD10_BODY_SIZE)
        fail('malformed', `TD report body must be ${TD10_BODY_SIZE} bytes, got ${buf.length}`);
    return parseTdReport(new Reader(buf), false);
}

export const TD_REPORT_BODY_SIZE = TD10_BODY_SIZE;

/** TDATTRIBUTES bit 0 (TUD.DEBUG): the host can read and change the TD's memory. */
export function isDebugTd(body: TdReport): boolean {
    return (body.tdAttributes[0] & 0x01) !== 0;
}

function parseQeReport(raw: Buffer): QeReport {
    return {
        raw,
        cpuSvn: raw.subarray(0, 16),
        miscSelect: raw.readUInt32LE(16),
        attributes: raw.subarray(48, 64),
        mrEnclave: raw.subarray(64, 96),
        mrSigner: raw.subarray(128, 160),
        isvProdId: raw.readUInt16LE(256),
        isvSvn: raw.readUInt16LE(258),
        reportData: raw.subarray(320, 384),
    };
}

export function parseQuote(input: Uint8Array): TdxQuote {
    if (!(input instanceof Uint8Array)) fail('malformed', 'quote must be bytes');
    const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const r = new Reader(buf);
    const header = parseHeader(r);

    let bodyType: 'td10' | 'td15' = 'td10';
    if (header.version === 5) {
        const type = r.u16('body type');
        const size = r.u32('body size');
        if (type === V5_BODY_TYPE_TD10 && size === TD10_BODY_SIZE) bodyType = 'td10';
        else if (type === V5_BODY_TYPE_TD15 && size === TD15_BODY_SIZE) bodyType = 'td15';
        else if (type === 1)
            fail('unsupported', 'v5 quote with an SGX enclave body refused: only TDX bodies are accepted');
        else fail('malformed', `v5 quote body type ${type} with size ${size} is not a TDX 1.0 or 1.5 body`);
    }
    const body = parseTdReport(r, bodyType === 'td15');
    const signedRegion = buf.subarray(0, r.offset);

    const sigDataLen = r.u32('signature data length');
    const sigData = new Reader(r.bytes(sigDataLen, 'signature data'));
    const signature = sigData.bytes(64, 'quote signature');
    const attestationKey = sigData.bytes(64, 'attestation key');
    const outerType = sigData.u16('certification data type');
    const outer = new Reader(sigData.bytes(sigData.u32('certification data size'), 'certification data'));
    if (outerType !== CERT_DATA_QE_REPORT) {
        fail(
            'unsupported',
            `certification data type ${outerType} unsupported (expected 6, QE report certification data)`,
        );
    }
    const qeReport = parseQeReport(outer.bytes(SGX_REPORT_SIZE, 'QE report'));
    const qeReportSignature = outer.bytes(64, 'QE report signature');
    const qeAuthData = outer.bytes(outer.u16('QE authentication data size'), 'QE authentication data');
    const certDataType = outer.u16('PCK certification data type');
    const certData = outer.bytes(outer.u32('PCK certification data size'), 'PCK certification data');

    return {
        header,
        bodyType,
        body,
        signedRegion,
        signature,
        attestationKey,
        qeReport,
        qeReportSignature,
        qeAuthData,
        certDataType,
        certData,
        trailingBytes: buf.length - r.offset,
    };
}
