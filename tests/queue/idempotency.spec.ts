import { Redis } from 'ioredis';
import {
    createQueueKey,
    RequestLedger,
    SealedJobQueue,
    SealedWorker,
    sealResult,
} from '../../worker-runtime/src/queue';
import { deleteKeysUnder, fastConfig, randomModelHash, REDIS_URL, requestId, uniquePrefix, waitFor } from './helpers';

const prefix = uniquePrefix('idempotency');
const redis = new Redis(REDIS_URL);
const modelHash = randomModelHash();
const queueKey = createQueueKey();
const computed = new Map<string, number>();
const count = (id: string) => computed.get(id) ?? 0;

afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

describe('idempotency by request id', () => {
    // Keep no completed jobs, so a late duplicate finds only the result record.
    const config = fastConfig(prefix, { removeOnCompleteCount: 0 });
    const queue = new SealedJobQueue({ modelHash, queueKey, config });
    let worker: SealedWorker<{ n: number }, number> | undefined;
    const startWorker = () =>
        (worker = new SealedWorker<{ n: number }, number>({
            modelHash,
            queueKey,
            config,
            processor: async ({ requestId: id, inputs }) => {
                computed.set(id, count(id) + 1);
                return inputs.n + 1;
            },
        }));

    beforeAll(() => queue.ready());
    afterAll(async () => {
        await worker?.close();
        await queue.close();
    });

    it('adding the same request id twice queues one job, and the first payload wins', async () => {
        const id = requestId('dup');
        await queue.add({ requestId: id, inputs: { n: 1 } });
        await queue.add({ requestId: id, inputs: { n: 100 } });
        const counts = await queue.queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed');
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
        startWorker();
        expect(await queue.waitForResult(id)).toBe(2);
        expect(count(id)).toBe(1);
    });

    it('a request delivered again after its job was evicted returns the stored result without computing', async () => {
        const id = requestId('again');
        expect(await queue.submit({ requestId: id, inputs: { n: 5 } })).toBe(6);
        await waitFor(async () => (await queue.queue.getJob(id)) === undefined); // removeOnComplete: 0
        // The same request arrives again (e.g. a client retry); BullMQ no longer knows the id, so a job is added.
        expect(await queue.submit({ requestId: id, inputs: { n: 5 } })).toBe(6);
        expect(count(id)).toBe(1);
        // And once the job is gone again, waiting still finds the result in the ledger.
        await waitFor(async () => (await queue.queue.getJob(id)) === undefined);
        expect(await queue.waitForResult(id)).toBe(6);
    });

    it('a fresh request is computed without a look-up, and a result stored meanwhile still wins', async () => {
        const id = requestId('fresh');
        // What an earlier delivery the producer did not know of would have left: its result is the one handed back.
        await queue.ledger.putResult(id, sealResult(queueKey, modelHash, id, 41));
        expect(await queue.submit({ requestId: id, inputs: { n: 1 }, fresh: true })).toBe(41);
        expect(count(id)).toBe(1);
        const plain = requestId('fresh-plain');
        expect(await queue.submit({ requestId: plain, inputs: { n: 1 }, fresh: true })).toBe(2);
        expect(count(plain)).toBe(1);
    });

    it('a request is charged exactly once however often the charge is attempted', async () => {
        const id = requestId('charge');
        expect(await queue.submit({ requestId: id, inputs: { n: 0 } })).toBe(1);
        const attempts = await Promise.all(Array.from({ length: 20 }, () => queue.markCharged(id)));
        expect(attempts.filter(Boolean)).toHaveLength(1);
        expect(await queue.ledger.isCharged(id)).toBe(true);
        expect(await queue.ledger.isCharged(requestId('never'))).toBe(false);
    });
});

describe('competing workers', () => {
    it('two workers with concurrency 4 complete 40 requests, each computed and charged exactly once', async () => {
        const model = randomModelHash();
        const key = createQueueKey();
        const config = fastConfig(prefix, { concurrency: 4 });
        const producer = new SealedJobQueue({ modelHash: model, queueKey: key, config });
        const perRequest = new Map<string, number>();
        const make = (name: string) =>
            new SealedWorker<{ n: number }, string>({
                modelHash: model,
                queueKey: key,
                config,
                name,
                processor: async ({ requestId: id, inputs }) => {
                    perRequest.set(id, (perRequest.get(id) ?? 0) + 1);
                    await new Promise((r) => setTimeout(r, 5));
                    return `${name}:${inputs.n * inputs.n}`;
                },
            });
        const workers = [make('w1'), make('w2')];
        try {
            await Promise.all([producer.ready(), ...workers.map((w) => w.waitUntilReady())]);
            const ids = Array.from({ length: 40 }, (_, n) => ({ id: requestId('c'), n }));
            const results = await Promise.all(
                ids.map(({ id, n }) => producer.submit({ requestId: id, inputs: { n } })),
            );
            results.forEach((r, n) => expect(r).toMatch(new RegExp(`^w[12]:${n * n}$`)));
            expect(new Set(results.map((r) => (r as string).slice(0, 2)))).toEqual(new Set(['w1', 'w2']));
            expect([...perRequest.values()].every((c) => c === 1)).toBe(true);
            expect(perRequest.size).toBe(40);
            const charges = await Promise.all(
                ids.flatMap(({ id }) => [producer.markCharged(id), producer.markCharged(id)]),
            );
            expect(charges.filter(Boolean)).toHaveLength(40);
        } finally {
            await Promise.all(workers.map((w) => w.close()));
            await producer.close();
        }
    });
});

describe('RequestLedger', () => {
    const ledger = new RequestLedger(redis, prefix, 'model-ledger', { resultSeconds: 60, chargeSeconds: 60 }, 'k1');

    it('keeps the first result when two deliveries of one request race to store theirs', async () => {
        const id = requestId('race');
        const a = sealResult(queueKey, modelHash, id, 'from worker A');
        const b = sealResult(queueKey, modelHash, id, 'from worker B');
        const [storedA, storedB] = await Promise.all([ledger.putResult(id, a), ledger.putResult(id, b)]);
        expect(storedA).toBe(storedB);
        expect(await ledger.getResult(id)).toBe(storedA);
    });

    it('sets expiries on its records and refuses malformed request ids', async () => {
        const id = requestId('ttl');
        await ledger.putResult(id, 'x');
        await ledger.markCharged(id);
        expect(await redis.ttl(ledger.resultKey(id))).toBeGreaterThan(0);
        expect(await redis.ttl(ledger.chargedKey(id))).toBeGreaterThan(0);
        await expect(ledger.markCharged('a:b')).rejects.toThrow(/requestId must be/);
        expect(() => ledger.resultKey('12345')).toThrow(/not all digits/);
    });
});
