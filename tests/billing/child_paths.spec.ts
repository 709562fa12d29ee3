/**
 * ClientAccount and WorkerAccount paths the other specs leave out (found uncovered by `npm run coverage`): a charge
 * the Proxy bounces, a final refund beyond balance and stake on an active account, an empty message to a WorkerAccount, and
 * messages no receiver takes.
 */
import '@ton/test-utils';
import { beginCell, toNano } from '@ton/core';
import { Blockchain, BlockchainSnapshot, internal, SandboxContract, TreasuryContract } from '@ton/sandbox';
import {
    billingConstant,
    BillingNetwork,
    createBillingNetwork,
    openClient,
    payout,
    sendVoucher,
    workerAccount,
} from '../fixtures/billing';
import { ClientAccount, ClientState } from '../../wrappers/ClientAccount';

const PRICE = 2000n;

describe('ClientAccount and WorkerAccount paths', () => {
    let net: BillingNetwork;
    let blockchain: Blockchain;
    let client: SandboxContract<TreasuryContract>;
    let account: SandboxContract<ClientAccount>;
    let snap: BlockchainSnapshot;

    beforeAll(async () => {
        net = await createBillingNetwork();
        blockchain = net.blockchain;
        client = await blockchain.treasury('client');
        ({ account } = await openClient(blockchain, net.main, client, toNano('1'), toNano('2')));
        snap = blockchain.snapshot();
    });

    beforeEach(async () => {
        await blockchain.loadFrom(snap);
    });

    const secret = () => net.main.keys.secretKey;

    it('a charge the Proxy bounces is undone: the counter goes back and the TON stays in the balance', async () => {
        await sendVoucher(blockchain, net.main.owner, 'charge', account.address, 100n, secret());
        const before = await account.getAccountData();
        // The Proxy refusing a genuine ChargeNotify (it only could for lack of gas) comes back as this bounce,
        // carrying the charge and what was left of the submitter's value.
        const body = beginCell()
            .storeUint(0xffffffff, 32)
            .storeUint(0x63680020, 32)
            .storeUint(60n, 64)
            .storeUint(60n * PRICE, 64)
            .endCell();
        const r = await blockchain.sendMessage(
            internal({
                from: net.main.proxy.address,
                to: account.address,
                value: 60n * PRICE + toNano('0.005'),
                body,
                bounced: true,
            }),
        );
        expect(r.transactions).toHaveTransaction({ to: account.address, success: true });
        const after = await account.getAccountData();
        expect(after.charged).toBe(40n);
        expect(after.balance - before.balance).toBeGreaterThan(60n * PRICE - toNano('0.001'));
        // The undone units can be charged again.
        const again = await sendVoucher(blockchain, net.main.owner, 'charge', account.address, 100n, secret());
        expect(again.transactions).toHaveTransaction({ from: account.address, to: net.main.proxy.address });
        expect((await account.getAccountData()).charged).toBe(100n);
    });

    it('a final refund beyond balance and stake on an active account, with the least value, still closes cleanly', async () => {
        const d0 = await account.getAccountData();
        const units = (d0.balance + d0.stake) / PRICE + 1_000_000n;
        const r = await sendVoucher(blockchain, net.main.owner, 'refund', account.address, units, secret(), {
            value: billingConstant('CLIENT_CLOSE_FEE'),
        });
        expect(r.transactions).toHaveTransaction({ to: account.address, success: true });
        // The Proxy gets everything the account held above its reserve, and acts on the notification.
        expect(r.transactions).toHaveTransaction({
            from: account.address,
            to: net.main.proxy.address,
            success: true,
            value: (v) => v! >= d0.balance + d0.stake,
        });
        const d = await account.getAccountData();
        expect([d.state, d.stake, d.charged]).toEqual([ClientState.closed, 0n, units]);
        const p = await net.main.proxy.getProxyData();
        expect([p.openClients, p.chargedUnits]).toEqual([0n, units]);
        expect(p.chargedTon).toBeGreaterThanOrEqual(d0.balance + d0.stake);
        // Both life-cycle events: closing (the overdraw) and closed.
        const ops = r.externals.map((e) => e.body.beginParse().preloadUint(32));
        expect(ops).toEqual(expect.arrayContaining([0x63680103, 0x63680104]));
        expect((await blockchain.getContract(account.address)).balance).toBeLessThanOrEqual(
            billingConstant('CLIENT_RESERVE'),
        );
    });

    it('an unknown opcode fails with exit code 130 at either account and bounces its value', async () => {
        const wa = await workerAccount(blockchain, net.main, client.address);
        await payout(blockchain, net.main, client, 10n);
        for (const to of [account.address, wa.address]) {
            const r = await client.send({
                to,
                value: toNano('1'),
                body: beginCell().storeUint(0x0bad0bad, 32).endCell(),
            });
            expect(r.transactions).toHaveTransaction({ to, success: false, exitCode: 130 });
            expect(r.transactions).toHaveTransaction({ from: to, to: client.address, inMessageBounced: true });
        }
        expect((await account.getAccountData()).state).toBe(ClientState.active);
    });

    it('a WorkerAccount takes no empty message: one carrying its StateInit bounces its value and keeps nothing', async () => {
        const worker = await blockchain.treasury('worker');
        const wa = await workerAccount(blockchain, net.main, worker.address);
        const b0 = await client.getBalance();
        const r = await client.send({ to: wa.address, value: toNano('0.5'), init: wa.init });
        expect(r.transactions).toHaveTransaction({ to: wa.address, success: false, exitCode: 130 });
        expect(r.transactions).toHaveTransaction({ from: wa.address, to: client.address, inMessageBounced: true });
        expect(b0 - (await client.getBalance())).toBeLessThan(toNano('0.01'));
        expect((await blockchain.getContract(wa.address)).balance).toBe(0n);
        // The first payout deploys it as usual.
        const p = await payout(blockchain, net.main, worker, 10n);
        expect(p.transactions).toHaveTransaction({ from: net.main.proxy.address, to: worker.address });
        expect((await wa.getWorkerData()).paid).toBe(10n);
    });
});
