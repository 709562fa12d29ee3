/**
 * A job Redis loses while the request waits (wiped, rolled back, evicted) is the proxy's problem, not the client's:
 * the request is queued again, and when the queue keeps losing it the answer is 503 with Retry-After, never a 400.
 */
import { Job, Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { bullQueueName } from '../../worker-runtime/src/queue';
import { InferenceRequest, SignedRequest, signRequest } from '../../worker-runtime/src/protocol/request';
import { ed25519Signer } from '../../worker-runtime/src/crypto/ed25519';
import { createHarness, Harness, mlpInputs, REDIS_URL } from './harness';

jest.setTimeout(60000);

let h: Harness;
let queue: Queue;

beforeAll(async () => {
    h = await createHarness({ area: 'proxy-vanished', proxyConfig: { resultTimeoutMs: 700, maxAttempts: 2 } });
    queue = new Queue(bullQueueName(h.model.hash), { connection: { url: REDIS_URL }, prefix: h.prefix });
});
afterAll(async () => {
    await queue?.close();
    await h?.close();
});

async function signed(): Promise<SignedRequest & { requestId: string }> {
    const c = h.net.client;
    const request: InferenceRequest = {
        requestId: randomBytes(32).toString('hex'),
        model: h.model.hash,
        inputs: mlpInputs(1, 5),
        account: c.account.address.toString(),
        validUntil: (await h.chain.now()) + 300,
    };
    return { ...signRequest(request, ed25519Signer(c.keyPair.secretKey)), requestId: request.requestId };
}

function post(signed: SignedRequest) {
    return fetch(`${h.url}/v1/infer`, { method: 'POST', headers: signed.headers, body: signed.body });
}

/** Deletes the request's job as soon as it is queued (what a wipe or an eviction does to it), `times` times. */
async function loseJob(requestId: string, times: number): Promise<void> {
    for (let lost = 0; lost < times;) {
        const job = await Job.fromId(queue, requestId);
        if (job) {
            await job.remove();
            lost++;
        } else {
            await new Promise((r) => setTimeout(r, 10));
        }
    }
}

test('a job lost from the queue is queued again and served', async () => {
    for (const w of h.workers) await w.stop(); // nobody takes the job while it is lost
    const body = await signed();
    const pending = post(body);
    await loseJob(body.requestId, 1);
    const { key } = await h.admission.queueKey(h.model.hash);
    for (const w of h.workers) await w.start(key);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { requestId: string }).requestId).toBe(body.requestId);
    // Nobody was blamed for Redis losing the job.
    expect(h.admission.demoted).toEqual([]);
});

test('a queue that keeps losing the job answers 503 with Retry-After, not 400 invalid_input', async () => {
    for (const w of h.workers) await w.stop();
    const body = await signed();
    const pending = post(body);
    await loseJob(body.requestId, 2);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const answer = (await res.json()) as { error: string; message: string };
    expect(answer.error).toBe('unavailable');
    expect(answer.message).toMatch(/the queue lost the job/);
    const { key } = await h.admission.queueKey(h.model.hash);
    for (const w of h.workers) await w.start(key);
});
