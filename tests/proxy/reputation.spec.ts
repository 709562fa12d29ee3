/**
 * Reputation: a worker that fails or times out loses routing (admission rotates the queue key) and the request
 * completes on another worker, within the same HTTP call.
 */
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { createHarness, devnetClient, Harness, mlpInputs } from './harness';

jest.setTimeout(60000);

describe('a worker that fails repeatedly', () => {
    let h: Harness;
    let client: ChrysalisClient;
    beforeAll(async () => {
        h = await createHarness({
            area: 'proxy-rep-fail',
            behaviours: ['failing', 'good'],
            proxyConfig: { reputationMinSamples: 2, reputationMinSuccessRate: 50, maxAttempts: 3 },
        });
        client = await devnetClient(h);
    });
    afterAll(async () => h?.close());

    test('is demoted after its second failure and the request completes on the other worker', async () => {
        const [bad, good] = h.workers;
        await good.stop(); // only the failing worker consumes at first, so it surely gets the job
        const inputs = mlpInputs(1, 5);
        const res = await client.infer(h.model.hash, inputs);
        expect(res.outputs).toEqual(await h.pool.run(inputs));
        expect(res.workerKey).toBe(good.workerKey);
        expect(bad.jobs).toBe(2);
        expect(h.admission.demoted).toEqual([bad.workerKey]);
        expect(h.proxy.reputation.get(bad.workerKey)).toMatchObject({ attempts: 2, successRate: 0, demoted: true });
        // From now on the demoted worker gets nothing; every request is served by the good one.
        for (let i = 0; i < 3; i++) {
            expect((await client.infer(h.model.hash, mlpInputs(1, 10 + i))).workerKey).toBe(good.workerKey);
        }
        expect(bad.jobs).toBe(2);
        expect(h.proxy.reputation.get(good.workerKey)).toMatchObject({ successRate: 1, demoted: false });
        const metrics = await (await fetch(`${h.url}/metrics`)).text();
        expect(metrics).toMatch(/chrysalis_errors_total\{kind="worker_failure".*\} 2/);
    });
});

describe('a worker that times out', () => {
    let h: Harness;
    let client: ChrysalisClient;
    beforeAll(async () => {
        h = await createHarness({
            area: 'proxy-rep-timeout',
            behaviours: ['hanging', 'good'],
            proxyConfig: { reputationMinSamples: 1, resultTimeoutMs: 800, maxAttempts: 2 },
        });
        client = await devnetClient(h);
    });
    afterAll(async () => h?.close());

    test('loses its job and its routing; the job completes elsewhere and is charged once', async () => {
        const [slow, good] = h.workers;
        await good.stop();
        const inputs = mlpInputs(2, 6);
        const res = await client.infer(h.model.hash, inputs);
        expect(res.workerKey).toBe(good.workerKey);
        expect(res.outputs).toEqual(await h.pool.run(inputs));
        expect(slow.jobs).toBe(1);
        expect(h.admission.demoted).toEqual([slow.workerKey]);
        expect(h.proxy.reputation.get(slow.workerKey)).toMatchObject({ demoted: true, successRate: 0 });
        expect(await h.proxy.counters.clientTokens(client.account.toRawString())).toBe(BigInt(res.tokens));
    });
});
