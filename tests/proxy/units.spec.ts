/**
 * The proxy's building blocks on their own: charge-once counters under concurrency (real Redis), vouchers, the
 * reputation threshold, the configuration object.
 */
import { CommitterLock } from '../../worker-runtime/src/roles/proxy/committerLock';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { keyPairFromSeed } from '@ton/crypto';
import { Address } from '@ton/core';
import { describeSchema } from '../../worker-runtime/src/config/schema';
import { ConfigError } from '../../worker-runtime/src/errors';
import { signBillingVoucher } from '../../worker-runtime/src/protocol/voucher';
import {
    PROXY_SCHEMA,
    readProxyConfig,
    ReputationBook,
    UsageCounters,
    VoucherSigner,
    voucherFromJson,
} from '../../worker-runtime/src/roles/proxy';
import { cleanPrefix, REDIS_URL, testPrefix } from './harness';

describe('UsageCounters (real Redis)', () => {
    const redis = new Redis(REDIS_URL);
    const prefix = testPrefix('proxy-units');
    afterAll(async () => {
        await cleanPrefix(redis, prefix);
        await redis.quit();
    });

    test('50 concurrent charges of 10 request ids add each request exactly once, to both totals', async () => {
        const counters = new UsageCounters(redis, prefix);
        const ids = Array.from({ length: 10 }, () => randomBytes(32).toString('hex'));
        const outcomes = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
                counters.charge({
                    requestId: ids[i % 10],
                    client: 'client-a',
                    workerOwner: `owner-${i % 2}`,
                    tokens: BigInt((i % 10) + 1),
                    record: `first-${i}`,
                }),
            ),
        );
        expect(outcomes.filter((o) => o.charged)).toHaveLength(10);
        expect(await counters.clientTokens('client-a')).toBe(55n); // 1 + 2 + … + 10
        expect((await counters.workerTokens('owner-0')) + (await counters.workerTokens('owner-1'))).toBe(55n);
        // Every duplicate sees the record of the charge that won.
        for (const o of outcomes.filter((x) => !x.charged)) expect(o.record).toMatch(/^first-\d+$/);
        expect(await counters.uncommitted()).toBe(10);
    });

    test('the digest covers every counter and changes with any of them', async () => {
        const counters = new UsageCounters(redis, `${prefix}:digest`);
        const empty = await counters.digest();
        await counters.charge({ requestId: 'a'.repeat(64), client: 'c', workerOwner: 'w', tokens: 3n, record: '{}' });
        const one = await counters.digest();
        expect(one.digest).not.toBe(empty.digest);
        expect(one.covered).toBe(1);
        const lock = new CommitterLock(redis, `${prefix}:digest`);
        const token = (await lock.acquire())!;
        // Only with the newest committer token: a stale one changes nothing.
        expect(await counters.markCommitted(one.covered, { key: lock.fenceKey, token: token - 1 })).toBe(false);
        expect(await counters.uncommitted()).toBe(1);
        expect(await counters.markCommitted(one.covered, { key: lock.fenceKey, token })).toBe(true);
        expect(await counters.uncommitted()).toBe(0);
        expect((await counters.digest()).digest).toBe(one.digest);
    });
});

describe('VoucherSigner', () => {
    test('vouchers signed by the proxy are byte-identical to the voucher helper', () => {
        const kp = keyPairFromSeed(Buffer.alloc(32, 9));
        const target = Address.parse('0:' + 'ab'.repeat(32));
        const proxy = Address.parse('0:' + 'cd'.repeat(32));
        const bps = { prompt: 10000n, cached: 2500n, completion: 40000n, reasoning: 40000n };
        const signer = new VoucherSigner(proxy, kp.publicKey, kp.secretKey, bps, 3600);
        const ours = voucherFromJson(signer.charge(target, 42n, 1000));
        const helper = signBillingVoucher('charge', { target, cumulative: 42n, validUntil: 4600 }, kp.secretKey);
        expect(ours.voucher.equals(helper.voucher)).toBe(true);
        expect(ours.signature.equals(helper.signature)).toBe(true);
    });
});

describe('ReputationBook', () => {
    test('demotes once, after enough samples, when the success rate falls below the threshold', () => {
        const book = new ReputationBook({ minSuccessRate: 50, minSamples: 4, window: 10 });
        expect(book.record('w', 'failure', 5)).toBe(false);
        expect(book.record('w', 'timeout', 5)).toBe(false);
        expect(book.record('w', 'success', 5)).toBe(false);
        expect(book.record('w', 'failure', 5)).toBe(true); // 1/4 = 25 % < 50 %
        expect(book.record('w', 'failure', 5)).toBe(false); // already demoted
        expect(book.get('w')).toMatchObject({ attempts: 5, demoted: true, p50LatencyMs: 5 });
        const ok = new ReputationBook({ minSuccessRate: 50, minSamples: 2, window: 4 });
        for (const o of ['success', 'failure', 'success', 'failure', 'success'] as const) {
            expect(ok.record('v', o, 1)).toBe(false); // 50 % or better over the window
        }
    });
});

describe('proxy configuration', () => {
    test('defaults, environment, and one error naming every bad variable', () => {
        const c = readProxyConfig({});
        expect(c.port).toBe(8080);
        expect(c.reputationMinSuccessRate).toBe(50);
        expect(readProxyConfig({ CHRYSALIS_PROXY_PORT: '9000' }).port).toBe(9000);
        expect(() => readProxyConfig({ CHRYSALIS_PROXY_PORT: 'x', CHRYSALIS_PROXY_MAX_ATTEMPTS: '0' })).toThrow(
            ConfigError,
        );
        try {
            readProxyConfig({ CHRYSALIS_PROXY_PORT: 'x', CHRYSALIS_PROXY_MAX_ATTEMPTS: '0' });
        } catch (err) {
            expect((err as Error).message).toMatch(/CHRYSALIS_PROXY_PORT.*\n.*CHRYSALIS_PROXY_MAX_ATTEMPTS/s);
        }
        expect(describeSchema(PROXY_SCHEMA)).toMatch(/\| `CHRYSALIS_PROXY_RESULT_TIMEOUT_MS` \| `10000` \|/);
    });
});
