import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keyPairFromSeed } from '@ton/crypto';
import {
    attest,
    bindingReportData,
    decodeDocument,
    encodeDocument,
    imageHash,
    parseQuote,
    SIMULATED_MEASUREMENTS,
    SimulatedProvider,
} from '../../worker-runtime/src/tee';
import { chrysalis } from '../fixtures/cli';
import { createTdxWorld } from './syntheticQuote';

describe('chrysalis attest', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-attest-cli-'));
    const write = (name: string, data: string | Buffer) => {
        const file = path.join(tmp, name);
        fs.writeFileSync(file, data);
        return file;
    };
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('marks a simulated document as such and refuses it, but still prints its image hash', async () => {
        const provider = new SimulatedProvider({ logger: { warn: () => undefined } });
        const doc = await attest(provider, Buffer.alloc(32, 5));
        const file = write('simulated.json', encodeDocument(doc));
        const r = await chrysalis('attest', 'verify', file, '--json');
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout)).toMatchObject({
            valid: false,
            kind: 'simulated',
            mrTd: SIMULATED_MEASUREMENTS.mrTd.toString('hex'),
            error: expect.stringMatching(/simulated quote .* only on test networks/),
        });
        const hash = await chrysalis('attest', 'image-hash', file);
        expect(hash.stdout.trim()).toBe(imageHash(SIMULATED_MEASUREMENTS).toString('hex'));
    });

    it('quote: makes a quote through configfs-tsm over the key and prints the image hash to allow', async () => {
        const seedFile = write('worker.seed', `${'ab'.repeat(32)}\n`);
        const publicKey = Buffer.from(keyPairFromSeed(Buffer.from('ab'.repeat(32), 'hex')).publicKey);
        const nonce = Buffer.alloc(32, 9);
        const tdxQuote = createTdxWorld().quote(publicKey, nonce);
        // A configfs-tsm report directory as the kernel shows it, with the quote it will hand back.
        const reportDir = fs.mkdtempSync(path.join(tmp, 'tsm-'));
        fs.mkdirSync(path.join(reportDir, 'entry'));
        fs.writeFileSync(path.join(reportDir, 'entry', 'provider'), 'tdx_guest\n');
        fs.writeFileSync(path.join(reportDir, 'entry', 'outblob'), tdxQuote);
        const out = path.join(tmp, 'attestation.json');
        const args = ['--key', seedFile, '--nonce', nonce.toString('hex'), '--tsm', reportDir, '--tsm-entry', 'entry'];
        const r = await chrysalis('attest', 'quote', ...args, '--out', out, '--json');
        expect(r.code).toBe(0);
        const expectedHash = imageHash(parseQuote(tdxQuote).body).toString('hex');
        expect(JSON.parse(r.stdout)).toMatchObject({
            imageHash: expectedHash,
            publicKey: publicKey.toString('hex'),
            document: out,
            debug: false,
        });
        // The kernel was asked for exactly the binding of this key and nonce, and the document holds its quote.
        expect(
            fs.readFileSync(path.join(reportDir, 'entry', 'inblob')).equals(bindingReportData(publicKey, nonce)),
        ).toBe(true);
        expect(decodeDocument(fs.readFileSync(out, 'utf8')).bytes.equals(tdxQuote)).toBe(true);
        const text = await chrysalis('attest', 'quote', ...args, '--out', out);
        expect(text.stdout).toContain(`image hash   ${expectedHash}\n`);
        expect(text.stdout).toContain(
            `allowWorkerImage --testnet --tonconnect -- --registry <addr> --image ${expectedHash}`,
        );
        // What `attest image-hash` prints for the saved document is the same.
        expect((await chrysalis('attest', 'image-hash', out)).stdout.trim()).toBe(expectedHash);
    });

    it('quote: names configfs-tsm when this is not a TDX guest, and wants a key', async () => {
        const absent = path.join(tmp, 'no-tsm', 'report');
        const r = await chrysalis('attest', 'quote', '--public-key', '11'.repeat(32), '--tsm', absent);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`configfs-tsm is not available at ${absent}`);
        expect((await chrysalis('attest', 'quote')).code).toBe(2);
        const short = await chrysalis('attest', 'quote', '--public-key', 'abcd', '--tsm', absent);
        expect(short.code).toBe(1);
        expect(short.stderr).toMatch(/--public-key: expected 32 bytes of hex/);
    });

    it('shows usage for a wrong command and an error for a missing file', async () => {
        expect((await chrysalis('attest', 'frobnicate')).code).toBe(2);
        const missing = await chrysalis('attest', 'verify', path.join(tmp, 'nope.dat'));
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/ENOENT|no such file/);
    });
});
