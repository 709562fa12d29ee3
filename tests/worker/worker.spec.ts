import { Address } from '@ton/core';
import { keyPairFromSeed } from '@ton/crypto';
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../../worker-runtime/src/errors';
import { hashTensors, toWireMap, wireMapToJson } from '../../worker-runtime/src/inference';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { verifyReceipt } from '../../worker-runtime/src/protocol/receipt';
import { SealedJobQueue } from '../../worker-runtime/src/queue';
import { receiptFromHex, WorkerJobResult } from '../../worker-runtime/src/roles/worker';
import { dumpValuesUnder } from '../queue/helpers';
import { features, newRequestId, REDIS_URL, workerTestbed, WorkerTestbed } from './helpers';

describe('worker role: sealed jobs, receipts, bad input', () => {
    let bed: WorkerTestbed;
    let producer: SealedJobQueue;

    beforeAll(async () => {
        bed = await workerTestbed('worker-jobs');
    });
    afterAll(async () => {
        await producer?.close();
        await bed.close();
    });

    it('waits for its grant, then runs sealed jobs and signs receipts that verify (and tampered ones do not)', async () => {
        const worker = await bed.createWorker({ httpEnabled: true, httpHost: '127.0.0.1', httpPort: 0 });
        expect(worker.currentState).toBe('announced');
        expect(await bed.redis.exists(RedisKeys.announcement(bed.prefix, worker.workerKey))).toBe(1);
        const before = await fetch(`${worker.httpAddress}/healthz`);
        expect(before.status).toBe(503);

        const outcomes = await bed.admission.admitPending();
        expect(outcomes).toEqual([{ workerKey: worker.workerKey, admitted: true, keyVersion: expect.any(Number) }]);
        await worker.consume();
        expect(worker.currentState).toBe('consuming');
        expect((await fetch(`${worker.httpAddress}/healthz`)).status).toBe(200);

        const { key } = await bed.admission.queueKey(bed.modelHash);
        producer = new SealedJobQueue({
            modelHash: bed.modelHash,
            queueKey: key,
            config: { redisUrl: REDIS_URL, prefix: bed.prefix },
        });
        await producer.ready();
        const requestId = newRequestId();
        const inputs = features(1);
        const result = await producer.submit<WorkerJobResult>({ requestId, inputs });

        expect(result.workerKey).toBe(worker.workerKey);
        // Outputs travel in the wire form (the elements' bytes): decoded, they are the model's outputs.
        expect(wireMapToJson(result.outputs)).toEqual(await worker.pool!.run(inputs));
        expect(result.inferenceMs).toBeGreaterThanOrEqual(0);
        expect(result.receipt).toEqual({
            requestId,
            modelHash: bed.modelHash,
            inputHash: hashTensors(toWireMap(inputs)).toString(16).padStart(64, '0'),
            outputHash: hashTensors(result.outputs).toString(16).padStart(64, '0'),
            // Bound to the registry the worker follows (its WorkerStake's network).
            registry: bed.net.registry.address.toRawString(),
        });
        const receipt = receiptFromHex(result.receipt);
        const signature = Buffer.from(result.signature, 'hex');
        const workerKey = Buffer.from(worker.workerKey, 'hex');
        expect(verifyReceipt(receipt, signature, workerKey)).toBe(true);
        // Tampered receipts: another output, another request, another signer.
        expect(verifyReceipt({ ...receipt, outputHash: receipt.outputHash ^ 1n }, signature, workerKey)).toBe(false);
        expect(verifyReceipt({ ...receipt, requestId: receipt.requestId + 1n }, signature, workerKey)).toBe(false);
        const otherNetwork = { ...receipt, registry: new Address(0, Buffer.alloc(32, 0x44)) };
        expect(verifyReceipt(otherNetwork, signature, workerKey)).toBe(false);
        const stranger = keyPairFromSeed(randomBytes(32)).publicKey;
        expect(verifyReceipt(receipt, signature, stranger)).toBe(false);

        // Redis (untrusted) holds neither the inputs nor the outputs nor the receipt in clear.
        const clear = [...(await dumpValuesUnder(bed.redis, bed.prefix)).values()].join('\n');
        expect(clear).not.toMatch(/"features"|"logits"|"label"|"outputHash"/);
        expect(clear).not.toContain(result.signature);

        const metrics = await (await fetch(`${worker.httpAddress}/metrics`)).text();
        expect(metrics).toMatch(/chrysalis_requests_total\{[^}]*outcome="ok"[^}]*\} 1/);
        expect(metrics).toMatch(/bullmq_job_count/);
    });

    it('refuses malformed inputs with clear errors, never retried, and stays up', async () => {
        const good = features(2).features;
        const cases: Array<[unknown, RegExp]> = [
            [{ wrong: good }, /unknown input "wrong"/],
            [{ features: { ...good, type: 'int64', data: good.data.map(() => 1) } }, /type|int64/i],
            [{ features: { ...good, dims: [1, 15], data: good.data.slice(0, 15) } }, /dim|shape/i],
            [{ features: { type: 'float32', dims: [1 << 17, 16], data: [] } }, /elements|limit|too (large|many)/i],
            ['garbage', /inputs must be an object/],
            [{ features: { type: 'float32', dims: [1, 16], data: 'not an array' } }, /data/i],
        ];
        for (const [inputs, message] of cases) {
            const requestId = newRequestId();
            await expect(producer.submit({ requestId, inputs })).rejects.toThrow(InvalidInputError);
            await expect(producer.waitForResult(requestId)).rejects.toThrow(message);
            const job = await producer.queue.getJob(requestId);
            expect(job?.attemptsMade).toBe(1); // permanent: no retry
        }
        const after = await producer.submit<WorkerJobResult>({ requestId: newRequestId(), inputs: features(3) });
        expect(Object.keys(after.outputs).length).toBeGreaterThan(0);
    });
});
