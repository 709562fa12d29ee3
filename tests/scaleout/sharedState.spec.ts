/**
 * What the instances of one proxy share besides the ledger (docs/proxy.md, "Several instances"): the model queue keys
 * (sealed in Redis under the proxy's key; a rotation one instance makes reaches the others), the workers' grants and
 * payout vouchers (stores that only move forward, whichever instance writes last).
 */
import { randomBytes } from 'node:crypto';
import { keyPairFromSeed } from '@ton/crypto';
import { Redis } from 'ioredis';
import { createQueueKey, SealedJobQueue } from '../../worker-runtime/src/queue';
import { WorkerAdmission } from '../../worker-runtime/src/roles/admission';
import { SharedQueueKeys } from '../../worker-runtime/src/roles/admission/sharedQueueKeys';
import { storePayoutVoucher } from '../../worker-runtime/src/roles/proxy/payouts';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { WorkerJobResult } from '../../worker-runtime/src/roles/worker';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';
import { features, newRequestId, workerTestbed, WorkerTestbed } from '../worker/helpers';

jest.setTimeout(180_000);

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 20));
    }
}

describe('queue keys across two admissions of one proxy', () => {
    let bed: WorkerTestbed;
    let otherRedis: Redis;
    let other: WorkerAdmission;

    beforeAll(async () => {
        bed = await workerTestbed('scaleout-admission');
        otherRedis = new Redis(REDIS_URL);
        other = await WorkerAdmission.create({
            redis: otherRedis,
            chain: bed.chain,
            registryView: bed.view,
            prefix: bed.prefix,
            proxyKeyPair: bed.proxyKeys,
            policy: { logger: { warn: () => undefined } },
            keyRefreshMs: 100,
        });
    });
    afterAll(async () => {
        await bed.close();
        await otherRedis.quit();
    });

    it('both use one key; a demotion by one reaches the other, whose jobs the remaining worker serves', async () => {
        const a = await bed.createWorker();
        const b = await bed.createWorker();
        expect((await bed.admission.admitPending()).filter((o) => o.admitted)).toHaveLength(2);
        // The second instance checks the workers itself, and grants under the key the first one created.
        expect((await other.admitPending()).filter((o) => o.admitted)).toHaveLength(2);
        const first = await bed.admission.queueKey(bed.modelHash);
        const second = await other.queueKey(bed.modelHash);
        expect(second.version).toBe(first.version);
        expect(second.key.equals(first.key)).toBe(true);
        await Promise.all([a.consume(), b.consume()]);

        await bed.admission.demote(a.workerKey, 'test');
        const rotated = await bed.admission.queueKey(bed.modelHash);
        expect(rotated.version).toBeGreaterThan(first.version);
        // Within its refresh period the other instance follows: the new key, `a` dropped, `b` under the new version.
        await waitFor(async () => (await other.queueKey(bed.modelHash)).version === rotated.version);
        expect((await other.queueKey(bed.modelHash)).key.equals(rotated.key)).toBe(true);
        expect(await other.admittedWorker(a.workerKey)).toBeNull();
        expect((await other.admittedWorker(b.workerKey))?.keyVersion).toBe(rotated.version);
        // Its next admission pass does not re-admit the demoted worker, nor grant `b` an older key.
        expect((await other.admitPending()).map((o) => o.workerKey)).not.toContain(a.workerKey);
        const grant = JSON.parse((await bed.redis.get(RedisKeys.grant(bed.prefix, b.workerKey)))!);
        expect(grant.keyVersion).toBe(rotated.version);
        await waitFor(() => a.currentState === 'demoted' && b.keyVersion === rotated.version);

        // A job the other instance seals is served by the remaining worker.
        const producer = new SealedJobQueue({
            modelHash: bed.modelHash,
            queueKey: (await other.queueKey(bed.modelHash)).key,
            config: { redisUrl: REDIS_URL, prefix: bed.prefix },
        });
        await producer.ready();
        try {
            const result = await producer.submit<WorkerJobResult>({ requestId: newRequestId(), inputs: features(3) });
            expect(result.workerKey).toBe(b.workerKey);
        } finally {
            await producer.close();
        }
    });

    it("a key record opens only with this proxy's key, and never goes back to an older version", async () => {
        const model = randomBytes(32).toString('hex');
        const mine = new SharedQueueKeys(bed.redis, bed.prefix, bed.proxyKeys.secretKey);
        const stranger = new SharedQueueKeys(bed.redis, bed.prefix, keyPairFromSeed(randomBytes(32)).secretKey);
        const v5 = { key: createQueueKey(), version: 5 };
        expect(await mine.store(model, v5)).toBe(true);
        expect(await stranger.read(model)).toBeNull();
        expect(await mine.store(model, { key: createQueueKey(), version: 4 })).toBe(false);
        expect((await mine.read(model))?.key.equals(v5.key)).toBe(true);
        // A record moved to another model does not open there either (the model and version are bound in).
        const raw = (await bed.redis.get(`${RedisKeys.admitted(bed.prefix, model)}:key`))!;
        const elsewhere = randomBytes(32).toString('hex');
        await bed.redis.set(`${RedisKeys.admitted(bed.prefix, elsewhere)}:key`, raw);
        expect(await mine.read(elsewhere)).toBeNull();
    });
});

describe('payout voucher store', () => {
    const prefix = uniquePrefix('scaleout-payouts');
    const redis = new Redis(REDIS_URL);
    afterAll(async () => {
        await deleteKeysUnder(redis, prefix);
        await redis.quit();
    });

    const voucher = (cumulative: string, validUntil: number) => ({
        voucher: `v-${cumulative}-${validUntil}`,
        signature: 'ab',
        cumulative,
        target: 'EQ',
        validUntil,
    });
    const stored = async (workerKey: string) =>
        JSON.parse((await redis.get(RedisKeys.payout(prefix, workerKey)))!) as ReturnType<typeof voucher>;

    it('keeps the voucher further ahead, whichever instance writes last', async () => {
        const w = 'aa'.repeat(32);
        expect(await storePayoutVoucher(redis, prefix, w, voucher('100', 1000))).toBe(true);
        // An instance that signed from an older counter writes late: refused.
        expect(await storePayoutVoucher(redis, prefix, w, voucher('99', 5000))).toBe(false);
        expect((await stored(w)).cumulative).toBe('100');
        // The same total valid for longer (a close's vouchers) replaces it; an earlier expiry does not.
        expect(await storePayoutVoucher(redis, prefix, w, voucher('100', 2000))).toBe(true);
        expect(await storePayoutVoucher(redis, prefix, w, voucher('100', 1500))).toBe(false);
        // Totals compare as numbers of any length, not as text.
        expect(await storePayoutVoucher(redis, prefix, w, voucher('1000', 10))).toBe(true);
        expect(await storePayoutVoucher(redis, prefix, w, voucher('999', 99999))).toBe(false);
        expect(await storePayoutVoucher(redis, prefix, w, voucher('123456789012345678901', 1))).toBe(true);
        expect((await stored(w)).cumulative).toBe('123456789012345678901');
        // Whatever Redis held that is not a voucher (it is untrusted) is replaced.
        const junk = 'bb'.repeat(32);
        await redis.set(RedisKeys.payout(prefix, junk), 'not json');
        expect(await storePayoutVoucher(redis, prefix, junk, voucher('1', 1))).toBe(true);
    });
});
