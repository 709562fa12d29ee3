import { Redis } from 'ioredis';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { wireMapToJson } from '../../worker-runtime/src/inference';
import { SealedJobQueue, SealedWorker } from '../../worker-runtime/src/queue';
import { WorkerJobResult, WorkerRole } from '../../worker-runtime/src/roles/worker';
import { adminSend, newRequestId, REDIS_URL, workerTestbed, WorkerTestbed } from './helpers';
import { slowInputs, writeSlowModel } from './slowModel';

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((r) => setTimeout(r, 10));
    }
}

/**
 * What SIGKILL does to a worker, as Redis sees it: every connection of its queue consumer drops at once, its locks
 * are no longer renewed, and whatever it computes afterwards can reach Redis by no path. (The worker role shares the
 * process with the sandbox chain here, so the process itself cannot be killed; the queue module's own test kills a
 * real process with SIGKILL.)
 */
async function killAbruptly(worker: WorkerRole): Promise<void> {
    const internals = worker as unknown as {
        consumer: SealedWorker | null;
        stopping: boolean;
        grantTimer?: NodeJS.Timeout;
    };
    const consumer = internals.consumer!;
    internals.consumer = null; // stop() must not try to shut the dead consumer down gracefully
    // A dead process watches no grant either: otherwise the worker, seeing no consumer, would start a new one.
    internals.stopping = true;
    if (internals.grantTimer) clearTimeout(internals.grantTimer);
    (consumer as unknown as { redis: Redis }).redis.disconnect();
    await consumer.worker.close(true);
}

describe('a worker killed mid-job', () => {
    let bed: WorkerTestbed;

    beforeAll(async () => {
        bed = await workerTestbed('worker-killed');
    });
    afterAll(async () => {
        await bed.close();
    });

    it('its job completes on another worker, with one result', async () => {
        const slow = writeSlowModel();
        await adminSend(bed.net, {
            $$type: 'AllowModel',
            queryId: 0n,
            modelHash: BigInt('0x' + slow.hash),
            kind: 0n,
            name: 'slow',
        });
        await bed.view.sync();
        const victim = await bed.createWorker({ modelPath: slow.path });
        // The rescuer holds its lock longer: on a loaded machine a 1 s lock can lapse while it computes, and a second
        // stall would fail the job (maxStalledCount 1). The victim's short lock makes its death noticed quickly.
        const rescuer = await bed.createWorker({ modelPath: slow.path, lockDurationMs: 10_000 });
        await bed.admission.admitPending();
        await victim.consume();

        const { key } = await bed.admission.queueKey(slow.hash);
        const producer = new SealedJobQueue({
            modelHash: slow.hash,
            queueKey: key,
            config: { redisUrl: REDIS_URL, prefix: bed.prefix },
        });
        await producer.ready();
        try {
            const requestId = newRequestId();
            const inputs = slowInputs(384);
            await producer.add({ requestId, inputs });
            await waitFor(async () => {
                const job = await producer.queue.getJob(requestId);
                return (await job?.getState()) === 'active' && job?.processedBy === victim.workerKey;
            });
            await killAbruptly(victim);

            await rescuer.consume();
            const result = await producer.waitForResult<WorkerJobResult>(requestId, 20_000);
            expect(result.workerKey).toBe(rescuer.workerKey);
            expect(wireMapToJson(result.outputs)).toEqual(await rescuer.pool!.run(inputs));
            const job = await producer.queue.getJob(requestId);
            expect(await job?.getState()).toBe('completed');
            expect(job?.processedBy).toBe(rescuer.workerKey);

            // One result record, and it is what any later wait returns (the victim's late output went nowhere).
            expect(await bed.redis.keys(`${bed.prefix}:*:result:${requestId}:*`)).toHaveLength(1);
            await new Promise((r) => setTimeout(r, 1_000)); // give the victim's thread time to finish its run
            expect((await producer.waitForResult<WorkerJobResult>(requestId)).workerKey).toBe(rescuer.workerKey);
        } finally {
            await producer.close();
            await Promise.all([victim.stop(), rescuer.stop()]);
        }
    });

    it('a graceful stop lets the in-flight job finish, withdraws the announcement and takes no more jobs', async () => {
        const slow = writeSlowModel();
        await bed.view.sync();
        const worker = await bed.createWorker({ modelPath: slow.path, shutdownTimeoutMs: 20_000 });
        await bed.admission.admitPending();
        await worker.consume();
        const { key } = await bed.admission.queueKey(slow.hash);
        const producer = new SealedJobQueue({
            modelHash: slow.hash,
            queueKey: key,
            config: { redisUrl: REDIS_URL, prefix: bed.prefix },
        });
        await producer.ready();
        try {
            const first = newRequestId();
            const second = newRequestId();
            await producer.add({ requestId: first, inputs: slowInputs(256) });
            await waitFor(async () => (await (await producer.queue.getJob(first))?.getState()) === 'active');
            await producer.add({ requestId: second, inputs: slowInputs(1) });
            await worker.stop();
            expect(worker.currentState).toBe('stopped');
            expect((await producer.waitForResult<WorkerJobResult>(first)).workerKey).toBe(worker.workerKey);
            expect(await (await producer.queue.getJob(second))?.getState()).toBe('waiting');
            expect(await bed.redis.exists(RedisKeys.announcement(bed.prefix, worker.workerKey))).toBe(0);
        } finally {
            await producer.close();
        }
    });
});
