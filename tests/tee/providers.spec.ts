import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
    attest,
    AttestationError,
    bindingReportData,
    createProvider,
    decodeDocument,
    encodeDocument,
    isSimulatedQuote,
    parseQuote,
    SIMULATED_MEASUREMENTS,
    SimulatedProvider,
    TdxProvider,
    verifySimulatedQuote,
} from '../../worker-runtime/src/tee';
import { createTdxWorld } from './syntheticQuote';
import { rejection } from '../fixtures/rejection';

const silent = { warn: () => undefined };

/**
 * A fake configfs-tsm report directory with the kernel's file protocol: an entry with `provider`, `generation`,
 * `inblob`, and an `outblob` holding the quote the "kernel" will return.
 */
function fakeConfigfs(options: { quote: Buffer; provider?: string; generationAfterRead?: number }) {
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chrysalis-tsm-'));
    const entryName = 'entry0';
    const entry = path.join(reportDir, entryName);
    fs.mkdirSync(entry);
    fs.writeFileSync(path.join(entry, 'provider'), `${options.provider ?? 'tdx_guest'}\n`);
    fs.writeFileSync(path.join(entry, 'generation'), '0\n');
    fs.writeFileSync(path.join(entry, 'outblob'), options.quote);
    // The kernel bumps `generation` on each inblob write. A plain directory cannot react to writes, so withKernel()
    // wraps fs.promises.writeFile to do that bump (to 1 for our single write, to 2 to emulate a racing writer).
    const generationAfter = options.generationAfterRead ?? 1;
    const realWrite = fs.promises.writeFile;
    return {
        reportDir,
        entryName,
        entry,
        async withKernel<T>(fn: () => Promise<T>): Promise<T> {
            const spy = jest.spyOn(fs.promises, 'writeFile').mockImplementation(async (file, data, opts) => {
                await realWrite(file, data, opts as never);
                if (String(file).endsWith('inblob'))
                    await realWrite(path.join(entry, 'generation'), `${generationAfter}\n`);
            });
            try {
                return await fn();
            } finally {
                spy.mockRestore();
            }
        },
        cleanup: () => fs.rmSync(reportDir, { recursive: true, force: true }),
    };
}

describe('TdxProvider over configfs-tsm', () => {
    // A synthetic TDX quote stands in for what the kernel returns; its report_data binds this key and nonce.
    const key = Buffer.alloc(32, 3);
    const nonce = Buffer.alloc(32, 4);
    const tdxQuote = createTdxWorld().quote(key, nonce);
    const quoteReportData = bindingReportData(key, nonce);

    it('writes the report data to inblob and returns the quote from outblob', async () => {
        const fake = fakeConfigfs({ quote: tdxQuote });
        try {
            const provider = new TdxProvider({ reportDir: fake.reportDir, entryName: fake.entryName });
            const quote = await fake.withKernel(() => provider.getQuote(quoteReportData));
            expect(quote.equals(tdxQuote)).toBe(true);
            expect(fs.readFileSync(path.join(fake.entry, 'inblob')).equals(quoteReportData)).toBe(true);
        } finally {
            fake.cleanup();
        }
    });

    it('refuses a quote over other report data than requested', async () => {
        const fake = fakeConfigfs({ quote: tdxQuote });
        try {
            const provider = new TdxProvider({ reportDir: fake.reportDir, entryName: fake.entryName });
            const err = await rejection(
                fake.withKernel(() => provider.getQuote(Buffer.alloc(64, 7))),
                AttestationError,
            );
            expect(err.message).toMatch(/different report data/);
        } finally {
            fake.cleanup();
        }
    });

    it('detects a concurrent writer through the generation counter', async () => {
        const fake = fakeConfigfs({ quote: tdxQuote, generationAfterRead: 2 });
        try {
            const provider = new TdxProvider({ reportDir: fake.reportDir, entryName: fake.entryName });
            const err = await rejection(
                fake.withKernel(() => provider.getQuote(quoteReportData)),
                AttestationError,
            );
            expect(err.message).toMatch(/written concurrently \(generation 0 → 2\)/);
        } finally {
            fake.cleanup();
        }
    });

    it('refuses another TSM provider and an empty outblob', async () => {
        const sev = fakeConfigfs({ quote: tdxQuote, provider: 'sev_guest' });
        const empty = fakeConfigfs({ quote: Buffer.alloc(0) });
        try {
            const p1 = new TdxProvider({ reportDir: sev.reportDir, entryName: sev.entryName });
            expect(
                (
                    await rejection(
                        sev.withKernel(() => p1.getQuote(quoteReportData)),
                        AttestationError,
                    )
                ).message,
            ).toMatch(/sev_guest/);
            const p2 = new TdxProvider({ reportDir: empty.reportDir, entryName: empty.entryName });
            expect(
                (
                    await rejection(
                        empty.withKernel(() => p2.getQuote(quoteReportData)),
                        AttestationError,
                    )
                ).message,
            ).toMatch(/empty quote/);
        } finally {
            sev.cleanup();
            empty.cleanup();
        }
    });

    it('gives a clear error when configfs-tsm is absent', async () => {
        const provider = new TdxProvider({ reportDir: path.join(os.tmpdir(), 'chrysalis-no-such-tsm', 'report') });
        const err = await rejection(provider.getQuote(Buffer.alloc(64)), AttestationError);
        expect(err.code).toBe('provider');
        expect(err.message).toMatch(/configfs-tsm is not available/);
    });

    it('requires exactly 64 bytes of report data', async () => {
        const err = await rejection(new TdxProvider().getQuote(Buffer.alloc(32)), AttestationError);
        expect(err.message).toMatch(/64 bytes/);
    });
});

describe('SimulatedProvider and attestation documents', () => {
    it('produces a marked, signed document that binds the key and nonce', async () => {
        const warnings: string[] = [];
        const provider = createProvider({ kind: 'simulated', logger: { warn: (m) => warnings.push(m) } });
        expect(warnings.join()).toMatch(/SIMULATED ATTESTATION/);
        const publicKey = Buffer.alloc(32, 1);
        const nonce = Buffer.from('nonce');
        const doc = await attest(provider, publicKey, nonce);
        expect(doc.kind).toBe('simulated');
        const bytes = Buffer.from(doc.quote, 'base64');
        expect(isSimulatedQuote(bytes)).toBe(true);
        expect(bytes.subarray(0, 32).toString('ascii')).toBe('CHRYSALIS-SIMULATED-TDX-QUOTE-V1');
        const { body } = verifySimulatedQuote(bytes);
        expect(body.reportData.equals(bindingReportData(publicKey, nonce))).toBe(true);
        expect(body.mrTd.equals(SIMULATED_MEASUREMENTS.mrTd)).toBe(true);
    });

    it('cannot pass as a TDX quote, and its signature covers the body', async () => {
        const bytes = await new SimulatedProvider({ logger: silent }).getQuote(Buffer.alloc(64, 3));
        expect(() => parseQuote(bytes)).toThrow(AttestationError);
        const tampered = Buffer.from(bytes);
        tampered[40] ^= 1;
        expect(() => verifySimulatedQuote(tampered)).toThrow(/signature/);
        expect(() => verifySimulatedQuote(bytes.subarray(0, 100))).toThrow(/must be/);
    });

    it('round-trips documents through JSON and refuses malformed ones', () => {
        const quote = createTdxWorld().quote(Buffer.alloc(32, 1));
        const doc = { kind: 'tdx' as const, quote: quote.toString('base64') };
        const decoded = decodeDocument(encodeDocument(doc));
        expect(decoded.kind).toBe('tdx');
        expect(decoded.bytes.equals(quote)).toBe(true);
        expect(() => decodeDocument('not json')).toThrow(/not JSON/);
        expect(() => decodeDocument({ kind: 'sgx', quote: 'AA==' })).toThrow(/kind/);
        expect(() => decodeDocument({ kind: 'tdx', quote: '***' })).toThrow(/base64/);
        expect(() => decodeDocument(null)).toThrow(/object/);
    });

    it('creates a TDX provider from config and refuses unknown kinds', () => {
        expect(createProvider({ kind: 'tdx' }).kind).toBe('tdx');
        expect(() => createProvider({ kind: 'sev' } as never)).toThrow(/unknown attestation provider kind/);
    });
});
