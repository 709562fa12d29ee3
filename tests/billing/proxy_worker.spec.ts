import '@ton/test-utils';
import { beginCell, toNano } from '@ton/core';
import { Blockchain, BlockchainSnapshot, SandboxContract, TreasuryContract } from '@ton/sandbox';
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
import { proxyFromArgs, ProxyState } from '../../wrappers/Proxy';
import { signStateCommit } from '../../worker-runtime/src/protocol/voucher';

const FEE = 1500n;

describe('WorkerAccount and Proxy', () => {
    let net: BillingNetwork;
    let blockchain: Blockchain;
    let worker: SandboxContract<TreasuryContract>;
    let snap: BlockchainSnapshot;

    beforeAll(async () => {
        net = await createBillingNetwork();
        blockchain = net.blockchain;
        worker = await blockchain.treasury('worker');
        snap = blockchain.snapshot();
    });

    beforeEach(async () => {
        await blockchain.loadFrom(snap);
    });

    const proxyData = () => net.main.proxy.getProxyData();
    const owner = () => net.main.owner;
    const requestClose = () =>
        net.main.proxy.send(
            owner().getSender(),
            { value: toNano('0.05') },
            { $$type: 'RequestProxyClose', queryId: 0n },
        );
    const completeClose = (via = owner()) =>
        net.main.proxy.send(via.getSender(), { value: toNano('0.05') }, { $$type: 'CompleteProxyClose', queryId: 0n });

    it('pays (new - old) * worker fee to the worker owner; an equal or smaller count pays nothing', async () => {
        const b0 = await worker.getBalance();
        const r1 = await payout(blockchain, net.main, worker, 1000n);
        expect(r1.transactions).toHaveTransaction({
            from: net.main.proxy.address,
            to: worker.address,
            value: (v) => v! >= 1000n * FEE,
        });
        const r2 = await payout(blockchain, net.main, worker, 3000n);
        // The Proxy emits WorkerPaidEvent{owner, units, amount}.
        const ev = r2.externals.map((e) => e.body.beginParse()).find((b) => b.preloadUint(32) === 0x6368010a)!;
        ev.skip(32);
        expect(ev.loadAddress().equals(worker.address)).toBe(true);
        expect([ev.loadUintBig(64), ev.loadCoins()]).toEqual([2000n, 2000n * FEE]);
        const wa = await workerAccount(blockchain, net.main, worker.address);
        expect((await wa.getWorkerData()).paid).toBe(3000n);
        expect((await proxyData()).paidUnits).toBe(3000n);
        const gained = (await worker.getBalance()) - b0;
        // The worker paid the gas of two payouts (~0.01 TON each) out of the value it attached, and its first claim
        // left WORKER_RESERVE in the WorkerAccount.
        expect(gained).toBeGreaterThan(3000n * FEE - toNano('0.03') - billingConstant('WORKER_RESERVE'));
        for (const c of [3000n, 2000n]) {
            const r = await payout(blockchain, net.main, worker, c);
            expect(r.transactions).toHaveTransaction({ to: wa.address, exitCode: BillingErrors.ERR_VOUCHER_NOT_NEWER });
        }
        expect((await proxyData()).paidUnits).toBe(3000n);
    });

    it('anyone may submit a worker voucher; the money still goes to the worker owner', async () => {
        const b0 = await worker.getBalance();
        await payout(blockchain, net.main, worker, 1000n, { via: owner() });
        expect((await worker.getBalance()) - b0).toBeGreaterThan(1000n * FEE);
    });

    it('an underfunded payout is refused up front and changes nothing; the first claim also brings the reserve', async () => {
        const fee = billingConstant('PAYOUT_FEE');
        const reserve = billingConstant('WORKER_RESERVE');
        const wa = await workerAccount(blockchain, net.main, worker.address);
        for (const value of [fee - 1n, fee + reserve - 1n]) {
            const r = await payout(blockchain, net.main, worker, 100n, { value });
            expect(r.transactions).toHaveTransaction({
                to: wa.address,
                success: false,
                exitCode: BillingErrors.ERR_VALUE_TOO_SMALL,
            });
        }
        const first = await payout(blockchain, net.main, worker, 100n, { value: fee + reserve });
        expect(first.transactions).toHaveTransaction({
            from: net.main.proxy.address,
            to: worker.address,
            success: true,
        });
        expect((await blockchain.getContract(wa.address)).balance).toBe(reserve);
        const r = await payout(blockchain, net.main, worker, 200n, { value: fee - 1n });
        expect(r.transactions).toHaveTransaction({ to: wa.address, exitCode: BillingErrors.ERR_VALUE_TOO_SMALL });
        // Later claims need only PAYOUT_FEE and leave the reserve as it was.
        const ok = await payout(blockchain, net.main, worker, 200n, { value: fee });
        expect(ok.transactions).toHaveTransaction({ from: net.main.proxy.address, to: worker.address, success: true });
        expect((await wa.getWorkerData()).paid).toBe(200n);
        expect((await blockchain.getContract(wa.address)).balance).toBe(reserve);
    });

    it('a payout the Proxy cannot cover bounces and the WorkerAccount undoes it', async () => {
        const huge = (toNano('11') / FEE) * 2n;
        const r = await payout(blockchain, net.main, worker, huge);
        expect(r.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            success: false,
            exitCode: BillingErrors.ERR_PROXY_FUNDS_LOW,
        });
        const wa = await workerAccount(blockchain, net.main, worker.address);
        expect((await wa.getWorkerData()).paid).toBe(0n);
        // A later, affordable voucher still works.
        const ok = await payout(blockchain, net.main, worker, 100n);
        expect(ok.transactions).toHaveTransaction({ from: net.main.proxy.address, to: worker.address });
    });

    it('a fake child cannot make the Proxy count charges or pay', async () => {
        const fake = await blockchain.treasury('fake');
        const r1 = await net.main.proxy.send(
            fake.getSender(),
            { value: toNano('1') },
            { $$type: 'ChargeNotify', units: 10n, amount: 0n, owner: fake.address, opening: 0n },
        );
        expect(r1.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_NOT_CHILD,
        });
        const r2 = await net.main.proxy.send(
            fake.getSender(),
            { value: toNano('0.1') },
            { $$type: 'PayoutRequest', units: 10n, owner: fake.address },
        );
        expect(r2.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_NOT_CHILD,
        });
        const r3 = await net.main.proxy.send(
            fake.getSender(),
            { value: toNano('0.1') },
            { $$type: 'ClientClosed', units: 0n, amount: 0n, owner: fake.address, opening: 0n },
        );
        expect(r3.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_NOT_CHILD,
        });
    });

    it('activation needs the owner, the minimum stake and a config that matches the params', async () => {
        const o = await blockchain.treasury('o2');
        const keys = keysFor('p2');
        const params = defaultParams(net.treasury.address);
        const p = blockchain.openContract(
            await proxyFromArgs({
                owner: o.address,
                publicKey: keys.publicKey,
                registry: net.registry.address,
                proxyId: 2n,
                paramsVersion: 1n,
                params,
            }),
        );
        const stranger = await blockchain.treasury('stranger');
        const r1 = await p.send(stranger.getSender(), { value: toNano('11') }, null);
        expect(r1.transactions).toHaveTransaction({ to: p.address, exitCode: BillingErrors.ERR_NOT_OWNER });
        const r2 = await p.send(o.getSender(), { value: toNano('5') }, null);
        expect(r2.transactions).toHaveTransaction({ to: p.address, exitCode: BillingErrors.ERR_STAKE_TOO_SMALL });
        // A snapshot whose worker fee exceeds its price never activates (each field alone: proxy_paths.spec.ts).
        const bad = blockchain.openContract(
            await proxyFromArgs({
                owner: o.address,
                publicKey: keys.publicKey,
                registry: net.registry.address,
                proxyId: 2n,
                paramsVersion: 1n,
                params: { ...params, workerFeePerToken: params.pricePerToken + 1n },
            }),
        );
        const r3 = await bad.send(o.getSender(), { value: toNano('11') }, null);
        expect(r3.transactions).toHaveTransaction({ to: bad.address, exitCode: BillingErrors.ERR_BAD_CONFIG });
        // An inactive proxy opens no accounts.
        const { result } = await openClient(blockchain, { proxy: p, keys, params, owner: o }, stranger, toNano('1'));
        expect(result.transactions).toHaveTransaction({ to: p.address, exitCode: BillingErrors.ERR_PROXY_NOT_ACTIVE });
        const r4 = await p.send(o.getSender(), { value: toNano('11') }, null);
        expect(r4.transactions).toHaveTransaction({ to: p.address, success: true });
        expect((await p.getProxyData()).state).toBe(ProxyState.active);
        expect(r4.externals.length).toBe(1);
    });

    it('closing: only the owner, no new accounts, only after the delay, open clients and unpaid workers block it', async () => {
        const client = await blockchain.treasury('client');
        const { account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('2'));
        await sendVoucher(blockchain, owner(), 'charge', account.address, 1000n, net.main.keys.secretKey);

        const stranger = await blockchain.treasury('stranger');
        const r0 = await net.main.proxy.send(
            stranger.getSender(),
            { value: toNano('0.05') },
            { $$type: 'RequestProxyClose', queryId: 0n },
        );
        expect(r0.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_NOT_OWNER,
        });
        await requestClose();
        expect((await proxyData()).state).toBe(ProxyState.closing);
        const { result } = await openClient(blockchain, net.main, stranger, toNano('1'));
        expect(result.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_PROXY_NOT_ACTIVE,
        });

        let r = await completeClose();
        expect(r.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_PROXY_CLOSE_TOO_EARLY,
        });
        blockchain.now! += 7 * DAY;
        r = await completeClose();
        expect(r.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_CLIENTS_OPEN,
        });

        // Vouchers are still honoured while closing: the proxy grants the client's refund.
        await sendVoucher(blockchain, owner(), 'refund', account.address, 1000n, net.main.keys.secretKey);
        r = await completeClose();
        expect(r.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_WORKERS_UNPAID,
        });

        await payout(blockchain, net.main, worker, 1000n, { via: owner() });
        r = await completeClose(stranger);
        expect(r.transactions).toHaveTransaction({ to: net.main.proxy.address, exitCode: BillingErrors.ERR_NOT_OWNER });
        const b0 = await owner().getBalance();
        r = await completeClose();
        expect(r.transactions).toHaveTransaction({ to: net.main.proxy.address, success: true });
        // Stake + commission (price - fee) * units came back, reserve included: the Proxy destroyed itself.
        expect((await owner().getBalance()) - b0).toBeGreaterThan(
            toNano('11') + 1000n * (2000n - FEE) - toNano('0.02'),
        );
        const gone = await blockchain.getContract(net.main.proxy.address);
        expect([gone.accountState, gone.balance]).toEqual([undefined, 0n]);
    });

    it('the owner cannot take client money by closing: it stays in the client account and goes back to the client', async () => {
        const client = await blockchain.treasury('client');
        const { account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('50'));
        await requestClose();
        blockchain.now! += 7 * DAY;
        const r = await completeClose();
        expect(r.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_CLIENTS_OPEN,
        });
        expect((await account.getAccountData()).balance).toBeGreaterThan(toNano('50'));
        // The client leaves with everything once the client close delay has passed, proxy silent or not.
        await account.send(client.getSender(), { value: toNano('0.05') }, { $$type: 'RequestRefund', queryId: 0n });
        blockchain.now! += DAY;
        const b0 = await client.getBalance();
        await account.send(client.getSender(), { value: toNano('0.05') }, { $$type: 'ForceRefund', queryId: 0n });
        expect((await client.getBalance()) - b0).toBeGreaterThan(toNano('0.95'));
        expect((await completeClose()).transactions).toHaveTransaction({ to: net.main.proxy.address, success: true });
    });

    it('a new price means a new Proxy; the old one keeps honouring its vouchers side by side', async () => {
        const newer = await net.deployProxy('newer', { pricePerToken: 3000n, workerFeePerToken: 2000n });
        const client = await blockchain.treasury('client');
        const { account: oldAcc } = await openClient(blockchain, net.main, client, toNano('1'), toNano('2'));
        const { account: newAcc } = await openClient(blockchain, newer, client, toNano('1'), toNano('2'));
        expect(oldAcc.address.equals(newAcc.address)).toBe(false);
        await sendVoucher(blockchain, owner(), 'charge', oldAcc.address, 100n, net.main.keys.secretKey);
        await sendVoucher(blockchain, newer.owner, 'charge', newAcc.address, 100n, newer.keys.secretKey);
        expect((await net.main.proxy.getProxyData()).chargedTon).toBe(100n * 2000n);
        expect((await newer.proxy.getProxyData()).chargedTon).toBe(100n * 3000n);
        const b0 = await worker.getBalance();
        await payout(blockchain, net.main, worker, 100n);
        await payout(blockchain, newer, worker, 100n);
        // Two first claims: each WorkerAccount kept WORKER_RESERVE.
        expect((await worker.getBalance()) - b0).toBeGreaterThan(
            100n * (1500n + 2000n) - toNano('0.03') - 2n * billingConstant('WORKER_RESERVE'),
        );
    });

    it('commits the proxy state with a strictly increasing seqno, signed by the proxy key', async () => {
        const c1 = signStateCommit(
            { proxy: net.main.proxy.address, seqno: 1n, digest: 0xabcn },
            net.main.keys.secretKey,
        );
        const r1 = await owner().send({ to: net.main.proxy.address, value: toNano('0.05'), body: c1.body });
        expect(r1.transactions).toHaveTransaction({ to: net.main.proxy.address, success: true });
        expect(await net.main.proxy.getCommittedState()).toMatchObject({ seqno: 1n, digest: 0xabcn });
        const replay = await owner().send({ to: net.main.proxy.address, value: toNano('0.05'), body: c1.body });
        expect(replay.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_STATE_SEQNO_NOT_NEWER,
        });
        const forged = signStateCommit(
            { proxy: net.main.proxy.address, seqno: 2n, digest: 1n },
            keysFor('x').secretKey,
        );
        const r2 = await owner().send({ to: net.main.proxy.address, value: toNano('0.05'), body: forged.body });
        expect(r2.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_BAD_SIGNATURE,
        });
        const other = signStateCommit({ proxy: worker.address, seqno: 2n, digest: 1n }, net.main.keys.secretKey);
        const r3 = await owner().send({ to: net.main.proxy.address, value: toNano('0.05'), body: other.body });
        expect(r3.transactions).toHaveTransaction({
            to: net.main.proxy.address,
            exitCode: BillingErrors.ERR_WRONG_TARGET,
        });
        const c2 = signStateCommit({ proxy: net.main.proxy.address, seqno: 5n, digest: 7n }, net.main.keys.secretKey);
        await owner().send({ to: net.main.proxy.address, value: toNano('0.05'), body: c2.body });
        expect((await net.main.proxy.getCommittedState()).seqno).toBe(5n);
    });

    it('the fast child check agrees with initOf for many owners', async () => {
        // Charges and payouts from accounts of varied owners all authenticate (the getter uses plain initOf).
        for (let i = 0; i < 3; i++) {
            const c = await blockchain.treasury(`c${i}`);
            const { account, opening } = await openClient(blockchain, net.main, c, toNano('1'), toNano('1'));
            expect(account.address.equals(await net.main.proxy.getClientAccountAddress(c.address, opening))).toBe(true);
            const r = await sendVoucher(blockchain, owner(), 'charge', account.address, 10n, net.main.keys.secretKey);
            expect(r.transactions).toHaveTransaction({
                from: account.address,
                to: net.main.proxy.address,
                success: true,
            });
            const w = await blockchain.treasury(`w${i}`);
            const wa = await workerAccount(blockchain, net.main, w.address);
            expect(wa.address.equals(await net.main.proxy.getWorkerAccountAddress(w.address))).toBe(true);
        }
        expect((await proxyData()).chargedUnits).toBe(30n);
        void beginCell;
    });
});
