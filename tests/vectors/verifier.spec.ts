import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import {
    AttestationError,
    INTEL_SGX_ROOT_CA_PEM,
    parseQuote,
    verifyQuote,
    VerifyQuoteOptions,
} from '../../worker-runtime/src/tee';
import { readCollateralFile, readVector, SAMPLE_ROOT_PEM, VECTORS, VERIFY_AT } from './testdata';

function verifyError(quote: Uint8Array, options: VerifyQuoteOptions = { at: VERIFY_AT }): AttestationError {
    try {
        verifyQuote(quote, options);
    } catch (err) {
        expect(err).toBeInstanceOf(AttestationError);
        return err as AttestationError;
    }
    throw new Error('quote verified but should not have');
}

/** Rebuilds a v4/v5 quote with different PCK certification data (same QE report, signatures and auth data). */
function withCertData(quote: Buffer, certData: Buffer, certType = 5): Buffer {
    const q = parseQuote(quote);
    const inner = Buffer.alloc(6);
    inner.writeUInt16LE(certType, 0);
    inner.writeUInt32LE(certData.length, 2);
    const authLen = Buffer.alloc(2);
    authLen.writeUInt16LE(q.qeAuthData.length);
    const outer = Buffer.concat([q.qeReport.raw, q.qeReportSignature, authLen, q.qeAuthData, inner, certData]);
    const outerHeader = Buffer.alloc(6);
    outerHeader.writeUInt16LE(6, 0);
    outerHeader.writeUInt32LE(outer.length, 2);
    const sigData = Buffer.concat([q.signature, q.attestationKey, outerHeader, outer]);
    const sigLen = Buffer.alloc(4);
    sigLen.writeUInt32LE(sigData.length);
    return Buffer.concat([q.signedRegion, sigLen, sigData]);
}

const pemBlocks = (data: Buffer) =>
    data.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g) ?? [];

describe('DCAP verification of real TDX quotes', () => {
    it.each(VECTORS)('verifies $file at 2025-09-01 against the pinned Intel root', (v) => {
        const verified = verifyQuote(readVector(v.file), { at: VERIFY_AT });
        expect(verified.chain).toHaveLength(3);
        expect(verified.chain[2].fingerprint256).toBe(new X509Certificate(INTEL_SGX_ROOT_CA_PEM).fingerprint256);
        if (v.fmspc) expect(verified.pck.fmspc).toBe(v.fmspc);
        if (v.pcesvn) expect(verified.pck.pceSvn).toBe(v.pcesvn);
        expect(verified.pck.sgxTcbComponents).toHaveLength(16);
        expect(verified.tcb).toBeUndefined();
    });

    it('pins the production Intel SGX Root CA by default', () => {
        const root = new X509Certificate(INTEL_SGX_ROOT_CA_PEM);
        expect(root.fingerprint256).toBe(
            '44:A0:19:6B:2B:99:F8:89:B8:E1:49:E9:5B:80:7A:35:0E:74:24:96:43:99:E8:85:A7:CB:B8:CC:FA:B6:74:D3',
        );
    });

    it.each(VECTORS.map((v) => v.file))('fails on byte flips across the signed region of %s', (file) => {
        const quote = readVector(file);
        const q = parseQuote(quote);
        const signedLength = q.signedRegion.length;
        const bodyStart = q.header.version === 5 ? 54 : 48;
        // Every 9th byte plus every field boundary region of the header: ~75 positions per quote, all fields hit.
        const positions = new Set<number>();
        for (let i = 0; i < signedLength; i += 9) positions.add(i);
        for (let i = 0; i < 48; i++) positions.add(i);
        positions.add(signedLength - 1);
        for (const pos of positions) {
            const tampered = Buffer.from(quote);
            tampered[pos] ^= 0x01;
            const err = verifyError(tampered);
            // Header layout fields are refused by the parser; everything else by the quote signature.
            if (pos >= bodyStart) expect(err.code).toBe('signature');
            else expect(['signature', 'malformed', 'unsupported']).toContain(err.code);
        }
    });

    it('fails when the quote signature, attestation key, QE report, its signature or the auth data change', () => {
        const quote = readVector('tdx-v4-edgeless.dat');
        const sigStart = parseQuote(quote).signedRegion.length + 4;
        const regions: [string, number, number][] = [
            ['quote signature', sigStart, 64],
            ['attestation key', sigStart + 64, 64],
            ['QE report', sigStart + 128 + 6, 384],
            ['QE report signature', sigStart + 128 + 6 + 384, 64],
            ['QE auth data', sigStart + 128 + 6 + 384 + 64 + 2, 32],
        ];
        for (const [, start, length] of regions) {
            for (const offset of [0, Math.floor(length / 2), length - 1]) {
                const tampered = Buffer.from(quote);
                tampered[start + offset] ^= 0x80;
                expect(verifyError(tampered).code).toMatch(/signature|malformed/);
            }
        }
    });

    it('never throws anything but an AttestationError on random mutations, and fails on any before the chain', () => {
        const quote = readVector('tdx-v4-edgeless.dat');
        const q = parseQuote(quote);
        const certDataStart = quote.length - q.certData.length;
        fc.assert(
            fc.property(fc.nat(quote.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
                const m = Buffer.from(quote);
                m[pos] ^= x;
                try {
                    verifyQuote(m, { at: VERIFY_AT });
                } catch (err) {
                    return err instanceof AttestationError;
                }
                // Only the unsigned PEM text (e.g. the ignored embedded root) may change and still verify.
                return pos >= certDataStart;
            }),
            { numRuns: 150 },
        );
    });

    it('fails when the certification data is removed', () => {
        const quote = readVector('tdx-v4-edgeless.dat');
        const err = verifyError(withCertData(quote, Buffer.alloc(0)));
        expect(err.code).toBe('certificate');
        expect(err.message).toMatch(/no PCK certificate chain/);
    });

    it('fails when the certification data is replaced by another platform chain', () => {
        const edgeless = readVector('tdx-v4-edgeless.dat');
        const phalaChain = parseQuote(readVector('tdx-v4-phala.dat')).certData;
        const err = verifyError(withCertData(edgeless, phalaChain));
        expect(err.code).toBe('signature');
        expect(err.message).toMatch(/QE report signature/);
    });

    it('fails when the PCK leaf is dropped, corrupted, or the type is not a PCK chain', () => {
        const quote = readVector('tdx-v4-edgeless.dat');
        const blocks = pemBlocks(parseQuote(quote).certData);
        expect(blocks).toHaveLength(3);
        expect(verifyError(withCertData(quote, Buffer.from(blocks.slice(1).join('')))).code).toMatch(
            /certificate|signature/,
        );
        const corrupt = Buffer.from(blocks.join(''));
        corrupt[100] = corrupt[100] === 0x41 ? 0x42 : 0x41; // inside the leaf's base64
        expect(verifyError(withCertData(quote, corrupt)).code).toBe('certificate');
        expect(verifyError(withCertData(quote, parseQuote(quote).certData, 3)).code).toBe('unsupported');
    });

    it("refuses a quote from a QE that is not Intel's", () => {
        const quote = Buffer.from(readVector('tdx-v4-edgeless.dat'));
        quote[12] ^= 0xff; // qe_vendor_id starts at offset 12
        expect(verifyError(quote).message).toMatch(/not Intel's quoting enclave/);
    });

    it('fails with an empty set of pinned roots', () => {
        const err = verifyError(readVector('tdx-v4-edgeless.dat'), { at: VERIFY_AT, roots: [] });
        expect(err.code).toBe('certificate');
        expect(err.message).toMatch(/no pinned root/);
    });

    it('ignores the root embedded in the quote: another pinned root fails', () => {
        const err = verifyError(readVector('tdx-v4-edgeless.dat'), { at: VERIFY_AT, roots: [SAMPLE_ROOT_PEM()] });
        expect(err.code).toBe('certificate');
        expect(err.message).toMatch(/does not chain to a pinned root/);
    });

    it('checks certificate validity at the given time', () => {
        const quote = readVector('tdx-v4-edgeless.dat'); // PCK valid 2023-01-26 .. 2030-01-26
        expect(verifyError(quote, { at: new Date('2031-01-01') }).message).toMatch(/not valid at 2031/);
        expect(verifyError(quote, { at: new Date('2022-01-01') }).message).toMatch(/not valid at 2022/);
    });

    it('verifies the Intel sample quote (DER chain, empty QE auth data) with its CRLs under the sample root', () => {
        const verified = verifyQuote(readCollateralFile('quote.dat'), {
            at: VERIFY_AT,
            roots: [SAMPLE_ROOT_PEM()],
            crls: [readCollateralFile('rootCaCrl.der'), readCollateralFile('intermediateCaCrl.der')],
        });
        expect(verified.pck.fmspc).toBe('ed742af8adf5');
        expect(verified.pck.pceSvn).toBe(10593);
        expect(verified.pck.pceId).toBe('8a67');
    });

    it('refuses CRLs that are not current, or not signed by the chain', () => {
        const quote = readCollateralFile('quote.dat');
        const roots = [SAMPLE_ROOT_PEM()];
        const crl = readCollateralFile('rootCaCrl.der'); // next update 2031-08-04
        expect(verifyError(quote, { at: new Date('2032-01-01'), roots, crls: [crl] }).message).toMatch(/CRL|not valid/);
        const tampered = Buffer.from(crl);
        tampered[tampered.length - 10] ^= 0x01;
        expect(verifyError(quote, { at: VERIFY_AT, roots, crls: [tampered] }).code).toBe('certificate');
        // Intel's sample root CA CRL names "Intel SGX Root CA" but is signed by Intel's test root, not the production
        // root that anchors the real quotes' chains: a forgery as far as those chains are concerned.
        const err = verifyError(readVector('tdx-v4-edgeless.dat'), { at: VERIFY_AT, crls: [crl] });
        expect(err.message).toMatch(/CRL naming "[^"]*Intel SGX Root CA[^"]*" is not signed by it/);
    });
});
