import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { JobFailedError } from '../../worker-runtime/src/errors';
import { createQueueKey, SealedJobQueue, SealedWorker } from '../../worker-runtime/src/queue';
import {
    deleteKeysUnder,
    fastConfig,
    keysUnder,
    randomModelHash,
    REDIS_URL,
    requestId,
    uniquePrefix,
    waitFor,
} from './helpers';

const prefix = uniquePrefix('stalled');
const redis = new Redis(REDIS_URL);
const modelHash = randomModelHash();
const queueKey = createQueueKey();
const config = fastConfig(prefix);
const counterKey = `${prefix}:computations`;
let child: ChildProcess | undefined;

afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

function spawnStuckWorker(): ChildProcess {
    return spawn(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'fixtures', 'stuckWorker.ts')], {
        cwd: path.join(__dirname, '..', '..'),
        env: {
            ...process.env,
            REDIS_URL,
            QUEUE_PREFIX: prefix,
            MODEL_HASH: modelHash,
            QUEUE_KEY_HEX: queueKey.toString('hex'),
            COUNTER_KEY: counterKey,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
    });
}

it('a worker killed with SIGKILL mid-job: another worker completes it; computed twice at most, one result, charged once', async () => {
    const producer = new SealedJobQueue({ modelHash, queueKey, config });
    await producer.ready();
    const id = requestId('killed');
    await producer.add({ requestId: id, inputs: { x: 21 } });

    child = spawnStuckWorker();
    await waitFor(async () => (await redis.get(counterKey)) === '1', 20_000);
    expect(await (await producer.queue.getJob(id))?.getState()).toBe('active');
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // The rescuer finds the job once the dead worker's lock expires (lockDuration) and a stall check runs.
    const rescuer = new SealedWorker<{ x: number }, { y: number }>({
        modelHash,
        queueKey,
        config,
        processor: async ({ inputs }) => {
            await redis.incr(counterKey);
            return { y: inputs.x * 2 };
        },
    });
    try {
        const first = await producer.waitForResult(id);
        expect(first).toEqual({ y: 42 });
        const job = await producer.queue.getJob(id);
        expect(await job?.getState()).toBe('completed');
        expect(Number(await redis.get(counterKey))).toBe(2); // once in the killed worker, once in the rescuer

        // One result record; a second wait (a proxy retrying) gets the same result, and only one charge counts.
        const resultKeys = (await keysUnder(redis, prefix)).filter((k) => k.includes(':result:'));
        expect(resultKeys).toHaveLength(1);
        expect(await producer.waitForResult(id)).toEqual(first);
        expect(await producer.markCharged(id)).toBe(true);
        expect(await producer.markCharged(id)).toBe(false);
    } finally {
        await rescuer.close();
        await producer.close();
    }
});

it('with maxStalledCount 0 a job whose worker died is failed, not run again, and the producer is told', async () => {
    const model = randomModelHash();
    const config = fastConfig(prefix, { maxStalledCount: 0 });
    const producer = new SealedJobQueue({ modelHash: model, queueKey, config });
    await producer.ready();
    let runs = 0;
    const dying = new SealedWorker({
        modelHash: model,
        queueKey,
        config,
        processor: async () => {
            runs++;
            return new Promise<never>(() => undefined);
        },
    });
    const id = requestId('poison');
    await producer.add({ requestId: id, inputs: null });
    await waitFor(() => runs === 1);
    // Simulate a crash in-process: drop the worker's connections without releasing its job.
    await dying.worker.close(true);
    const survivor = new SealedWorker({ modelHash: model, queueKey, config, processor: async () => runs++ });
    try {
        // Close what is left of the dead worker (its ledger client); its BullMQ connections are gone, so nothing
        // can be released and the job stays stalled.
        expect(await dying.close(0)).toEqual({ graceful: false, released: [] });
        const failure = producer.waitForResult(id);
        await expect(failure).rejects.toThrow(JobFailedError);
        await expect(failure).rejects.toThrow(/stalled more than allowable limit/);
        expect(runs).toBe(1);
    } finally {
        await survivor.close();
        await producer.close();
        // The forced close leaves ioredis's 2 s socket-teardown timer; let it expire so jest exits cleanly.
        await new Promise((resolve) => setTimeout(resolve, 2_100));
    }
});
