import { Redis } from 'ioredis';
import { InvalidInputError, JobFailedError, TransientError } from '../../worker-runtime/src/errors';
import { createQueueKey, SealedJobQueue, SealedWorker } from '../../worker-runtime/src/queue';
import { deleteKeysUnder, fastConfig, randomModelHash, REDIS_URL, requestId, uniquePrefix } from './helpers';

const prefix = uniquePrefix('retries');
const redis = new Redis(REDIS_URL);
const modelHash = randomModelHash();
const queueKey = createQueueKey();
const config = fastConfig(prefix, { attempts: 4, backoffDelayMs: 100 });

type Input = { mode: 'flaky-twice' | 'bad' | 'always-down' };
const attemptsSeen = new Map<string, number[]>();

const queue = new SealedJobQueue({ modelHash, queueKey, config });
const worker = new SealedWorker<Input, string>({
    modelHash,
    queueKey,
    config,
    processor: async ({ requestId: id, inputs }, { attempt }) => {
        attemptsSeen.set(id, [...(attemptsSeen.get(id) ?? []), Date.now()]);
        if (inputs.mode === 'bad') throw new InvalidInputError('input "x" has shape [3] but the model expects [4]');
        if (inputs.mode === 'always-down') throw new TransientError('inference backend unavailable');
        if (attempt <= 2) throw new TransientError(`temporary failure on attempt ${attempt}`);
        return `done on attempt ${attempt}`;
    },
});

beforeAll(() => queue.ready());
afterAll(async () => {
    await worker.close();
    await queue.close();
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

it('retries a transient error with exponential backoff, then succeeds', async () => {
    const id = requestId('flaky');
    await expect(queue.submit({ requestId: id, inputs: { mode: 'flaky-twice' } })).resolves.toBe('done on attempt 3');
    const times = attemptsSeen.get(id)!;
    expect(times).toHaveLength(3);
    // Backoff doubles: at least 100 ms before the first retry, at least 200 ms before the second.
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(95);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(195);
    expect((await queue.queue.getJob(id))?.attemptsMade).toBe(3);
});

it('does not retry bad input, and the producer gets the InvalidInputError with its message', async () => {
    const id = requestId('bad');
    const failure = queue.submit({ requestId: id, inputs: { mode: 'bad' } });
    await expect(failure).rejects.toThrow(InvalidInputError);
    await expect(failure).rejects.toThrow('input "x" has shape [3] but the model expects [4]');
    expect(attemptsSeen.get(id)).toHaveLength(1);
    const job = await queue.queue.getJob(id);
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
});

it('gives up after the configured attempts on a persistent transient error', async () => {
    const id = requestId('down');
    const failure = queue.submit({ requestId: id, inputs: { mode: 'always-down' } });
    await expect(failure).rejects.toThrow(JobFailedError);
    await expect(failure).rejects.toMatchObject({
        remoteName: 'TransientError',
        permanent: false,
        message: expect.stringContaining('inference backend unavailable'),
    });
    expect(attemptsSeen.get(id)).toHaveLength(4);
});
