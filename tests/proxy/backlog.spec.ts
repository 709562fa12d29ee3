/**
 * A backlog (issue 15, item 9): a burst of requests queues up behind one slow but healthy worker. The per-attempt
 * timeout runs from the moment the worker takes a job, so waiting in the queue is nobody's fault: every queued
 * request is served, nobody is blamed or demoted, and while the queue wait is past its bound new work is refused with
 * 503 and `Retry-After` instead of being queued.
 */
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { createHarness, devnetClient, Harness, mlpInputs } from './harness';

jest.setTimeout(90000);

let h: Harness;
let client: ChrysalisClient;

beforeAll(async () => {
    h = await createHarness({
        area: 'proxy-backlog',
        behaviours: ['slow'],
        slowMs: 300,
        // One job takes 300 ms, well within the 1.5 s a worker has for it; the burst below queues ≈ 3.6 s of work.
        proxyConfig: {
            resultTimeoutMs: 1500,
            maxQueueWaitMs: 20_000,
            admissionQueueWaitMs: 1000,
            reputationMinSamples: 1,
            reputationMinSuccessRate: 50,
        },
    });
    client = await devnetClient(h);
});

afterAll(async () => {
    await h?.close();
});

/** Waits until the oldest queued request has waited past the admission bound (the proxy's own measure). */
async function backlogPastBound(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (h.proxy.dispatcher.oldestWaitMs(h.model.hash) <= 1100) {
        if (Date.now() > deadline) throw new Error('no backlog built up');
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

test('a burst behind a slow worker is served without blame; meanwhile new work gets 503 with Retry-After', async () => {
    const burst = Array.from({ length: 12 }, (_, i) => client.infer(h.model.hash, mlpInputs(1, 200 + i)));
    // Once the oldest queued request has waited past the admission bound, a new one is refused at once.
    await backlogPastBound();
    const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBeGreaterThanOrEqual(400); // (no body at all: refused before anything else)
    const refused = (await client.infer(h.model.hash, mlpInputs(1, 300)).catch((e) => e)) as ProxyError;
    expect(refused).toBeInstanceOf(ProxyError);
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('overloaded');
    const raw = await fetch(`${h.url}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
    });
    // Admission is judged after authentication: a stranger still gets its 4xx, not a hint about load.
    expect(raw.status).toBeLessThan(500);

    const results = await Promise.allSettled(burst);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(12);
    expect(h.workers[0].jobs).toBe(12);
    expect(h.admission.demoted).toEqual([]);
    expect(h.proxy.reputation.get(h.workers[0].workerKey)).toMatchObject({ successRate: 1, demoted: false });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).not.toMatch(/kind="worker_timeout"/);
    // The backlog is gone: new work is admitted again.
    await expect(client.infer(h.model.hash, mlpInputs(1, 301))).resolves.toHaveProperty('outputs');
});

test('the refusal tells the client when to come back', async () => {
    const burst = Array.from({ length: 10 }, (_, i) => client.infer(h.model.hash, mlpInputs(1, 400 + i)));
    await backlogPastBound();
    const c = h.net.client;
    const { signRequest } = await import('../../worker-runtime/src/protocol/request');
    const signed = signRequest(
        {
            requestId: 'ab'.repeat(31) + 'cd',
            model: h.model.hash,
            inputs: mlpInputs(1, 500),
            account: c.account.address.toString(),
            validUntil: (await h.chain.now()) + 300,
        },
        c.keyPair.secretKey,
    );
    const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await Promise.allSettled(burst);
    expect(h.admission.demoted).toEqual([]);
});
