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
import type { SignedAnnouncement } from '../../worker-runtime/src/protocol/announcement';

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

test("a trusted worker is checked again in the background in its verdict's last fifth, and refused once that check fails", async () => {
    const stakes = chainStakes(h.chain, h.net.registry.address);
    let reads = 0;
    const trust = new WorkerTrust({
        stakes: (key) => {
            reads++;
            return stakes(key);
        },
        registry: await registrySnapshot(h.chain, h.net.registry.address),
        policy: { logger: { warn: () => undefined } },
        ttlMs: 10_000,
    });
    const key = h.workers[0].workerKey;
    const genuine = ((await (await fetch(`${h.url}/v1/workers/${key}`)).json()) as { announcement: unknown })
        .announcement as SignedAnnouncement;
    let announced: SignedAnnouncement | undefined = genuine;
    const announcement = async () => announced;
    expect(await trust.check(key, h.model.hash, announcement)).toEqual({ ok: true });
    expect(await trust.check(key, h.model.hash, announcement)).toEqual({ ok: true });
    expect(reads).toBe(1);
    // In the verdict's last fifth (8 to 10 s): the answer is not held up, the check runs beside it — and now finds
    // the worker without an announcement, so the verdict goes before its time.
    await new Promise((r) => setTimeout(r, 8_300));
    announced = undefined;
    expect(await trust.check(key, h.model.hash, announcement)).toEqual({ ok: true });
    // The background check ends by dropping the verdict: from then on the worker is checked on the answer's path, and
    // refused.
    let verdict = await trust.check(key, h.model.hash, announcement);
    for (let i = 0; i < 300 && verdict.ok; i++) {
        await new Promise((r) => setTimeout(r, 10));
        verdict = await trust.check(key, h.model.hash, announcement);
    }
    expect(verdict).toEqual({ ok: false, reason: `worker ${key} has no announcement signed by its key` });
    expect(reads).toBe(3);
});
