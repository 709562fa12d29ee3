/**
 * Attestation benchmark: time to parse and fully verify (DCAP: PCK chain, QE report, key binding, quote signature,
 * SGX extensions) each real TDX quote in $CHRYSALIS_TEST_VECTORS/tdx (default ../shared/testdata/tdx), and the cost of a cached policy check.
 * Run: npx tsx worker-runtime/bench/attestation.ts [iterations]
 */
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
    attest,
    createProvider,
    parseQuote,
    SIMULATED_MEASUREMENTS,
    imageHashBigInt,
    VerdictCache,
    VerifiedFacts,
    verifyAttestation,
    verifyQuote,
} from '../src/tee';

// The real quotes are third-party data outside the repository, found as `npm run test:vectors` finds them.
const VECTORS_DIR = path.resolve(__dirname, '../..', process.env.CHRYSALIS_TEST_VECTORS || '../shared/testdata');
const TDX_DIR = path.join(VECTORS_DIR, 'tdx');
const AT = new Date('2025-09-01T00:00:00Z');
const iterations = Number(process.argv[2] ?? 200);

function stats(samples: number[]): string {
    const sorted = [...samples].sort((a, b) => a - b);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    return `mean ${mean.toFixed(3)} ms  p50 ${pct(50).toFixed(3)} ms  p99 ${pct(99).toFixed(3)} ms`;
}

function time(fn: () => void): number[] {
    for (let i = 0; i < 20; i++) fn(); // warm-up: JIT and OpenSSL key setup
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
        const t0 = process.hrtime.bigint();
        fn();
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return samples;
}

async function main(): Promise<void> {
    if (!fs.existsSync(TDX_DIR)) {
        throw new Error(`no TDX test vectors in ${TDX_DIR}: set CHRYSALIS_TEST_VECTORS to the folder holding tdx/`);
    }
    console.log(`attestation benchmark, ${iterations} iterations per quote, node ${process.version}`);
    const all: number[] = [];
    for (const file of fs
        .readdirSync(TDX_DIR)
        .filter((f) => f.endsWith('.dat'))
        .sort()) {
        const quote = fs.readFileSync(path.join(TDX_DIR, file));
        const parse = time(() => parseQuote(quote));
        const verify = time(() => verifyQuote(quote, { at: AT }));
        all.push(...verify);
        console.log(`${file.padEnd(22)} parse   ${stats(parse)}`);
        console.log(`${''.padEnd(22)} verify  ${stats(verify)}`);
    }
    console.log(`${'all quotes'.padEnd(22)} verify  ${stats(all)}`);

    // A peer seen again on the same connection: policy check served from the verdict cache.
    const publicKey = Buffer.from(
        generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string,
        'base64url',
    );
    const quiet = { warn: () => undefined };
    const document = await attest(createProvider({ kind: 'simulated', logger: quiet }), publicKey);
    const cache = new VerdictCache<VerifiedFacts>();
    const policy = {
        registry: {
            isTestNetwork: () => true,
            workerImageAllowed: (h: bigint) => h === imageHashBigInt(SIMULATED_MEASUREMENTS),
            proxyImageAllowed: () => false,
        },
        role: 'worker' as const,
        cache,
        logger: quiet,
    };
    await verifyAttestation({ document, publicKey }, policy);
    const cached: number[] = [];
    for (let i = 0; i < iterations; i++) {
        const t0 = process.hrtime.bigint();
        const v = await verifyAttestation({ document, publicKey }, policy);
        cached.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!v.valid || !v.cached) throw new Error('expected a cached verdict');
    }
    console.log(`${'cached policy check'.padEnd(22)}         ${stats(cached)}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
