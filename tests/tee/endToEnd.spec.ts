import { generateKeyPairSync } from 'node:crypto';
import {
    AttestationPolicy,
    AttestationVerdict,
    imageHashBigInt,
    parseQuote,
    RegistryView,
    VerdictCache,
    VerifiedFacts,
    verifyAttestation,
    verifyQuote,
} from '../../worker-runtime/src/tee';
import { createTdxWorld } from './syntheticQuote';

const at = new Date('2025-09-01T00:00:00Z');

function ed25519PublicKey(): Buffer {
    return Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x as string, 'base64url');
}

function refusal(v: AttestationVerdict): { code: string; message: string } {
    if (v.valid) throw new Error('expected a refusal');
    return v.error;
}

describe('TDX attestation end to end (synthetic DCAP world under a generated root)', () => {
    const world = createTdxWorld();
    const publicKey = ed25519PublicKey();
    const nonce = Buffer.from('proxy-challenge-42');
    const quote = world.quote(publicKey, nonce);
    const image = imageHashBigInt(parseQuote(quote).body);
    const registry = (workers: bigint[]): RegistryView => ({
        isTestNetwork: () => false,
        workerImageAllowed: (h) => workers.includes(h),
        proxyImageAllowed: () => false,
    });
    const policy = (overrides: Partial<AttestationPolicy> = {}): AttestationPolicy => ({
        registry: registry([image]),
        role: 'worker',
        roots: [world.root.cert],
        collateral: () => world.collateral('UpToDate'),
        ...overrides,
    });

    it('the synthetic quote passes DCAP verification and reads back its SGX extensions', () => {
        const verified = verifyQuote(quote, { at, roots: [world.root.cert], collateral: world.collateral('UpToDate') });
        expect(verified.pck.fmspc).toBe(world.platform.fmspc);
        expect(verified.pck.pceSvn).toBe(world.platform.pceSvn);
        expect(verified.pck.sgxTcbComponents).toEqual(world.platform.sgxComponents);
        expect(verified.tcb).toMatchObject({ status: 'UpToDate', tdxModuleStatus: 'UpToDate', qeStatus: 'UpToDate' });
    });

    it('accepts a worker with its key, nonce, allowed image and UpToDate TCB', async () => {
        const verdict = await verifyAttestation(
            { document: { kind: 'tdx', quote: quote.toString('base64') }, publicKey, nonce, at },
            policy(),
        );
        expect(verdict).toMatchObject({
            valid: true,
            kind: 'tdx',
            tcbStatus: 'UpToDate',
            fmspc: world.platform.fmspc,
            cached: false,
        });
    });

    it('refuses OutOfDate and SWHardeningNeeded by default, and accepts them only when the policy lists them', async () => {
        for (const status of ['OutOfDate', 'SWHardeningNeeded', 'Revoked'] as const) {
            const strict = await verifyAttestation(
                { quote, publicKey, nonce, at },
                policy({ collateral: () => world.collateral(status) }),
            );
            expect(refusal(strict).message).toMatch(new RegExp(`TCB status ${status} is not accepted`));
        }
        const qeOld = await verifyAttestation(
            { quote, publicKey, nonce, at },
            policy({ collateral: () => world.collateral('UpToDate', 'OutOfDate') }),
        );
        expect(refusal(qeOld).message).toMatch(/TCB status OutOfDate/);
        const lenient = await verifyAttestation(
            { quote, publicKey, nonce, at },
            policy({
                collateral: () => world.collateral('SWHardeningNeeded'),
                acceptedTcbStatuses: ['UpToDate', 'SWHardeningNeeded'],
            }),
        );
        expect(lenient.valid).toBe(true);
    });

    it('refuses a wrong key, a replayed nonce, an unlisted image, a debug TD and the production root', async () => {
        expect(
            refusal(await verifyAttestation({ quote, publicKey: ed25519PublicKey(), nonce, at }, policy())).code,
        ).toBe('binding');
        expect(
            refusal(await verifyAttestation({ quote, publicKey, nonce: Buffer.from('other'), at }, policy())).code,
        ).toBe('binding');
        expect(
            refusal(await verifyAttestation({ quote, publicKey, nonce, at }, policy({ registry: registry([]) })))
                .message,
        ).toMatch(/allow-list/);
        const debug = world.quote(publicKey, nonce, { debug: true });
        const debugPolicy = policy({ registry: registry([imageHashBigInt(parseQuote(debug).body)]) });
        expect(refusal(await verifyAttestation({ quote: debug, publicKey, nonce, at }, debugPolicy)).message).toMatch(
            /debug TD/,
        );
        // Under the default pinned root (Intel's), the synthetic root is nobody.
        expect(
            refusal(await verifyAttestation({ quote, publicKey, nonce, at }, policy({ roots: undefined }))).code,
        ).toBe('certificate');
    });

    it('refuses expired collateral and collateral signed by someone else', async () => {
        const late = await verifyAttestation({ quote, publicKey, nonce, at: new Date('2026-06-01') }, policy());
        expect(refusal(late).message).toMatch(/not current/);
        const otherWorld = createTdxWorld();
        const foreign = await verifyAttestation(
            { quote, publicKey, nonce, at },
            policy({ collateral: () => otherWorld.collateral('UpToDate') }),
        );
        expect(refusal(foreign).code).toBe('certificate');
    });

    it('reports a failing collateral source as a collateral refusal', async () => {
        const broken = policy({
            collateral: () => {
                throw new Error('PCCS unreachable');
            },
        });
        expect(refusal(await verifyAttestation({ quote, publicKey, nonce, at }, broken))).toEqual({
            code: 'collateral',
            message: expect.stringMatching(/collateral source failed for FMSPC 00a06f000000: PCCS unreachable/),
        });
    });

    it('verifies a peer once per connection through the cache', async () => {
        const cache = new VerdictCache<VerifiedFacts>();
        let fetched = 0;
        const cached = policy({
            cache,
            collateral: () => {
                fetched++;
                return world.collateral('UpToDate');
            },
        });
        const results = [];
        for (let i = 0; i < 5; i++) results.push(await verifyAttestation({ quote, publicKey, nonce, at }, cached));
        expect(results.every((r) => r.valid)).toBe(true);
        expect(results.map((r) => r.valid && r.cached)).toEqual([false, true, true, true, true]);
        expect(fetched).toBe(1);
    });
});
