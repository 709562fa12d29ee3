/**
 * Issue 11, billing contracts: each item reproduced as it was found, and shown fixed.
 *   6  delays without an upper bound overflowed `now + delay` (exit 5) and locked refunds and the close for good;
 *   7  a masterchain Proxy could never close (its close notifications ran out of gas), and a gas price rise could do
 *      the same to any Proxy;
 *   10 a closed Proxy kept the TON of a CommitState (and a live one kept every commit's change);
 *   11 workers get a claim window the contract enforces (at least MIN_PROXY_CLOSE_DELAY from the close request);
 *   storage: a live contract's reserve covers 5 years of its storage; a closed Proxy returns everything.
 */
import '@ton/test-utils';
import { Address, Cell, contractAddress, StateInit, toNano, Transaction } from '@ton/core';
import {
    Blockchain,
    BlockchainSnapshot,
    defaultConfig,
    loadConfig,
    SandboxContract,
    TreasuryContract,
    updateConfig,
} from '@ton/sandbox';
import {
    BillingErrors,
    billingConstant,
    BillingNetwork,
    createBillingNetwork,
    DAY,
    defaultParams,
    keysFor,
    openClient,
    payout,
    sendVoucher,
    workerAccount,
} from '../fixtures/billing';
import { NetworkParams, Proxy, proxyFromArgs, ProxyState } from '../../wrappers/Proxy';
import { MAX_CLOSE_DELAY, MIN_PROXY_CLOSE_DELAY } from '../../build/Proxy/Proxy_Proxy';
import { signStateCommit } from '../../worker-runtime/src/protocol/voucher';

const YEAR = 365 * DAY;

describe('billing hardening (issue 11)', () => {
    let net: BillingNetwork;
    let blockchain: Blockchain;
    let client: SandboxContract<TreasuryContract>;
    let worker: SandboxContract<TreasuryContract>;
    let snap: BlockchainSnapshot;

    beforeAll(async () => {
        net = await createBillingNetwork();
        blockchain = net.blockchain;
        client = await blockchain.treasury('client');
        worker = await blockchain.treasury('worker');
        snap = blockchain.snapshot();
    });

    beforeEach(async () => {
        await blockchain.loadFrom(snap);
    });

    const owner = () => net.main.owner;
    const proxy = () => net.main.proxy;

    /** A Proxy with these params (and optionally on another workchain), sent its activation by its owner. */
    const deployWith = async (over: Partial<NetworkParams>, workchain = 0) => {
        const o = await blockchain.treasury(`owner-${workchain}-${JSON.stringify(over, (_, v) => String(v))}`);
        const keys = keysFor('hardening');
        const params = defaultParams(net.treasury.address, over);
        const init = (
            await proxyFromArgs({
                owner: o.address,
                publicKey: keys.publicKey,
                registry: net.registry.address,
                proxyId: 9n,
                paramsVersion: 1n,
                params,
            })
        ).init! as StateInit;
        const address = contractAddress(workchain, init);
        const b0 = await o.getBalance();
        const result = await o.send({ to: address, value: toNano('11'), init });
        const p = blockchain.openContract(Proxy.fromAddress(address));
        return { p, o, keys, params, result, spent: b0 - (await o.getBalance()) };
    };

    describe('item 6: delays are bounded at activation', () => {
        // 30 days typed in milliseconds: accepted before, then `now() + delay` overflowed uint32 (exit 5).
        const TYPO = 2_592_000_000n;

        it('before the bound, such a Proxy activated and could never request its close (exit 5): now refused', async () => {
            const { p, result, spent } = await deployWith({ proxyCloseDelay: TYPO });
            expect(result.transactions).toHaveTransaction({
                to: p.address,
                success: false,
                exitCode: BillingErrors.ERR_BAD_DELAY,
            });
            expect((await p.getProxyData()).state).toBe(ProxyState.pending);
            expect(spent).toBeLessThan(toNano('0.05'));
        });

        it('a client close delay beyond MAX_CLOSE_DELAY is refused too (its clients could never refund)', async () => {
            const { p, result } = await deployWith({ clientCloseDelay: TYPO });
            expect(result.transactions).toHaveTransaction({
                to: p.address,
                success: false,
                exitCode: BillingErrors.ERR_BAD_DELAY,
            });
        });

        it('MAX_CLOSE_DELAY itself is accepted, and the close and a forced refund still work with it', async () => {
            const max = MAX_CLOSE_DELAY;
            const { p, o, result } = await deployWith({ proxyCloseDelay: max, clientCloseDelay: max });
            expect(result.transactions).toHaveTransaction({ to: p.address, success: true });
            const r = await p.send(
                o.getSender(),
                { value: toNano('0.05') },
                { $$type: 'RequestProxyClose', queryId: 0n },
            );
            expect(r.transactions).toHaveTransaction({ to: p.address, success: true });
            expect((await p.getProxyData()).closeAt).toBe(BigInt(blockchain.now!) + max);
        });
    });

    describe('item 11: workers have a claim window the contract enforces', () => {
        it('a proxy close delay under MIN_PROXY_CLOSE_DELAY is refused (a zero delay let the owner close at once)', async () => {
            const window = MIN_PROXY_CLOSE_DELAY;
            for (const delay of [0n, window - 1n]) {
                const { p, result } = await deployWith({ proxyCloseDelay: delay });
                expect(result.transactions).toHaveTransaction({
                    to: p.address,
                    success: false,
                    exitCode: BillingErrors.ERR_BAD_DELAY,
                });
            }
            const { p, result } = await deployWith({ proxyCloseDelay: window });
            expect(result.transactions).toHaveTransaction({ to: p.address, success: true });
        });

        it('a worker holding a voucher for units no client committed is paid when it claims within the window', async () => {
            // The client was charged 100 units on chain; the worker served 1,000,000 (the rest never committed).
            const { account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('1'));
            await sendVoucher(blockchain, owner(), 'charge', account.address, 100n, net.main.keys.secretKey);
            await sendVoucher(blockchain, owner(), 'refund', account.address, 100n, net.main.keys.secretKey, {
                value: billingConstant('CLIENT_CLOSE_FEE'),
            });
            await proxy().send(
                owner().getSender(),
                { value: toNano('0.05') },
                { $$type: 'RequestProxyClose', queryId: 0n },
            );
            await payout(blockchain, net.main, worker, 100n);
            // Every client closed and every charged unit paid: only the window keeps the Proxy open.
            const { closeAt } = await proxy().getProxyData();
            blockchain.now = Number(closeAt) - 1;
            const early = await proxy().send(
                owner().getSender(),
                { value: toNano('0.05') },
                { $$type: 'CompleteProxyClose', queryId: 0n },
            );
            expect(early.transactions).toHaveTransaction({
                to: proxy().address,
                exitCode: BillingErrors.ERR_PROXY_CLOSE_TOO_EARLY,
            });
            const b0 = await worker.getBalance();
            const late = await payout(blockchain, net.main, worker, 1_000_000n);
            expect(late.transactions).toHaveTransaction({ from: proxy().address, to: worker.address, success: true });
            const fee = net.main.params.workerFeePerToken;
            // Paid from the Proxy's stake: 999,900 units x the worker fee.
            expect((await worker.getBalance()) - b0).toBeGreaterThan(999_900n * fee - toNano('0.05'));
        });
    });

    describe('item 7: basechain only, close notifications priced at run time', () => {
        it('a masterchain Proxy (which could never close) is refused at activation and the stake returned', async () => {
            const { p, result, spent } = await deployWith({}, -1);
            expect(result.transactions).toHaveTransaction({
                to: p.address,
                success: false,
                exitCode: BillingErrors.ERR_WRONG_WORKCHAIN,
            });
            // Masterchain forward fees for the deploy, not the 11 TON stake.
            expect(spent).toBeLessThan(toNano('1'));
        });

        it('the close notification value follows the gas price: with gas 3x dearer a forced refund still closes', async () => {
            const { account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('1'));
            await account.send(client.getSender(), { value: toNano('0.05') }, { $$type: 'RequestRefund', queryId: 0n });
            // The value a notification carries is three times the one at the base price (read before the close:
            // the account destroys itself).
            const base = await account.getCloseNotifyValue();
            setGasPriceFactor(3n);
            expect(await account.getCloseNotifyValue()).toBe(base * 3n);
            blockchain.now! += DAY;
            const r = await account.send(
                client.getSender(),
                { value: billingConstant('CLIENT_CLOSE_FEE') },
                { $$type: 'ForceRefund', queryId: 0n },
            );
            // The hard-coded 0.006 TON ran out of gas here (exit -14) and the open count stayed 1 for good.
            expect(r.transactions).toHaveTransaction({ from: account.address, to: proxy().address, success: true });
            expect((await proxy().getProxyData()).openClients).toBe(0n);
            setGasPriceFactor(1n);
        });
    });

    /** Multiplies the basechain gas prices (config param 21) by `factor`. */
    function setGasPriceFactor(factor: bigint) {
        const base = Cell.fromBase64(defaultConfig);
        const p21 = loadConfig(base)[21];
        const g = p21.anon0;
        if (g.kind !== 'GasLimitsPrices_gas_flat_pfx' || g.other.kind !== 'GasLimitsPrices_gas_prices_ext') {
            throw new Error('unexpected config param 21 layout');
        }
        const scaled = {
            ...p21,
            anon0: {
                ...g,
                flat_gas_price: g.flat_gas_price * factor,
                other: { ...g.other, gas_price: g.other.gas_price * factor },
            },
        };
        blockchain.setConfig(updateConfig(base, scaled));
    }

    describe('item 10: CommitState', () => {
        const commit = (seqno: bigint, via = owner(), value = toNano('1')) =>
            via.send({
                to: proxy().address,
                value,
                body: signStateCommit({ proxy: proxy().address, seqno, digest: 7n }, net.main.keys.secretKey).body,
            });

        it('a live Proxy returns what the submitter attached beyond the fees', async () => {
            const b0 = await owner().getBalance();
            const r = await commit(1n);
            expect(r.transactions).toHaveTransaction({ from: proxy().address, to: owner().address, success: true });
            // 1 TON attached, less than 0.01 kept (it kept all of it before).
            expect(b0 - (await owner().getBalance())).toBeLessThan(toNano('0.01'));
            expect(await proxy().getCommittedState()).toMatchObject({ seqno: 1n, digest: 7n });
        });

        it('after the close the TON of a CommitState bounces back (0.9964 of 1 TON was stranded before)', async () => {
            await proxy().send(
                owner().getSender(),
                { value: toNano('0.05') },
                { $$type: 'RequestProxyClose', queryId: 0n },
            );
            blockchain.now! += 7 * DAY;
            await proxy().send(
                owner().getSender(),
                { value: toNano('0.05') },
                { $$type: 'CompleteProxyClose', queryId: 0n },
            );
            const b0 = await owner().getBalance();
            const r = await commit(2n);
            expect(r.transactions).toHaveTransaction({
                from: proxy().address,
                to: owner().address,
                inMessageBounced: true,
            });
            expect(b0 - (await owner().getBalance())).toBeLessThan(toNano('0.01'));
            expect((await blockchain.getContract(proxy().address)).balance).toBe(0n);
        });
    });

    describe('storage: reserves cover 5 years, a closed Proxy keeps nothing', () => {
        const storageFee = (tx: Transaction) => {
            const d = tx.description;
            if (d.type !== 'generic' || !d.storagePhase) throw new Error('no storage phase');
            expect(d.storagePhase.storageFeesDue ?? 0n).toBe(0n);
            expect(d.storagePhase.statusChange).toBe('unchanged');
            return d.storagePhase.storageFeesCollected;
        };

        it('a ClientAccount holding only stake + reserve pays 5 years of storage from its reserve, stake untouched', async () => {
            const stake = toNano('1');
            const { account } = await openClient(blockchain, net.main, client, stake);
            // Nothing above stake + reserve: the open's leftover went to the owner.
            const avail = (await account.getAccountData()).balance;
            await account.send(
                client.getSender(),
                { value: toNano('0.05') },
                { $$type: 'Withdraw', queryId: 0n, amount: avail },
            );
            expect((await account.getAccountData()).balance).toBeLessThan(toNano('0.001'));
            const before = (await blockchain.getContract(account.address)).balance;
            blockchain.now! += 5 * YEAR;
            // A top-up refills the reserve first (its deficit is what the storage took), the rest is balance.
            const r = await account.send(
                client.getSender(),
                { value: toNano('0.2') },
                { $$type: 'TopUp', queryId: 0n },
            );
            const fee = storageFee(r.transactions[1]);
            expect(fee).toBeGreaterThan(0n);
            expect(fee).toBeLessThanOrEqual(billingConstant('CLIENT_RESERVE'));
            expect(before - fee).toBeGreaterThanOrEqual(stake);
            // And the account still works: a charge is paid from what the top-up brought, not from the stake.
            const c = await sendVoucher(blockchain, owner(), 'charge', account.address, 10n, net.main.keys.secretKey);
            expect(c.transactions).toHaveTransaction({ from: account.address, to: proxy().address, success: true });
            expect((await account.getAccountData()).stake).toBe(stake);
        });

        it('a Proxy at its least balance (min stake + reserve) pays 5 years of storage from its reserve', async () => {
            const fee5y = await (async () => {
                blockchain.now! += 5 * YEAR;
                const r = await client.send({ to: proxy().address, value: toNano('0.05') });
                return storageFee(r.transactions[1]);
            })();
            expect(fee5y).toBeGreaterThan(0n);
            expect(fee5y).toBeLessThanOrEqual(billingConstant('PROXY_RESERVE'));
        });

        it('a WorkerAccount keeps WORKER_RESERVE from its first claim and pays 5 years of storage from it', async () => {
            await payout(blockchain, net.main, worker, 10n);
            const wa = await workerAccount(blockchain, net.main, worker.address);
            const reserve = billingConstant('WORKER_RESERVE');
            expect((await blockchain.getContract(wa.address)).balance).toBe(reserve);
            blockchain.now! += 5 * YEAR;
            const fee = billingConstant('PAYOUT_FEE');
            const r = await payout(blockchain, net.main, worker, 1010n, { value: fee });
            // No debt: the storage came out of the reserve, not out of the claim.
            const stored = storageFee(r.transactions[1]);
            expect(stored).toBeGreaterThan(0n);
            expect(stored).toBeLessThan(reserve);
            expect(r.transactions).toHaveTransaction({ from: wa.address, to: proxy().address, success: true });
            expect((await wa.getWorkerData()).paid).toBe(1010n);
            expect((await blockchain.getContract(wa.address)).balance).toBe(reserve - stored);
            // Paid in full: the 1000 units (and what compute left of the claim's value).
            const perUnit = net.main.params.workerFeePerToken;
            expect(r.transactions).toHaveTransaction({
                from: proxy().address,
                to: worker.address,
                value: (v) => v! > 1000n * perUnit,
            });
        });

        it('a closing ClientAccount returns everything, reserve included; the closed state stays (no replay)', async () => {
            const { account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('1'));
            await sendVoucher(blockchain, owner(), 'refund', account.address, 0n, net.main.keys.secretKey, {
                value: billingConstant('CLIENT_CLOSE_FEE'),
            });
            const c = await blockchain.getContract(account.address);
            expect(c.balance).toBe(0n);
            expect(c.accountState?.type).toBe('active');
            // Re-opening finds the closed account: undone, the value goes back; old vouchers stay refused.
            const { result } = await openClient(blockchain, net.main, client, toNano('1'));
            expect(result.transactions).toHaveTransaction({
                from: account.address,
                to: proxy().address,
                success: true,
            });
            expect((await proxy().getProxyData()).openClients).toBe(0n);
        });

        it('a ClientAccount closed after its opening window returns everything and destroys itself; re-opened, old vouchers are worthless', async () => {
            const { account, opening } = await openClient(blockchain, net.main, client, toNano('1'), toNano('2'));
            const key = net.main.keys.secretKey;
            const charge100 = await sendVoucher(blockchain, owner(), 'charge', account.address, 100n, key);
            expect(charge100.transactions).toHaveTransaction({ from: account.address, to: proxy().address });
            blockchain.now! += 2 * 3600;
            const b0 = await client.getBalance();
            const close = await sendVoucher(blockchain, owner(), 'refund', account.address, 150n, key, {
                value: billingConstant('CLIENT_CLOSE_FEE'),
            });
            expect(close.transactions).toHaveTransaction({ from: account.address, to: client.address });
            // Destroyed: no account, nothing left at the address; stake and balance (less the final 50 units) back.
            expect((await blockchain.getContract(account.address)).accountState).toBeUndefined();
            expect((await blockchain.getContract(account.address)).balance).toBe(0n);
            expect((await client.getBalance()) - b0).toBeGreaterThan(toNano('3') - 150n * 2000n - toNano('0.1'));
            expect((await proxy().getProxyData()).openClients).toBe(0n);
            // The old opening cannot deploy the same account again: the Proxy refuses it (the window is over).
            const stale = await openClient(blockchain, net.main, client, toNano('1'), 0n, opening);
            expect(stale.result.transactions).toHaveTransaction({
                to: proxy().address,
                exitCode: BillingErrors.ERR_BAD_OPENING,
            });
            expect(stale.account.address.equals(account.address)).toBe(true);
            expect((await blockchain.getContract(account.address)).accountState).toBeUndefined();
            // Re-opened: a new account at a new address, charged 0.
            const again = await openClient(blockchain, net.main, client, toNano('1'), toNano('2'));
            expect(again.account.address.equals(account.address)).toBe(false);
            expect((await again.account.getAccountData()).charged).toBe(0n);
            // Voucher 100 of the first opening: refused by the new account (another target), and the old address
            // has no account to take it.
            const voucher100 = charge100.transactions.find((t) => {
                const dest = t.inMessage?.info.dest;
                return Address.isAddress(dest) && dest.equals(account.address);
            })!.inMessage!.body;
            const replayNew = await owner().send({
                to: again.account.address,
                value: toNano('0.05'),
                body: voucher100,
            });
            expect(replayNew.transactions).toHaveTransaction({
                to: again.account.address,
                exitCode: BillingErrors.ERR_WRONG_TARGET,
            });
            const replayOld = await sendVoucher(blockchain, owner(), 'charge', account.address, 100n, key);
            expect(replayOld.transactions).not.toHaveTransaction({ from: account.address, to: proxy().address });
            expect((await blockchain.getContract(account.address)).accountState).toBeUndefined();
            expect((await again.account.getAccountData()).charged).toBe(0n);
            // New vouchers for the new account work.
            const fresh = await sendVoucher(blockchain, owner(), 'charge', again.account.address, 10n, key);
            expect(fresh.transactions).toHaveTransaction({ from: again.account.address, to: proxy().address });
            expect((await again.account.getAccountData()).charged).toBe(10n);
        });

        it('OpenClientAccount refuses an opening in the future or older than the window', async () => {
            const now = BigInt(blockchain.now!);
            for (const opening of [now + 1n, now - 3601n]) {
                const { result } = await openClient(blockchain, net.main, client, toNano('1'), 0n, opening);
                expect(result.transactions).toHaveTransaction({
                    to: proxy().address,
                    exitCode: BillingErrors.ERR_BAD_OPENING,
                });
            }
            expect((await proxy().getProxyData()).openClients).toBe(0n);
        });

        it('a closed Proxy sends everything it holds to its owner and destroys itself', async () => {
            await proxy().send(
                owner().getSender(),
                { value: toNano('0.05') },
                { $$type: 'RequestProxyClose', queryId: 0n },
            );
            blockchain.now! += 7 * DAY;
            const b0 = await owner().getBalance();
            const held = (await blockchain.getContract(proxy().address)).balance;
            await proxy().send(
                owner().getSender(),
                { value: toNano('0.05') },
                { $$type: 'CompleteProxyClose', queryId: 0n },
            );
            const c = await blockchain.getContract(proxy().address);
            expect(c.accountState).toBeUndefined();
            expect(c.balance).toBe(0n);
            expect((await owner().getBalance()) - b0).toBeGreaterThan(held - toNano('0.02'));
        });
    });
});
