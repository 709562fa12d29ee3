import { Redis } from 'ioredis';
import { InvalidInputError } from '../../worker-runtime/src/errors';
import { createQueueKey, SealedJobQueue, SealedWorker } from '../../worker-runtime/src/queue';
import { deleteKeysUnder, fastConfig, keysUnder, randomModelHash, REDIS_URL, requestId, uniquePrefix } from './helpers';

const prefix = uniquePrefix('retention');
const redis = new Redis(REDIS_URL);

afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

it('keeps at most removeOnCompleteCount completed and removeOnFailCount failed jobs', async () => {
    const modelHash = randomModelHash();
    const queueKey = createQueueKey();
    const config = fastConfig(prefix, { removeOnCompleteCount: 3, removeOnFailCount: 2, concurrency: 4 });
    const queue = new SealedJobQueue({ modelHash, queueKey, config });
    const worker = new SealedWorker<{ ok: boolean }, string>({
        modelHash,
        queueKey,
        config,
        processor: async ({ inputs }) => {
            if (!inputs.ok) throw new InvalidInputError('rejected');
            return 'ok';
        },
    });
    try {
        await queue.ready();
        const good = Array.from({ length: 12 }, () => requestId('good'));
        const bad = Array.from({ length: 6 }, () => requestId('bad'));
        const outcomes = await Promise.allSettled([
            ...good.map((id) => queue.submit({ requestId: id, inputs: { ok: true } })),
            ...bad.map((id) => queue.submit({ requestId: id, inputs: { ok: false } })),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(12);
        expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(6);

        const counts = await queue.queue.getJobCounts('completed', 'failed');
        expect(counts).toEqual({ completed: 3, failed: 2 });
        // The evicted jobs' hashes are gone too, not just their set entries.
        const jobKey = new RegExp(`^${prefix}:\\{${queue.queueName}\\}:(good|bad)-[0-9a-f]+$`);
        const jobHashes = (await keysUnder(redis, prefix)).filter((k) => jobKey.test(k));
        expect(jobHashes).toHaveLength(5);
    } finally {
        await worker.close();
        await queue.close();
    }
});
