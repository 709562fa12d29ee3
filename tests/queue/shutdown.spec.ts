import { Redis } from 'ioredis';
import { createQueueKey, SealedJobQueue, SealedWorker } from '../../worker-runtime/src/queue';
import { deleteKeysUnder, fastConfig, randomModelHash, REDIS_URL, requestId, uniquePrefix, waitFor } from './helpers';

const prefix = uniquePrefix('shutdown');
const redis = new Redis(REDIS_URL);

afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
    // A forced close (the timeout case) leaves ioredis's 2 s socket-teardown timer behind in BullMQ's connections;
    // let it run out here so the test process exits cleanly.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
}

it('close() lets the in-flight job finish and takes no new job', async () => {
    const modelHash = randomModelHash();
    const queueKey = createQueueKey();
    const config = fastConfig(prefix, { shutdownTimeoutMs: 5_000 });
    const queue = new SealedJobQueue({ modelHash, queueKey, config });
    await queue.ready();
    const started: string[] = [];
    const worker = new SealedWorker<null, string>({
        modelHash,
        queueKey,
        config,
        processor: async ({ requestId: id }) => {
            started.push(id);
            await new Promise((r) => setTimeout(r, 400));
            return `finished ${id}`;
        },
    });
    const first = requestId('inflight');
    const second = requestId('queued');
    await queue.add({ requestId: first, inputs: null });
    await waitFor(() => started.length === 1);
    await queue.add({ requestId: second, inputs: null });

    const outcome = await worker.close();
    expect(outcome).toEqual({ graceful: true, released: [] });
    expect(await (await queue.queue.getJob(first))?.getState()).toBe('completed');
    expect(await queue.waitForResult(first)).toBe(`finished ${first}`);
    expect(started).toEqual([first]);
    expect(await (await queue.queue.getJob(second))?.getState()).toBe('waiting');
    await queue.close();
});

it('a job still running at the shutdown timeout is released and completed by another worker at once', async () => {
    const modelHash = randomModelHash();
    const queueKey = createQueueKey();
    // A long lock: the handover must come from the release, not from the lock expiring.
    const config = fastConfig(prefix, { lockDurationMs: 30_000, stalledIntervalMs: 30_000, shutdownTimeoutMs: 300 });
    const queue = new SealedJobQueue({ modelHash, queueKey, config });
    await queue.ready();
    const never = deferred();
    let aborted = false;
    const slow = new SealedWorker<null, string>({
        modelHash,
        queueKey,
        config,
        processor: async (_request, { signal }) => {
            signal?.addEventListener('abort', () => (aborted = true));
            await never.promise;
            return 'too late';
        },
    });
    const id = requestId('released');
    await queue.add({ requestId: id, inputs: null });
    await waitFor(() => slow.inFlightCount === 1);

    const outcome = await slow.close();
    expect(outcome).toEqual({ graceful: false, released: [id] });
    expect(aborted).toBe(true);
    expect(await (await queue.queue.getJob(id))?.getState()).toBe('waiting');

    const fast = new SealedWorker<null, string>({ modelHash, queueKey, config, processor: async () => 'done' });
    // Far less than the 30 s lock: only the release can have handed the job over this soon.
    expect(await queue.waitForResult(id, 10_000)).toBe('done');
    never.resolve();
    await fast.close();
    await queue.close();
});
