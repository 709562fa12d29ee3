/**
 * DCAP collateral as a PCCS serves it: TCB info (`{"tcbInfo": {...}, "signature": hex}`) and QE identity
 * (`{"enclaveIdentity": {...}, "signature": hex}`), both signed by the TCB Signing certificate whose chain ends at the
 * pinned root. From them and the quote we compute the TCB status; whether a status is acceptable is the policy's call.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { decodeCertificates, PckExtensions, verifyChain } from './certificates';
import { AttestationError, fail } from './errors';
import { TdxQuote } from './quote';

export type TcbStatus =
    | 'UpToDate'
    | 'SWHardeningNeeded'
    | 'ConfigurationNeeded'
    | 'ConfigurationAndSWHardeningNeeded'
    | 'OutOfDate'
    | 'OutOfDateConfigurationNeeded'
    | 'Revoked';

const KNOWN_STATUSES: readonly TcbStatus[] = [
    'UpToDate',
    'SWHardeningNeeded',
    'ConfigurationNeeded',
    'ConfigurationAndSWHardeningNeeded',
    'OutOfDate',
    'OutOfDateConfigurationNeeded',
    'Revoked',
];

/** Collateral exactly as fetched (JSON text, because signatures cover the original bytes). */
export interface Collateral {
    tcbInfoJson: string;
    qeIdentityJson: string;
    /** PEM chain of the TCB Signing certificate (header `TCB-Info-Issuer-Chain` of the PCS/PCCS response). */
    tcbSigningChainPem: string;
}

export interface TcbEvaluation {
    status: TcbStatus;
    platformStatus: TcbStatus;
    qeStatus: TcbStatus;
    tdxModuleStatus?: TcbStatus;
    tcbDate: string;
    advisoryIds: string[];
}

interface TcbLevel {
    tcb: {
        sgxtcbcomponents?: { svn: number }[];
        tdxtcbcomponents?: { svn: number }[];
        pcesvn?: number;
        isvsvn?: number;
    };
    tcbDate: string;
    tcbStatus: string;
    advisoryIDs?: string[];
}

export interface TcbInfo {
    id: string;
    version: number;
    issueDate: string;
    nextUpdate: string;
    fmspc: string;
    pceId: string;
    tdxModule?: { mrsigner: string; attributes: string; attributesMask: string };
    tdxModuleIdentities?: {
        id: string;
        mrsigner: string;
        attributes: string;
        attributesMask: string;
        tcbLevels: TcbLevel[];
    }[];
    tcbLevels: TcbLevel[];
}

export interface QeIdentity {
    id: string;
    version: number;
    issueDate: string;
    nextUpdate: string;
    miscselect: string;
    miscselectMask: string;
    attributes: string;
    attributesMask: string;
    mrsigner: string;
    isvprodid: number;
    tcbLevels: TcbLevel[];
}

/**
 * Returns the exact text of the value of top-level `key` in a JSON object: the signature covers these bytes, and
 * re-serialising parsed JSON would not reproduce them. String-aware so braces inside strings do not count.
 */
export function rawJsonValue(json: string, key: string): string {
    const keyAt = json.indexOf(`"${key}"`);
    if (keyAt < 0) fail('collateral', `collateral JSON has no "${key}"`);
    const start = json.indexOf('{', keyAt);
    if (start < 0) fail('collateral', `collateral "${key}" is not an object`);
    let depth = 0;
    let inString = false;
    for (let i = start; i < json.length; i++) {
        const ch = json[i];
        if (inString) {
            if (ch === '\\') i++;
            else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '{') depth++;
        else if (ch === '}' && --depth === 0) return json.slice(start, i + 1);
    }
    fail('collateral', `collateral "${key}" is truncated`);
}

function verifySigned(json: string, key: string, signer: X509Certificate): unknown {
    let signatureHex: unknown;
    try {
        signatureHex = (JSON.parse(json) as Record<string, unknown>).signature;
    } catch (err) {
        fail('collateral', `collateral is not JSON: ${(err as Error).message}`);
    }
    if (typeof signatureHex !== 'string' || !/^[0-9a-fA-F]{128}$/.test(signatureHex)) {
        fail('collateral', `collateral "${key}" has no 64-byte hex signature`);
    }
    const raw = rawJsonValue(json, key);
    const ok = verifySignature(
        'sha256',
        Buffer.from(raw, 'utf8'),
        { key: signer.publicKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signatureHex, 'hex'),
    );
    if (!ok) fail('collateral', `signature over "${key}" does not verify with the TCB Signing certificate`);
    return JSON.parse(raw);
}

function checkCurrent(what: string, issueDate: string, nextUpdate: string, at: Date): void {
    const issued = Date.parse(issueDate);
    const next = Date.parse(nextUpdate);
    if (Number.isNaN(issued) || Number.isNaN(next)) fail('collateral', `${what} has unreadable dates`);
    if (at.getTime() < issued || at.getTime() > next) {
        fail(
            'collateral',
            `${what} is not current at ${at.toISOString()} (issued ${issueDate}, next update ${nextUpdate})`,
        );
    }
}

/** Verifies both collateral signatures under the pinned roots and returns the signed contents. */
export function verifyCollateral(
    collateral: Collateral,
    options: { roots: (string | X509Certificate)[]; at: Date; crls?: (Buffer | string)[] },
): { tcbInfo: TcbInfo; qeIdentity: QeIdentity } {
    const chain = verifyChain(decodeCertificates(collateral.tcbSigningChainPem), options);
    const tcbInfo = verifySigned(collateral.tcbInfoJson, 'tcbInfo', chain[0]) as TcbInfo;
    const qeIdentity = verifySigned(collateral.qeIdentityJson, 'enclaveIdentity', chain[0]) as QeIdentity;
    checkCurrent('TCB info', tcbInfo.issueDate, tcbInfo.nextUpdate, options.at);
    checkCurrent('QE identity', qeIdentity.issueDate, qeIdentity.nextUpdate, options.at);
    return { tcbInfo, qeIdentity };
}

function statusOf(level: TcbLevel): TcbStatus {
    if (!KNOWN_STATUSES.includes(level.tcbStatus as TcbStatus))
        fail('collateral', `unknown TCB status "${level.tcbStatus}"`);
    return level.tcbStatus as TcbStatus;
}

function hexEq(a: Buffer, hex: string): boolean {
    return a.toString('hex') === hex.toLowerCase();
}

function maskedEq(value: Buffer, expectedHex: string, maskHex: string): boolean {
    const expected = Buffer.from(expectedHex, 'hex');
    const mask = Buffer.from(maskHex, 'hex');
    if (expected.length !== value.length || mask.length !== value.length) return false;
    return value.every((b, i) => (b & mask[i]) === (expected[i] & mask[i]));
}

/** Merges statuses conservatively: any Revoked wins, otherwise out-of-date and configuration flags add up. */
export function combineStatuses(statuses: TcbStatus[]): TcbStatus {
    if (statuses.includes('Revoked')) return 'Revoked';
    const outOfDate = statuses.some((s) => s.startsWith('OutOfDate'));
    const config = statuses.some((s) => s.includes('Configuration'));
    const swHardening = statuses.some((s) => s.includes('SWHardening'));
    if (outOfDate) return config ? 'OutOfDateConfigurationNeeded' : 'OutOfDate';
    if (config) return swHardening ? 'ConfigurationAndSWHardeningNeeded' : 'ConfigurationNeeded';
    return swHardening ? 'SWHardeningNeeded' : 'UpToDate';
}

/**
 * Computes the TCB status of a verified quote from verified collateral (Intel's TDX TCB level matching: the first
 * level, in the order given, whose SGX components and PCESVN the PCK certificate meets and whose TDX components the
 * quote's TEE_TCB_SVN meets; QE identity by ISVSVN; the TDX module by its identity when its major version is > 0).
 */
export function evaluateTcb(
    quote: TdxQuote,
    pck: PckExtensions,
    tcbInfo: TcbInfo,
    qeIdentity: QeIdentity,
): TcbEvaluation {
    try {
        if (tcbInfo.id !== 'TDX' || tcbInfo.version < 3)
            fail('collateral', `TCB info is "${tcbInfo.id}" v${tcbInfo.version}, expected TDX v3`);
        if (tcbInfo.fmspc.toLowerCase() !== pck.fmspc)
            fail('collateral', `TCB info is for FMSPC ${tcbInfo.fmspc}, the PCK certificate has ${pck.fmspc}`);
        if (tcbInfo.pceId.toLowerCase() !== pck.pceId)
            fail('collateral', `TCB info is for PCEID ${tcbInfo.pceId}, the PCK certificate has ${pck.pceId}`);
        if (qeIdentity.id !== 'TD_QE') fail('collateral', `QE identity is "${qeIdentity.id}", expected TD_QE`);

        const teeTcbSvn = quote.body.teeTcbSvn;
        let tdxModuleStatus: TcbStatus | undefined;
        if (tcbInfo.tdxModule) {
            const m = tcbInfo.tdxModule;
            if (!hexEq(quote.body.mrSignerSeam, m.mrsigner))
                fail('collateral', 'TDX module MRSIGNERSEAM does not match TCB info');
            if (!maskedEq(quote.body.seamAttributes, m.attributes, m.attributesMask))
                fail('collateral', 'TDX module attributes do not match TCB info');
        }
        const moduleMajor = teeTcbSvn[1];
        if (moduleMajor > 0 && tcbInfo.tdxModuleIdentities) {
            const id = `TDX_${moduleMajor.toString(16).toUpperCase().padStart(2, '0')}`;
            const identity = tcbInfo.tdxModuleIdentities.find((i) => i.id === id);
            if (!identity) fail('collateral', `TCB info has no identity for TDX module ${id}`);
            if (!hexEq(quote.body.mrSignerSeam, identity.mrsigner))
                fail('collateral', `TDX module ${id} MRSIGNERSEAM mismatch`);
            if (!maskedEq(quote.body.seamAttributes, identity.attributes, identity.attributesMask))
                fail('collateral', `TDX module ${id} attributes mismatch`);
            const level = identity.tcbLevels.find((l) => (l.tcb.isvsvn ?? Infinity) <= teeTcbSvn[0]);
            if (!level) fail('collateral', `TDX module ${id} SVN ${teeTcbSvn[0]} is below every TCB level`);
            tdxModuleStatus = statusOf(level);
        }

        // With a module major version > 0 the first two TEE_TCB_SVN bytes were judged by the module identity above.
        const firstTdxComponent = moduleMajor > 0 ? 2 : 0;
        const platform = tcbInfo.tcbLevels.find((level) => {
            const sgx = level.tcb.sgxtcbcomponents ?? [];
            const tdx = level.tcb.tdxtcbcomponents ?? [];
            if (sgx.length !== 16 || tdx.length !== 16) return false;
            if (sgx.some((c, i) => pck.sgxTcbComponents[i] < c.svn)) return false;
            if (pck.pceSvn < (level.tcb.pcesvn ?? Infinity)) return false;
            return tdx.every((c, i) => i < firstTdxComponent || teeTcbSvn[i] >= c.svn);
        });
        if (!platform)
            fail('collateral', 'platform TCB is below every TCB level of the TCB info (TCB level not supported)');

        const qe = quote.qeReport;
        if (!hexEq(qe.mrSigner, qeIdentity.mrsigner))
            fail('collateral', 'QE report MRSIGNER does not match the QE identity');
        if (qe.isvProdId !== qeIdentity.isvprodid)
            fail(
                'collateral',
                `QE report ISVPRODID ${qe.isvProdId} does not match the QE identity (${qeIdentity.isvprodid})`,
            );
        // MISCSELECT is compared in the report's byte order, as Intel's collateral encodes it.
        if (!maskedEq(qe.raw.subarray(16, 20), qeIdentity.miscselect, qeIdentity.miscselectMask))
            fail('collateral', 'QE report MISCSELECT does not match the QE identity');
        if (!maskedEq(qe.attributes, qeIdentity.attributes, qeIdentity.attributesMask))
            fail('collateral', 'QE report attributes do not match the QE identity');
        const qeLevel = qeIdentity.tcbLevels.find((l) => (l.tcb.isvsvn ?? Infinity) <= qe.isvSvn);
        if (!qeLevel) fail('collateral', `QE ISVSVN ${qe.isvSvn} is below every QE identity TCB level`);

        const platformStatus = statusOf(platform);
        const qeStatus = statusOf(qeLevel);
        const all = [platformStatus, qeStatus, ...(tdxModuleStatus ? [tdxModuleStatus] : [])];
        return {
            status: combineStatuses(all),
            platformStatus,
            qeStatus,
            tdxModuleStatus,
            tcbDate: platform.tcbDate,
            advisoryIds: [...new Set([...(platform.advisoryIDs ?? []), ...(qeLevel.advisoryIDs ?? [])])],
        };
    } catch (err) {
        if (err instanceof AttestationError) throw err;
        fail('collateral', `malformed collateral: ${(err as Error).message}`);
    }
}
