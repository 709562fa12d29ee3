import { createHash, generateKeyPairSync } from 'node:crypto';
import {
    attest,
    AttestationPolicy,
    AttestationVerdict,
    Collateral,
    createProvider,
    imageHash,
    imageHashBigInt,
    parseQuote,
    RegistryView,
    SIMULATED_MEASUREMENTS,
    VerdictCache,
    VerifiedFacts,
    verifyAttestation,
} from '../../worker-runtime/src/tee';
import { createTdxWorld } from './syntheticQuote';

/** An in-memory registry view, as the chain watcher will provide from the on-chain allow-lists. */
function registry(options: { test: boolean; workers?: bigint[]; proxies?: bigint[] }): RegistryView {
    return {
        isTestNetwork: () => options.test,
        workerImageAllowed: (h) => (options.workers ?? []).includes(h),
        proxyImageAllowed: (h) => (options.proxies ?? []).includes(h),
    };
}

function ed25519PublicKey(): Buffer {
    const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    return Buffer.from(jwk.x as string, 'base64url');
}

function refusal(v: AttestationVerdict): { code: string; message: string } {
    if (v.valid) throw new Error('expected a refusal');
    return v.error;
}

const simulatedImage = imageHashBigInt(SIMULATED_MEASUREMENTS);
const warnings: string[] = [];
const logger = { warn: (m: string) => warnings.push(m) };

describe('image hash and binding', () => {
    it('is SHA-256(MRTD ‖ RTMR0 ‖ RTMR1 ‖ RTMR2) and ignores RTMR3', () => {
        const body = parseQuote(createTdxWorld().quote(ed25519PublicKey())).body;
        const expected = createHash('sha256')
            .update(Buffer.concat([body.mrTd, body.rtmr0, body.rtmr1, body.rtmr2]))
            .digest();
        expect(imageHash(body).equals(expected)).toBe(true);
        expect(imageHash({ ...body, rtmr3: Buffer.alloc(48, 9) } as typeof body).equals(expected)).toBe(true);
        expect(imageHash({ ...body, rtmr2: Buffer.alloc(48, 9) }).equals(expected)).toBe(false);
    });
});

describe('attestation policy', () => {
    beforeEach(() => warnings.splice(0));

    it('accepts a simulated worker on a test network with its image allow-listed, and warns loudly', async () => {
        const publicKey = ed25519PublicKey();
        const nonce = Buffer.from('challenge-1');
        const document = await attest(createProvider({ kind: 'simulated', logger }), publicKey, nonce);
        const verdict = await verifyAttestation(
            { document, publicKey, nonce },
            { registry: registry({ test: true, workers: [simulatedImage] }), role: 'worker', logger },
        );
        expect(verdict.valid).toBe(true);
        if (verdict.valid) {
            expect(verdict.kind).toBe('simulated');
            expect(verdict.imageHashHex).toBe(simulatedImage.toString(16).padStart(64, '0'));
        }
        expect(warnings.some((w) => /SIMULATED ATTESTATION for a worker on a test network/.test(w))).toBe(true);
    });

    it('warns about a simulated peer once per process, not at every re-check, and about each new peer', async () => {
        const peerWarnings = () => warnings.filter((w) => /SIMULATED ATTESTATION for a worker/.test(w)).length;
        const policy = {
            registry: registry({ test: true, workers: [simulatedImage] }),
            role: 'worker' as const,
            logger,
        };
        const check = async (publicKey: Buffer, nonce: string) => {
            const document = await attest(createProvider({ kind: 'simulated', logger }), publicKey, Buffer.from(nonce));
            expect((await verifyAttestation({ document, publicKey, nonce: Buffer.from(nonce) }, policy)).valid).toBe(
                true,
            );
        };
        const first = ed25519PublicKey();
        await check(first, 'one');
        expect(peerWarnings()).toBe(1);
        await check(first, 'two'); // the same peer re-announcing: fresh quote, no new warning
        expect(peerWarnings()).toBe(1);
        await check(ed25519PublicKey(), 'three');
        expect(peerWarnings()).toBe(2);
    });

    it('refuses a simulated document outside test networks', async () => {
        const publicKey = ed25519PublicKey();
        const document = await attest(createProvider({ kind: 'simulated', logger }), publicKey);
        const verdict = await verifyAttestation(
            { document: JSON.stringify(document), publicKey },
            { registry: registry({ test: false, workers: [simulatedImage] }), role: 'worker', logger },
        );
        expect(refusal(verdict)).toEqual({ code: 'policy', message: expect.stringMatching(/not a test network/) });
    });

    it('refuses another key, another nonce, a missing nonce, the wrong role and a debug TD', async () => {
        const publicKey = ed25519PublicKey();
        const nonce = Buffer.from('n1');
        const provider = createProvider({ kind: 'simulated', logger });
        const document = await attest(provider, publicKey, nonce);
        const policy: AttestationPolicy = {
            registry: registry({ test: true, workers: [simulatedImage] }),
            role: 'worker',
            logger,
        };
        expect(refusal(await verifyAttestation({ document, publicKey: ed25519PublicKey(), nonce }, policy)).code).toBe(
            'binding',
        );
        expect(refusal(await verifyAttestation({ document, publicKey, nonce: Buffer.from('n2') }, policy)).code).toBe(
            'binding',
        );
        expect(refusal(await verifyAttestation({ document, publicKey }, policy)).code).toBe('binding');
        const asProxy = await verifyAttestation({ document, publicKey, nonce }, { ...policy, role: 'proxy' });
        expect(refusal(asProxy).message).toMatch(/proxy allow-list/);

        const debugDoc = await attest(createProvider({ kind: 'simulated', debug: true, logger }), publicKey);
        expect(refusal(await verifyAttestation({ document: debugDoc, publicKey }, policy)).message).toMatch(/debug TD/);
        expect(
            (await verifyAttestation({ document: debugDoc, publicKey }, { ...policy, allowDebug: true })).valid,
        ).toBe(true);
    });

    it('caches a verified peer per (quote, key, nonce) and re-checks the registry on every hit', async () => {
        const publicKey = ed25519PublicKey();
        const document = await attest(createProvider({ kind: 'simulated', logger }), publicKey);
        const allowed = [simulatedImage];
        const cache = new VerdictCache<VerifiedFacts>({ ttlMs: 60_000 });
        const policy: AttestationPolicy = {
            registry: registry({ test: true, workers: allowed }),
            role: 'worker',
            cache,
            logger,
        };
        const at = new Date('2026-01-01T00:00:00Z');

        const first = await verifyAttestation({ document, publicKey, at }, policy);
        const second = await verifyAttestation({ document, publicKey, at }, policy);
        expect(first.valid && !first.cached).toBe(true);
        expect(second.valid && second.cached).toBe(true);
        expect(cache.size).toBe(1);
        // Another key misses the cache and is refused.
        expect(refusal(await verifyAttestation({ document, publicKey: ed25519PublicKey(), at }, policy)).code).toBe(
            'binding',
        );
        // The image leaves the allow-list: the cached peer is refused at once.
        allowed.pop();
        expect(refusal(await verifyAttestation({ document, publicKey, at }, policy)).message).toMatch(/allow-list/);
        allowed.push(simulatedImage);
        // After the TTL the entry is verified again.
        const later = await verifyAttestation({ document, publicKey, at: new Date(at.getTime() + 61_000) }, policy);
        expect(later.valid && !later.cached).toBe(true);
    });

    it('evicts the least recently used entries beyond its size', () => {
        const cache = new VerdictCache<number>({ maxEntries: 2 });
        cache.set('a', 1, 0);
        cache.set('b', 2, 0);
        expect(cache.get('a', 0)).toBe(1);
        cache.set('c', 3, 0);
        expect(cache.get('b', 0)).toBeUndefined();
        expect(cache.get('a', 0)).toBe(1);
        cache.set('d', 4, 0, 10); // expires with its certificates at t=10
        expect(cache.get('d', 11)).toBeUndefined();
    });

    it('turns garbage input into a refusal, never an exception', async () => {
        const policy: AttestationPolicy = { registry: registry({ test: true }), role: 'proxy', logger };
        const publicKey = ed25519PublicKey();
        for (const input of [
            { document: '{"kind":"tdx","quote":"AAAA"}', publicKey },
            { document: 'garbage', publicKey },
            { quote: Buffer.alloc(0), publicKey },
            { publicKey },
            { quote: createTdxWorld().quote(publicKey), publicKey: Buffer.alloc(5) },
        ]) {
            const verdict = await verifyAttestation(input, policy);
            expect(verdict.valid).toBe(false);
        }
    });
});
