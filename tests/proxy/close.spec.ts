/**
 * Closing a proxy (issue 11): before RequestProxyClose the runtime commits every client's outstanding charges,
 * publishes every worker's payout voucher valid through the claim window and commits its counters; a worker that
 * claims within the window is paid in full. Real sandbox chain, real Redis, real workers and ONNX Runtime.
 */
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { claimPayout } from '../../worker-runtime/src/devnet/settlement';
import { RedisKeys, StoredPayoutVoucher } from '../../worker-runtime/src/protocol/keys';
import { ProxyCloseError, voucherFromJson } from '../../worker-runtime/src/roles/proxy';
import { ClientAccount } from '../../wrappers/ClientAccount';
import { ProxyState } from '../../wrappers/Proxy';
import { createHarness, devnetClient, Harness, mlpInputs } from './harness';

jest.setTimeout(90000);

let h: Harness;
let client: ChrysalisClient;

beforeAll(async () => {
    h = await createHarness({ area: 'proxy-close' });
    client = await devnetClient(h);
});
afterAll(async () => h?.close());

test('settles charges, publishes payout vouchers and commits before it requests the close; workers claim in the window', async () => {
    for (let i = 0; i < 3; i++) await client.infer(h.model.hash, mlpInputs(2, i + 1));
    const proxy = h.net.proxy.contract;
    const accountAddress = h.net.client.account.address;
    const account = h.chain.open(ClientAccount.fromAddress(accountAddress));
    // The client holds its vouchers; none reached the chain yet.
    expect((await account.getAccountData()).charged).toBe(0n);
    const clientTokens = await h.proxy.counters.clientTokens(accountAddress.toRawString());
    expect(clientTokens).toBeGreaterThan(0n);

    const outcome = await h.proxy.requestClose({ pollMs: 10, landTimeoutMs: 5000 });

    // 1. The outstanding charges are on chain, and the Proxy booked them.
    const charged = (await account.getAccountData()).charged;
    expect(charged).toBeGreaterThan(0n);
    expect(outcome.charged.get(accountAddress.toRawString())).toBe(charged);
    const data = await proxy.getProxyData();
    expect(data.chargedUnits).toBe(charged);
    // 2. The close was requested, with the claim window.
    expect(data.state).toBe(ProxyState.closing);
    expect(outcome.closeAt).toBe(Number(data.closeAt));
    expect(outcome.closeAt).toBeGreaterThanOrEqual((await h.chain.now()) + 86400);
    // 3. The counters are committed.
    expect((await proxy.getCommittedState()).digest).toBe((await h.proxy.counters.digest()).digest);
    // 4. Every worker that served has its voucher published, valid beyond the window, covering all it served.
    const worker = h.net.workers[0];
    const workerKey = worker.keys[0].keyPair.publicKey.toString('hex');
    const stored = JSON.parse((await h.redis.get(RedisKeys.payout(h.prefix, workerKey)))!) as StoredPayoutVoucher & {
        validUntil: number;
    };
    expect(outcome.payouts.get(workerKey)?.cumulative).toBe(stored.cumulative);
    expect(BigInt(stored.cumulative)).toBe(charged);
    expect(stored.validUntil).toBeGreaterThan(outcome.closeAt);

    // No new requests while closing.
    const refused = (await client.infer(h.model.hash, mlpInputs(1, 9)).catch((e) => e)) as ProxyError;
    expect(refused).toBeInstanceOf(ProxyError);
    expect(refused.status).toBe(503);

    // The worker claims late in the window: paid in full.
    h.chain.blockchain.now = outcome.closeAt - 60;
    const before = await h.chain.balance(worker.owner.address);
    await claimPayout(h.net, worker, voucherFromJson(stored));
    expect((await proxy.getProxyData()).paidUnits).toBe(charged);
    const fee = h.net.params.workerFeePerToken;
    expect((await h.chain.balance(worker.owner.address)) - before).toBeGreaterThan(charged * fee - 50_000_000n);

    // A second request is refused by name (the proxy is not serving any more).
    await expect(h.proxy.requestClose()).rejects.toBeInstanceOf(ProxyCloseError);
});
