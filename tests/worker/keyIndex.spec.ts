/**
 * The proxy lists announcements and its stored payout vouchers through index sets (protocol/keyIndex.ts), not by
 * SCAN: a SCAN walks the whole keyspace, which charge records (kept 30 days, one or more per request) fill. On a
 * private redis-server (its command counters are this spec's alone) full of unrelated keys, an admission round and
 * the payout publishing issue no SCAN and still find every announcement and voucher; expired members are pruned and a
 * worker that comes back is indexed again.
 */
import { randomBytes } from 'node:crypto';
import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { Redis } from 'ioredis';
import { RoleMetrics } from '../../worker-runtime/src/observability';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { PayoutVouchers, UsageCounters, VoucherSigner } from '../../worker-runtime/src/roles/proxy';
import { storePayoutVoucher } from '../../worker-runtime/src/roles/proxy/payouts';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { WorkerRole } from '../../worker-runtime/src/roles/worker';
import { PrivateRedis } from '../fixtures/privateRedis';
import { newRequestId, workerTestbed, WorkerTestbed } from './helpers';

const UNRELATED_KEYS = 50_000;

/** Calls per command since the last CONFIG RESETSTAT (INFO commandstats), e.g. { scan: 0, smembers: 1 }. */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        out[m[1]] = Number(m[2]);
    }
    return out;
}

describe('index sets instead of SCAN (private redis-server)', () => {
    let server: PrivateRedis;
    let bed: WorkerTestbed;
    let admin: Redis;

    beforeAll(async () => {
        server = await PrivateRedis.start({ appendonly: false });
        admin = server.client();
        bed = await workerTestbed('key-index', server.url);
        // Charge-record-like keys under the same prefix: what a network that has served a while keeps for 30 days.
        const charged = proxyKeys(bed.prefix).charged;
        for (let i = 0; i < UNRELATED_KEYS; i += 5_000) {
            const pipeline = admin.pipeline();
            for (let j = i; j < i + 5_000; j++)
                pipeline.set(charged(randomBytes(32).toString('hex')), '{}', 'EX', 86400);
            await pipeline.exec();
        }
        expect(await admin.dbsize()).toBeGreaterThan(UNRELATED_KEYS);
    }, 120_000);

    afterAll(async () => {
        await bed?.close();
        await server?.stop();
    });

    it('an admission round and the payout publishing find every announcement and voucher without a SCAN', async () => {
        const workers = [await bed.createWorker(), await bed.createWorker()];
        await admin.config('RESETSTAT');
        const outcomes = await bed.admission.admitPending();
        expect(outcomes.map((o) => o.workerKey).sort()).toEqual(workers.map((w) => w.workerKey).sort());
        expect(outcomes.every((o) => o.admitted)).toBe(true);
        let calls = await commandCalls(admin);
        expect(calls.scan ?? 0).toBe(0);
        expect(calls.smembers).toBeGreaterThanOrEqual(1);

        const proxy = keyPairFromSeed(Buffer.alloc(32, 7));
        const payoutsOf = () =>
            new PayoutVouchers({
                chain: bed.chain,
                redis: bed.redis,
                prefix: bed.prefix,
                counters: new UsageCounters(bed.redis, bed.prefix),
                signer: new VoucherSigner(
                    Address.parse('0:' + 'cd'.repeat(32)),
                    proxy.publicKey,
                    proxy.secretKey,
                    { prompt: 10000n, cached: 2500n, completion: 40000n, reasoning: 40000n },
                    3600,
                ),
                admission: bed.admission,
                metrics: new RoleMetrics('proxy'),
                validitySeconds: 3600,
            });
        const payouts = payoutsOf();
        const counters = new UsageCounters(bed.redis, bed.prefix);
        for (const w of workers) {
            const owner = (await bed.admission.admittedWorker(w.workerKey))!.owner;
            await counters.charge({
                requestId: newRequestId(),
                client: 'client-a',
                workerOwner: owner.toRawString(),
                tokens: 5n,
                record: '{}',
            });
            payouts.served(w.workerKey, owner);
        }
        expect(await payouts.flush()).toBe(2);
        // A voucher stored before a restart, for a worker this process never learnt the owner of.
        const earlier = randomBytes(32).toString('hex');
        const kept = { voucher: 'v', signature: 'ab', cumulative: '1', target: 'EQ', validUntil: 1 };
        await storePayoutVoucher(bed.redis, bed.prefix, earlier, kept);
        expect((await bed.redis.smembers(RedisKeys.payoutIndex(bed.prefix))).sort()).toEqual(
            [...workers.map((w) => w.workerKey), earlier].sort(),
        );

        await admin.config('RESETSTAT');
        const restarted = payoutsOf(); // knows no owner: every voucher it finds comes from the index
        const published = await restarted.publishAll(Math.floor(Date.now() / 1000) + 600);
        expect([...published.keys()].sort()).toEqual([...workers.map((w) => w.workerKey), earlier].sort());
        expect(published.get(earlier)?.voucher).toBe('v');
        calls = await commandCalls(admin);
        expect(calls.scan ?? 0).toBe(0);
        expect(calls.smembers).toBe(1);

        // A deleted voucher is left out, and pruned from the index.
        await bed.redis.del(RedisKeys.payout(bed.prefix, earlier));
        expect([...(await restarted.publishAll(Math.floor(Date.now() / 1000) + 600)).keys()]).not.toContain(earlier);
        expect(await bed.redis.sismember(RedisKeys.payoutIndex(bed.prefix), earlier)).toBe(0);
        await Promise.all(workers.map((w) => w.stop()));
        await bed.admission.admitPending(); // forgets both: their announcements are gone
    });

    it('a stopped worker is pruned from the index; started again, it is indexed and admitted again', async () => {
        const workerSeed = randomBytes(32).toString('hex');
        const index = RedisKeys.announcementIndex(bed.prefix);
        const first: WorkerRole = await bed.createWorker({ workerSeed });
        const workerKey = first.workerKey;
        expect(await bed.redis.sismember(index, workerKey)).toBe(1);
        expect(await bed.admission.admitPending()).toContainEqual(
            expect.objectContaining({ workerKey, admitted: true }),
        );
        await first.stop(); // withdraws its announcement (a killed worker's expires: the same to the reader)
        await admin.config('RESETSTAT');
        await bed.admission.admitPending();
        expect(await bed.redis.sismember(index, workerKey)).toBe(0);
        expect(await bed.admission.admittedWorker(workerKey)).toBeNull();

        const again = await bed.createWorker({ workerSeed });
        expect(again.workerKey).toBe(workerKey);
        expect(await bed.redis.sismember(index, workerKey)).toBe(1);
        expect(await bed.admission.admitPending()).toContainEqual(
            expect.objectContaining({ workerKey, admitted: true }),
        );
        await again.stop();
    });
});
