/**
 * The SDK accepts a receipt only from a worker key with an Active WorkerStake for the model on the proxy's registry
 * (read from chain) and an attested announcement: outputs forged on the path and re-signed with a fresh, unstaked
 * key are refused, and their voucher is neither kept nor committed.
 */
import { createHarness, devnetClient, Harness, mlpInputs } from '../proxy/harness';
import { ReceiptError } from '../../worker-runtime/src/client';
import { startForgingRelay } from '../fixtures/forgingRelay';
import { chainStakes, WorkerTrust } from '../../worker-runtime/src/client/workerTrust';
import { registrySnapshot } from '../../worker-runtime/src/client/registrySnapshot';

jest.setTimeout(60000);

let h: Harness;
beforeAll(async () => {
    h = await createHarness({ area: 'receipt-trust' });
});
afterAll(async () => h?.close());

test('a receipt from the staked, attested worker is accepted', async () => {
    const client = await devnetClient(h);
    const res = await client.infer(h.model.hash, mlpInputs(1, 3));
    expect(res.receipt.workerKey).toBe(h.workers[0].workerKey);
    expect(client.latestVoucher?.cumulative).toBe(res.voucher.cumulative);
});

test('outputs forged and re-signed with an unregistered, unstaked key are refused', async () => {
    const relay = await startForgingRelay(h.url);
    try {
        const client = await devnetClient(h, { proxyUrl: relay.url, commitFraction: 0 });
        const before = await client.accountData();
        const attempt = client.infer(h.model.hash, mlpInputs(1, 4));
        await expect(attempt).rejects.toThrow(ReceiptError);
        await expect(attempt).rejects.toThrow(
            `worker ${relay.attackerKey} is not staked for this model: the worker key has no WorkerStake (not registered)`,
        );
        expect(relay.forged).toBe(1);
        // Nothing from the forged answer is kept or committed (commitFraction 0 would commit any accepted voucher).
        expect(client.latestVoucher).toBeNull();
        expect((await client.accountData()).charged).toBe(before.charged);
    } finally {
        await relay.close();
    }
});

test('a key staked for another model is refused', async () => {
    // The staked worker's key, but the receipt names a model it is not staked for: the registry check, not the
    // signature, refuses it.
    const trust = new WorkerTrust({
        stakes: chainStakes(h.chain, h.net.registry.address),
        registry: await registrySnapshot(h.chain, h.net.registry.address),
    });
    const other = 'ab'.repeat(32);
    const check = await trust.check(h.workers[0].workerKey, other, async () => undefined);
    expect(check).toEqual({
        ok: false,
        reason: expect.stringMatching(
            /is not staked for this model: the WorkerStake is for model [0-9a-f]{64}, not this one/,
        ),
    });
});
