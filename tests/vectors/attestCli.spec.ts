import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeDocument, imageHash, parseQuote } from '../../worker-runtime/src/tee';
import { chrysalis } from '../fixtures/cli';
import { COLLATERAL_DIR, readVector, TDX_DIR, VECTORS } from './testdata';

describe('chrysalis attest on real TDX quotes', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-attest-cli-'));
    const edgeless = readVector('tdx-v4-edgeless.dat');
    const write = (name: string, data: string | Buffer) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, data);
        return file;
    };
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('verifies a binary quote and prints its fields and verdict', async () => {
        const r = await chrysalis('attest', 'verify', path.join(TDX_DIR, 'tdx-v4-edgeless.dat'), '--at', '2025-09-01');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`MRTD         ${VECTORS[0].mrTd}`);
        expect(r.stdout).toContain('FMSPC        00806f050000');
        expect(r.stdout).toContain('PCESVN       11');
        expect(r.stdout).toContain('verdict      VALID');
    });

    it.each([
        ['hex', edgeless.toString('hex')],
        ['0x-hex with newlines', `0x${edgeless.toString('hex').replace(/(.{64})/g, '$1\n')}`],
        ['base64', edgeless.toString('base64')],
        ['base64 with line breaks', `${edgeless.toString('base64').replace(/(.{76})/g, '$1\n')}\n`],
        ['document', JSON.stringify({ kind: 'tdx', quote: edgeless.toString('base64') })],
    ])('reads a %s quote and prints --json', async (name, text) => {
        const r = await chrysalis(
            'attest',
            'verify',
            write(`${name}.txt`, text),
            '--at',
            '2025-09-01T00:00:00Z',
            '--json',
        );
        expect(r.code).toBe(0);
        const out = JSON.parse(r.stdout);
        const body = parseQuote(edgeless).body;
        expect(out).toMatchObject({
            valid: true,
            version: 4,
            teeType: 129,
            mrTd: VECTORS[0].mrTd,
            rtmr0: body.rtmr0.toString('hex'),
            rtmr1: body.rtmr1.toString('hex'),
            rtmr2: body.rtmr2.toString('hex'),
            rtmr3: body.rtmr3.toString('hex'),
            reportData: VECTORS[0].reportData,
            fmspc: '00806f050000',
            pcesvn: 11,
            imageHash: imageHash(body).toString('hex'),
            error: null,
        });
    });

    it('reports the v5 quote', async () => {
        const r = await chrysalis(
            'attest',
            'verify',
            path.join(TDX_DIR, 'tdx-v5-trustee.dat'),
            '--at',
            '2025-09-01',
            '--json',
        );
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, version: 5, fmspc: '90c06f000000', pcesvn: 13 });
    });

    it('exits 1 with the parsed fields and an error for a tampered quote', async () => {
        const tampered = Buffer.from(edgeless);
        tampered[300] ^= 1;
        const r = await chrysalis('attest', 'verify', write('tampered.dat', tampered), '--at', '2025-09-01', '--json');
        expect(r.code).toBe(1);
        const out = JSON.parse(r.stdout);
        expect(out.valid).toBe(false);
        expect(out.version).toBe(4);
        expect(out.error).toMatch(/^signature: quote signature/);
    });

    it('exits 1 for expired certificates at the current time and for garbage', async () => {
        const expired = await chrysalis(
            'attest',
            'verify',
            path.join(TDX_DIR, 'tdx-v4-edgeless.dat'),
            '--at',
            '2031-01-01',
        );
        expect(expired.code).toBe(1);
        expect(expired.stdout).toMatch(/verdict {6}INVALID: certificate: .*not valid at 2031/);
        const garbage = await chrysalis(
            'attest',
            'verify',
            write('garbage.bin', Buffer.from([0, 1, 2, 3, 250])),
            '--json',
        );
        expect(garbage.code).toBe(1);
        expect(JSON.parse(garbage.stdout)).toMatchObject({
            valid: false,
            mrTd: null,
            error: expect.stringMatching(/truncated/),
        });
    });

    it('evaluates collateral when given and refuses the mismatching Intel sample', async () => {
        const r = await chrysalis(
            'attest',
            'verify',
            path.join(COLLATERAL_DIR, 'quote.dat'),
            '--at',
            '2025-09-01',
            '--root',
            path.join(COLLATERAL_DIR, 'trustedRootCaCert.pem'),
            '--crl',
            path.join(COLLATERAL_DIR, 'rootCaCrl.der'),
            '--collateral',
            COLLATERAL_DIR,
            '--json',
        );
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout)).toMatchObject({
            valid: false,
            fmspc: 'ed742af8adf5',
            pcesvn: 10593,
            tcbStatus: null,
            error: expect.stringMatching(/^collateral: .*below every TCB level/),
        });
        const noCollateral = await chrysalis(
            'attest',
            'verify',
            path.join(COLLATERAL_DIR, 'quote.dat'),
            '--at',
            '2025-09-01',
            '--root',
            path.join(COLLATERAL_DIR, 'trustedRootCaCert.pem'),
        );
        expect(noCollateral.code).toBe(0);
    });

    it('prints the image hash to put in the registry', async () => {
        const expected = imageHash(parseQuote(readVector('tdx-v4-cocoon.dat')).body).toString('hex');
        const r = await chrysalis('attest', 'image-hash', path.join(TDX_DIR, 'tdx-v4-cocoon.dat'));
        expect(r.code).toBe(0);
        expect(r.stdout.trim()).toBe(expected);
        const json = await chrysalis('attest', 'image-hash', path.join(TDX_DIR, 'tdx-v4-cocoon.dat'), '--json');
        expect(JSON.parse(json.stdout)).toEqual({
            imageHash: expected,
            imageHashDecimal: BigInt(`0x${expected}`).toString(),
        });
    });
});
