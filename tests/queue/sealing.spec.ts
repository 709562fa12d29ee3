import { Redis } from 'ioredis';
import { InvalidInputError, JobFailedError, StaleResultError } from '../../worker-runtime/src/errors';
import { createQueueKey, SealedJobQueue, SealedWorker, sealJob } from '../../worker-runtime/src/queue';
import {
    deleteKeysUnder,
    dumpValuesUnder,
    fastConfig,
    randomModelHash,
    REDIS_URL,
    requestId,
    uniquePrefix,
    waitFor,
} from './helpers';

// Redis is untrusted: whatever it stores must be useless without the queue key.
const prefix = uniquePrefix('sealing');
const redis = new Redis(REDIS_URL);
const MARKER_IN = 'PLAINTEXT-INPUT-MARKER-7f3a';
const MARKER_OUT = 'PLAINTEXT-OUTPUT-MARKER-91c2';
const MARKER_ERR = 'PLAINTEXT-ERROR-MARKER-44d0';

afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

describe('sealed payloads in Redis', () => {
    const modelHash = randomModelHash();
    const queueKey = createQueueKey();
    const config = fastConfig(prefix, { attempts: 2 });
    let queue: SealedJobQueue;
    let worker: SealedWorker<{ text: string; fail?: 'bad' | 'transient' }, { reply: string }>;

    beforeAll(async () => {
        queue = new SealedJobQueue({ modelHash, queueKey, config });
        worker = new SealedWorker({
            modelHash,
            queueKey,
            config,
            processor: async ({ inputs }) => {
                if (inputs.fail === 'bad') throw new InvalidInputError(`bad value ${MARKER_ERR}`);
                if (inputs.fail === 'transient') throw new Error(`flaky ${MARKER_ERR}`);
                return { reply: `${MARKER_OUT} for ${inputs.text}` };
            },
        });
        await queue.ready();
    });

    afterAll(async () => {
        await worker.close();
        await queue.close();
    });

    it('stores no plaintext input, output or error message anywhere under the prefix', async () => {
        const ok = requestId('ok');
        const result = await queue.submit({ requestId: ok, inputs: { text: MARKER_IN }, meta: { user: MARKER_IN } });
        expect(result).toEqual({ reply: `${MARKER_OUT} for ${MARKER_IN}` });
        await expect(
            queue.submit({ requestId: requestId('bad'), inputs: { text: MARKER_IN, fail: 'bad' } }),
        ).rejects.toThrow(MARKER_ERR);
        await expect(
            queue.submit({ requestId: requestId('flaky'), inputs: { text: MARKER_IN, fail: 'transient' } }),
        ).rejects.toThrow(JobFailedError);

        const dump = await dumpValuesUnder(redis, prefix);
        const everything = [...dump.values()].join('\n');
        // The scan does see the queue's data: job hashes, the result record and the event stream.
        expect(everything).toContain(ok);
        expect(everything).toContain('"sealed"');
        expect([...dump.keys()].some((k) => k.includes(`:result:${ok}:`))).toBe(true);
        expect([...dump.keys()].some((k) => k.endsWith(':events'))).toBe(true);
        for (const marker of [MARKER_IN, MARKER_OUT, MARKER_ERR]) {
            expect(everything).not.toContain(marker);
            expect(everything).not.toContain(Buffer.from(marker).toString('hex'));
        }
    });

    it('a ciphertext moved to another request id fails permanently (AAD binds the request id)', async () => {
        const original = requestId('orig');
        const moved = requestId('moved');
        const data = sealJob(queueKey, modelHash, { requestId: original, inputs: { text: 'x' } });
        // What a malicious Redis could do: replay one request's sealed payload under another job id.
        await queue.queue.add('infer', { ...data, requestId: moved }, { jobId: moved });
        await expect(queue.waitForResult(moved)).rejects.toThrow(/failed authentication/);
        const job = await queue.queue.getJob(moved);
        expect(job?.attemptsMade).toBe(1); // not retried
    });

    it('a job sealed for another model fails permanently (AAD binds the model hash)', async () => {
        const id = requestId('other-model');
        const data = sealJob(queueKey, randomModelHash(), { requestId: id, inputs: { text: 'x' } });
        await queue.queue.add('infer', { ...data, modelHash }, { jobId: id });
        await expect(queue.waitForResult(id)).rejects.toThrow(/failed authentication/);
    });

    it('garbage job data fails that job permanently and the worker keeps serving', async () => {
        const garbage = requestId('garbage');
        await queue.queue.add('infer', { hello: 'not sealed' } as never, { jobId: garbage });
        await expect(queue.waitForResult(garbage)).rejects.toThrow(/does not carry a sealed v1 payload/);
        expect((await queue.queue.getJob(garbage))?.attemptsMade).toBe(1);
        await expect(queue.submit({ requestId: requestId('after'), inputs: { text: 'y' } })).resolves.toEqual({
            reply: `${MARKER_OUT} for y`,
        });
    });

    it('a worker holding a different queue key cannot open jobs', async () => {
        const otherModel = randomModelHash();
        const rightKey = createQueueKey();
        const producer = new SealedJobQueue({ modelHash: otherModel, queueKey: rightKey, config });
        const intruder = new SealedWorker({
            modelHash: otherModel,
            queueKey: createQueueKey(),
            config,
            processor: async () => 'should never run',
        });
        try {
            await producer.ready();
            const id = requestId('wrong-key');
            await expect(producer.submit({ requestId: id, inputs: { text: MARKER_IN } })).rejects.toThrow(
                /SealedPayloadError: the failure report does not open with this queue key/,
            );
        } finally {
            await intruder.close();
            await producer.close();
        }
    });

    it('a result tampered with in Redis does not open', async () => {
        const id = requestId('tamper');
        await queue.submit({ requestId: id, inputs: { text: 'x' } });
        const key = queue.ledger.resultKey(id);
        const sealed = Buffer.from((await redis.get(key)) as string, 'base64');
        sealed[sealed.length - 1] ^= 1;
        await redis.set(key, sealed.toString('base64'));
        await queue.queue.remove(id); // force the producer to read the (tampered) result record
        await waitFor(async () => (await queue.queue.getJob(id)) === undefined);
        // Not opened, and not blamed on anyone: the producer reports a stale result (the proxy runs the job again).
        await expect(queue.waitForResult(id)).rejects.toThrow(StaleResultError);
        await expect(queue.waitForResult(id)).rejects.toThrow(/does not open with this queue key/);
    });
});
