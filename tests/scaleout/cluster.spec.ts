/**
 * The runtime on a Redis Cluster (docs/queue.md, "Redis Cluster"): a 3-master cluster this spec starts on free
 * loopback ports and stops by pid. The sealed queues (BullMQ under hash-tagged queue names), the proxy's ledger
 * scripts (charge, reserve, commit fencing, payout store) and one end-to-end request path (the devnet's proxy and
 * worker roles on the tiny tensor model) run on it unchanged, through `redis+cluster://` targets.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { startDevnet, Devnet } from '../../worker-runtime/src/devnet/orchestrator';
import {
    closeRedisClient,
    createQueueKey,
    createRedisClient,
    deleteKeysUnder,
    scanKeys,
    SealedJobQueue,
    SealedWorker,
} from '../../worker-runtime/src/queue';
import { readProxyConfig } from '../../worker-runtime/src/roles/proxy';
import { CommitterLock } from '../../worker-runtime/src/roles/proxy/committerLock';
import { UsageCounters } from '../../worker-runtime/src/roles/proxy/counters';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { Reservations } from '../../worker-runtime/src/roles/proxy/reservations';
import { checkPersistence } from '../../worker-runtime/src/roles/proxy/persistence';
import { readWorkerConfig } from '../../worker-runtime/src/roles/worker/config';
import { PrivateRedisCluster } from '../fixtures/redisCluster';
import { uniquePrefix } from '../fixtures/redis';
import { mlpInputs } from '../proxy/harness';

jest.setTimeout(300_000);

let cluster: PrivateRedisCluster;
let redis: Redis;

beforeAll(async () => {
    cluster = await PrivateRedisCluster.start(3);
    redis = createRedisClient(cluster.target);
});

afterAll(async () => {
    if (redis) await closeRedisClient(redis);
    await cluster?.stop();
});

test('CHRYSALIS_REDIS_CLUSTER makes every role connect to the cluster', () => {
    const env = { CHRYSALIS_REDIS_CLUSTER: cluster.seeds, REDIS_URL: 'redis://127.0.0.1:1' };
    expect(readProxyConfig(env).redisUrl).toBe(cluster.target);
    expect(readWorkerConfig(env, { registryAddress: `0:${'0'.repeat(64)}`, modelPath: 'm.onnx' }).redisUrl).toBe(
        cluster.target,
    );
    expect(redis).toBeInstanceOf(Cluster);
    expect(() => readProxyConfig({ CHRYSALIS_REDIS_CLUSTER: '127.0.0.1' })).toThrow(/host:port/);
});

test("the proxy's persistence check reads every master (this cluster runs without an append-only file)", async () => {
    await expect(checkPersistence(redis, false)).rejects.toThrow(/without persistence on 127\.0\.0\.1:\d+/);
    await expect(checkPersistence(redis, true)).resolves.toBeUndefined();
});

test('the sealed queues run on the cluster: each model queue in a slot of its own, results once', async () => {
    const prefix = uniquePrefix('cluster-queue');
    const config = { redisUrl: cluster.target, prefix, lockDurationMs: 2_000, stalledIntervalMs: 1_000 };
    const models = [randomBytes(32).toString('hex'), randomBytes(32).toString('hex'), randomBytes(32).toString('hex')];
    const key = createQueueKey();
    const computed = new Map<string, number>();
    const workers = models.map(
        (modelHash) =>
            new SealedWorker<{ n: number }, number>({
                modelHash,
                queueKey: key,
                config,
                processor: async ({ requestId, inputs }) => {
                    computed.set(requestId, (computed.get(requestId) ?? 0) + 1);
                    return inputs.n * 2;
                },
            }),
    );
    const queues = models.map((modelHash) => new SealedJobQueue({ modelHash, queueKey: key, config }));
    try {
        await Promise.all([...queues.map((q) => q.ready()), ...workers.map((w) => w.waitUntilReady())]);
        const results = await Promise.all(
            queues.flatMap((q, m) =>
                Array.from({ length: 10 }, (_, i) => q.submit<number>({ requestId: `m${m}-r${i}`, inputs: { n: i } })),
            ),
        );
        expect(results).toEqual(queues.flatMap(() => Array.from({ length: 10 }, (_, i) => i * 2)));
        // A duplicate add of a finished request id returns the first result; nothing was computed twice.
        expect(await queues[0].submit<number>({ requestId: 'm0-r3', inputs: { n: 100 } })).toBe(6);
        expect([...computed.values()].every((n) => n === 1)).toBe(true);
        expect(computed.size).toBe(30);
        // Each queue's BullMQ keys share one slot; the three queues together use more than one master here.
        const slots = await Promise.all(
            models.map(async (m) => {
                const keys = await scanKeys(redis, `${prefix}:{model-${m}}:*`);
                expect(keys.length).toBeGreaterThan(0);
                return new Set(await Promise.all(keys.map((k) => redis.call('CLUSTER', 'KEYSLOT', k)))).size;
            }),
        );
        expect(slots).toEqual([1, 1, 1]);
        expect((await cluster.keysPerNode(`${prefix}:*`)).filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
        await Promise.all(workers.map((w) => w.close(1000)));
        await Promise.all(queues.map((q) => q.close()));
        await deleteKeysUnder(redis, prefix);
    }
});

test("the proxy's ledger scripts run on the cluster: charge once, reservations, fenced commits", async () => {
    const prefix = uniquePrefix('cluster-ledger');
    try {
        const counters = new UsageCounters(redis, prefix);
        const multipliers = { prompt: 10000n, cached: 10000n, completion: 10000n, reasoning: 10000n };
        const reservations = new Reservations(redis, prefix, multipliers);
        const ids = Array.from({ length: 20 }, () => randomBytes(32).toString('hex'));
        // 20 requests reserved against a budget of 200 units: a 21st that needs 10 more does not fit.
        for (const id of ids) {
            const r = await reservations.reserve({
                account: 'acc',
                requestId: id,
                digest: 'ab',
                units: 10n,
                budget: 200n,
            });
            expect(r.kind).toBe('reserved');
        }
        const over = await reservations.reserve({
            account: 'acc',
            requestId: randomBytes(32).toString('hex'),
            digest: 'ab',
            units: 10n,
            budget: 200n,
        });
        expect(over).toEqual({ kind: 'insufficient', metered: 0n, reserved: 200n });
        // Every request charged three times at once: each counts once, and its reservation goes with the charge.
        const outcomes = await Promise.all(
            ids.flatMap((id, i) =>
                [0, 1, 2].map(() =>
                    counters.charge({ requestId: id, client: 'acc', workerOwner: `w${i % 3}`, tokens: 7n, record: id }),
                ),
            ),
        );
        expect(outcomes.filter((o) => o.charged)).toHaveLength(20);
        expect(await counters.clientTokens('acc')).toBe(140n);
        expect(
            (await counters.workerTokens('w0')) +
                (await counters.workerTokens('w1')) +
                (await counters.workerTokens('w2')),
        ).toBe(140n);
        expect(await reservations.reservedUnits('acc')).toBe(0n);
        expect(await counters.chargeCount()).toBe(20);
        const { covered } = await counters.digest();
        expect(covered).toBe(20);
        // Two committers in turn: the first one's token is refused once the second took the lock.
        const first = new CommitterLock(redis, prefix, { leaseMs: 300 });
        const second = new CommitterLock(redis, prefix, { leaseMs: 300 });
        const t1 = (await first.acquire())!;
        expect(await second.acquire()).toBeNull();
        await new Promise((resolve) => setTimeout(resolve, 400));
        const t2 = (await second.acquire())!;
        expect(t2).toBeGreaterThan(t1);
        expect(await counters.markCommitted(covered, { key: first.fenceKey, token: t1 })).toBe(false);
        expect(await counters.markCommitted(covered, { key: second.fenceKey, token: t2 })).toBe(true);
        expect(await counters.uncommitted()).toBe(0);
        // The ledger's keys all hash to one slot (its scripts need that); nothing of it is outside the prefix.
        const keys = await scanKeys(redis, `${prefix}:proxy:*`);
        expect(new Set(await Promise.all(keys.map((k) => redis.call('CLUSTER', 'KEYSLOT', k)))).size).toBe(1);
        expect(keys).toContain(proxyKeys(prefix).clientTokens);
    } finally {
        await deleteKeysUnder(redis, prefix);
    }
});

describe('end to end on the cluster', () => {
    let devnet: Devnet | undefined;

    afterAll(async () => {
        await devnet?.stop();
    });

    test('the devnet proxy and a worker serve tiny-mlp requests, each charged once', async () => {
        const started = Date.now();
        devnet = await startDevnet({ redisUrl: cluster.target, models: ['tiny-mlp'], workers: 1, seed: 'cluster' });
        const startMs = Date.now() - started;
        const model = devnet.network.models[0];
        const t0 = Date.now();
        const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => devnet!.client.infer(model.hashHex, mlpInputs(1, i))),
        );
        const ms = Date.now() - t0;
        const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
        expect(tokens).toBeGreaterThan(0);
        const client = devnet.network.client.account.address.toRawString();
        expect(await devnet.proxy.counters.clientTokens(client)).toBe(BigInt(tokens));
        expect(await devnet.proxy.counters.chargeCount()).toBe(20);
        await devnet.proxy.commitState();
        expect((await devnet.proxy.committer.check()).ok).toBe(true);
        // The devnet's keys spread over the masters (queues, ledger, workers' announcements and grants).
        expect((await cluster.keysPerNode(`${devnet.prefix}:*`)).filter((n) => n > 0).length).toBeGreaterThan(1);
        console.log(`cluster end to end: devnet started in ${startMs} ms; 20 requests (concurrent) in ${ms} ms`);
    });
});
