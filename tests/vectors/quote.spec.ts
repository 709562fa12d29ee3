import fc from 'fast-check';
import { AttestationError, parseQuote } from '../../worker-runtime/src/tee';
import { readCollateralFile, readVector, VECTORS } from './testdata';

function expectAttestationError(fn: () => unknown, code: string, message?: RegExp): void {
    try {
        fn();
    } catch (err) {
        expect(err).toBeInstanceOf(AttestationError);
        expect((err as AttestationError).code).toBe(code);
        if (message) expect((err as Error).message).toMatch(message);
        return;
    }
    throw new Error('expected an AttestationError');
}

describe('TDX quote parser', () => {
    it.each(VECTORS)('parses $file with the expected header, MRTD and report_data', (v) => {
        const q = parseQuote(readVector(v.file));
        expect(q.header.version).toBe(v.version);
        expect(q.header.teeType).toBe(0x81);
        expect(q.header.attestationKeyType).toBe(2);
        expect(q.body.mrTd.toString('hex')).toBe(v.mrTd);
        expect(q.body.reportData.toString('hex')).toBe(v.reportData);
        expect(q.signature).toHaveLength(64);
        expect(q.attestationKey).toHaveLength(64);
        expect(q.certDataType).toBe(5);
        expect(q.certData.toString('latin1')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    });

    it('reads mr_config_id, mr_owner and mr_owner_config as zero in the first three vectors', () => {
        for (const v of VECTORS.slice(0, 3)) {
            const body = parseQuote(readVector(v.file)).body;
            for (const field of [body.mrConfigId, body.mrOwner, body.mrOwnerConfig]) {
                expect(field.equals(Buffer.alloc(48))).toBe(true);
            }
        }
    });

    it('reads the v5 quote as a TD 1.5 body and signs over its body descriptor', () => {
        const q = parseQuote(readVector('tdx-v5-trustee.dat'));
        expect(q.bodyType).toBe('td15');
        expect(q.body.teeTcbSvn2).toHaveLength(16);
        expect(q.body.mrServiceTd).toHaveLength(48);
        expect(q.signedRegion).toHaveLength(48 + 6 + 648);
        expect(parseQuote(readVector('tdx-v4-edgeless.dat')).signedRegion).toHaveLength(48 + 584);
    });

    it('reads the cocoon worker RTMRs and tolerates its zero padding', () => {
        const q = parseQuote(readVector('tdx-v4-cocoon.dat'));
        expect(q.body.rtmr0.toString('hex')).toMatch(/^251a7f3c/);
        expect(q.body.rtmr1.toString('hex')).toMatch(/^7a6eb32a/);
        expect(q.body.rtmr2.toString('hex')).toMatch(/^aaccda38/);
        expect(q.body.rtmr3.equals(Buffer.alloc(48))).toBe(true);
        expect(q.trailingBytes).toBe(70);
    });

    it('parses the Intel sample quote whose PCK chain is DER and whose QE auth data is empty', () => {
        const q = parseQuote(readCollateralFile('quote.dat'));
        expect(q.qeAuthData).toHaveLength(0);
        expect(q.certData[0]).toBe(0x30);
    });

    it('refuses an SGX quote (tee_type 0) with a clear error', () => {
        const sgx = Buffer.from(readVector('tdx-v4-edgeless.dat'));
        sgx.writeUInt32LE(0, 4);
        expectAttestationError(() => parseQuote(sgx), 'unsupported', /SGX quote \(tee_type 0x00\) refused/);
        sgx.writeUInt16LE(3, 0); // an SGX v3 header
        expectAttestationError(() => parseQuote(sgx), 'unsupported', /SGX quote/);
    });

    it('refuses other versions, tee types and attestation key types', () => {
        const base = readVector('tdx-v4-edgeless.dat');
        const withU16 = (offset: number, value: number) => {
            const b = Buffer.from(base);
            b.writeUInt16LE(value, offset);
            return b;
        };
        expectAttestationError(() => parseQuote(withU16(0, 6)), 'malformed', /version 6/);
        expectAttestationError(() => parseQuote(withU16(2, 3)), 'unsupported', /ECDSA-P256/);
        expectAttestationError(() => parseQuote(withU16(4, 0x80)), 'unsupported', /tee_type 0x80/);
        const v5 = Buffer.from(readVector('tdx-v5-trustee.dat'));
        v5.writeUInt16LE(1, 48); // v5 body type 1 = SGX enclave report
        expectAttestationError(() => parseQuote(v5), 'unsupported', /SGX enclave body/);
    });

    it('gives a clear error for every truncation of a quote', () => {
        const q = readVector('tdx-v4-edgeless.dat');
        const ends = parseQuote(q);
        const fullLength = q.length - ends.trailingBytes;
        for (let len = 0; len < fullLength; len++) {
            expectAttestationError(() => parseQuote(q.subarray(0, len)), 'malformed', /truncated/);
        }
    });

    it('never crashes or hangs on random bytes or random mutations of a quote', () => {
        const q = readVector('tdx-v4-phala.dat');
        const outcome = (bytes: Uint8Array) => {
            try {
                parseQuote(bytes);
                return 'parsed';
            } catch (err) {
                if (!(err instanceof AttestationError)) throw err;
                return err.code;
            }
        };
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 6000 }), (bytes) => outcome(bytes) !== undefined),
            {
                numRuns: 300,
            },
        );
        // Mutations of real quotes reach the deeper length fields.
        fc.assert(
            fc.property(fc.nat(q.length - 1), fc.integer({ min: 1, max: 255 }), (pos, x) => {
                const m = Buffer.from(q);
                m[pos] ^= x;
                return outcome(m) !== undefined;
            }),
            { numRuns: 500 },
        );
    });

    it('refuses a non-byte input', () => {
        expectAttestationError(() => parseQuote('quote' as unknown as Uint8Array), 'malformed', /bytes/);
    });
});
