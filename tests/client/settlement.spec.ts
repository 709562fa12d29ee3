/**
 * Settlement end to end: the SDK commits its latest charge voucher once half its stake's worth is unsettled (and on
 * demand), the worker claims its payout voucher with the worker role's claim, and the on-chain numbers equal the
 * metered tokens exactly.
 */
import { Address, Cell, toNano } from '@ton/core';
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { RegistryView } from '../../worker-runtime/src/chain/registryView';
import { claimPayoutIfDue } from '../../worker-runtime/src/roles/worker/payout';
import { proxyTransports } from '../../worker-runtime/src/roles/worker/proxyTransports';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { WorkerAccount } from '../../wrappers/WorkerAccount';
import { createHarness, devnetClient, Harness, mlpInputs } from '../proxy/harness';

jest.setTimeout(60000);

const PRICE = toNano('0.01');
const WORKER_FEE = toNano('0.008');

let h: Harness;
let client: ChrysalisClient;

beforeAll(async () => {
    h = await createHarness({
        area: 'client-settle',
        network: { params: { pricePerToken: PRICE, workerFeePerToken: WORKER_FEE } },
    });
    client = await devnetClient(h);
});
afterAll(async () => h?.close());

/** WorkerPaidEvent (0x6368010a) emitted by the Proxy: owner, units, amount. */
async function lastWorkerPaid(proxy: Address): Promise<{ units: bigint; amount: bigint } | null> {
    const last = await h.chain.lastTransaction(proxy);
    const txs = await h.chain.transactionsFrom(proxy, last!, 5);
    for (const tx of txs) {
        for (const msg of tx.outMessages.values()) {
            if (msg.info.type !== 'external-out') continue;
            const s = (msg.body as Cell).beginParse();
            if (s.remainingBits < 32 || s.loadUint(32) !== 0x6368010a) continue;
            s.loadAddress();
            return { units: s.loadUintBig(64), amount: s.loadCoins() };
        }
    }
    return null;
}

test('the client commits at half its stake, the worker claims, and the chain matches the metered tokens', async () => {
    const before = await client.accountData();
    expect(before.stake).toBe(toNano('1'));
    // 20 rows of tiny-mlp = 21 tokens (1 per request + 1 per row) = 0.21 TON at this price.
    const a = await client.infer(h.model.hash, mlpInputs(20, 1));
    const b = await client.infer(h.model.hash, mlpInputs(20, 2));
    expect(a.tokens + b.tokens).toBe(42);
    expect((await client.accountData()).charged).toBe(0n); // 0.42 TON < half the stake: nothing committed yet
    const c = await client.infer(h.model.hash, mlpInputs(20, 3));
    const afterAuto = await client.accountData();
    expect(afterAuto.charged).toBe(63n); // 0.63 TON ≥ 0.5 TON: committed by the SDK after this request
    expect(before.balance - afterAuto.balance).toBe(63n * PRICE);

    const d = await client.infer(h.model.hash, mlpInputs(5, 4));
    const afterManual = await client.commitVoucher();
    const total = BigInt(a.tokens + b.tokens + c.tokens + d.tokens);
    expect(afterManual!.charged).toBe(total);
    expect(before.balance - afterManual!.balance).toBe(total * PRICE);
    // Committing the same voucher again changes nothing (cumulative vouchers).
    expect((await client.commitVoucher())!.charged).toBe(total);

    // The worker claims its payout voucher with the worker role's claim logic. The proxy signs payout vouchers when
    // asked, not per request: nothing is stored yet, and the claimer asks the proxy (listed here at its real URL).
    expect(await h.redis.get(RedisKeys.payout(h.prefix, h.workers[0].workerKey))).toBeNull();
    const view = await RegistryView.open({
        chain: h.chain,
        redis: h.redis,
        registry: h.net.registry.address,
        prefix: h.prefix,
    });
    const worker = h.net.workers[0];
    const gas = await h.chain.blockchain.treasury('payout-gas');
    try {
        const outcome = await claimPayoutIfDue({
            chain: h.chain,
            redis: h.redis,
            prefix: h.prefix,
            workerKey: h.workers[0].workerKey,
            owner: worker.owner.address,
            proxies: view.proxies().map((p) => ({ ...p, endpoint: h.url })),
            // Asked as a worker asks (a plain-HTTP proxy on a test network, opted in).
            transport: proxyTransports(view, { plainHttp: true, policy: { logger: { warn: () => undefined } } }),
            wallet: { address: gas.address, sender: gas.getSender() },
            threshold: 1n,
            value: toNano('0.05'),
        });
        expect(outcome).toMatchObject({ claimed: true, cumulative: total, paidBefore: 0n });
    } finally {
        await view.stop();
    }
    const account = h.chain.open(WorkerAccount.fromAddress(worker.payoutAccount.address));
    expect((await account.getWorkerData()).paid).toBe(total);
    expect(await lastWorkerPaid(h.net.proxy.contract.address)).toEqual({ units: total, amount: total * WORKER_FEE });
    const proxyData = await h.net.proxy.contract.getProxyData();
    expect(proxyData.paidUnits).toBe(total);
});

test('a client that never commits is stopped at its stake (402) and served again once it commits', async () => {
    const lazy = await devnetClient(h, { commitFraction: 100 }); // never commits by itself
    await lazy.commitVoucher(); // start from a settled account (the first test left nothing pending, but be sure)
    const before = await lazy.accountData();
    let served = 0;
    let refusal: ProxyError | null = null;
    while (!refusal && served < 20) {
        try {
            await lazy.infer(h.model.hash, mlpInputs(20, 100 + served)); // 21 tokens = 0.21 TON each
            served++;
        } catch (err) {
            refusal = err as ProxyError;
        }
    }
    // 5 requests = 1.05 TON uncharged ≥ the 1 TON stake: the 6th is refused before it is queued.
    expect(served).toBe(5);
    expect(refusal).toBeInstanceOf(ProxyError);
    expect(refusal!.status).toBe(402);
    expect(refusal!.code).toBe('uncommitted_usage');
    expect(refusal!.message).toMatch(/commit your latest charge voucher/);
    const settled = await lazy.commitVoucher();
    expect(settled!.charged - before.charged).toBe(105n);
    await expect(lazy.infer(h.model.hash, mlpInputs(1, 1))).resolves.toHaveProperty('tokens', 2);
});
