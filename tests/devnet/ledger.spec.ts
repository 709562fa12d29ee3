import { toNano } from '@ton/core';
import { SandboxChain } from '../../worker-runtime/src/chain/sandboxChain';
import { deployNetwork, devnetParties, DevnetNetwork } from '../../worker-runtime/src/devnet/deployNetwork';
import { BalanceLedger } from '../../worker-runtime/src/devnet/ledger';
import { claimPayout, commitCharge } from '../../worker-runtime/src/devnet/settlement';
import { signBillingVoucher } from '../../worker-runtime/src/protocol/voucher';

describe('devnet ledger and settlement', () => {
    let net: DevnetNetwork;
    let validUntil: number;

    beforeAll(async () => {
        net = await deployNetwork(await SandboxChain.create(), { workers: 2, seed: 'ledger', models: ['tiny-mlp'] });
        validUntil = (await net.chain.now()) + 3600;
    }, 60_000);

    beforeEach(() => {
        net.chain.blockchain.now = validUntil - 3600;
    });

    it('settles a charge and payouts and accounts for every nanoton, fees included', async () => {
        const ledger = await BalanceLedger.open(net.chain, devnetParties(net));
        const charged = 1_500n;
        const charge = signBillingVoucher(
            'charge',
            { target: net.client.account.address, cumulative: charged, validUntil },
            net.proxy.keyPair.secretKey,
        );
        const settlements = [await commitCharge(net, charge)];
        const paid = [700n, 500n];
        for (const worker of net.workers) {
            const payout = signBillingVoucher(
                'payout',
                { target: worker.payoutAccount.address, cumulative: paid[worker.index], validUntil },
                net.proxy.keyPair.secretKey,
            );
            settlements.push(await claimPayout(net, worker, payout));
        }
        expect(settlements.map((s) => [s.kind, s.party, s.cumulative])).toEqual([
            ['charge', 'client', charged],
            ['payout', 'worker 0', 700n],
            ['payout', 'worker 1', 500n],
        ]);
        for (const s of settlements) expect(s.txHash).toMatch(/^[0-9a-f]{64}$/);

        const report = await ledger.close();
        expect(report.strayMessages).toEqual([]);
        expect(report.imbalance).toBe(0n);
        expect(report.reconciled).toBe(true);
        expect(report.networkFees).toBeGreaterThan(0n);
        const delta = Object.fromEntries(report.parties.map((p) => [p.party, p.delta]));
        const price = net.params.pricePerToken;
        const fee = net.params.workerFeePerToken;
        // The client pays the units, the value attached to the charge (its change goes to the proxy) and its wallet's
        // fee; each worker gets its units minus its claim's fees.
        expect(delta.client).toBeLessThan(-charged * price - toNano('0.05'));
        expect(delta.client).toBeGreaterThan(-charged * price - toNano('0.06'));
        expect(delta['worker 0']).toBeGreaterThan(700n * fee - toNano('0.05'));
        expect(delta['worker 0']).toBeLessThan(700n * fee);
        expect(delta.treasury).toBe(0n);
        expect(delta.registry).toBe(0n);
        expect((await net.client.account.getAccountData()).charged).toBe(charged);
        expect((await net.proxy.contract.getProxyData()).paidUnits).toBe(1_200n);
    }, 30_000);

    it('refuses a voucher signed for another account', async () => {
        const stray = signBillingVoucher(
            'charge',
            { target: net.workers[0].payoutAccount.address, cumulative: 1n, validUntil },
            net.proxy.keyPair.secretKey,
        );
        await expect(commitCharge(net, stray)).rejects.toThrow('is not a valid one for');
    });

    it('does not reconcile when money crosses the boundary of the parties', async () => {
        const ledger = await BalanceLedger.open(net.chain, devnetParties(net));
        const outsider = await net.chain.blockchain.treasury('outsider');
        await outsider.send({ to: net.client.wallet.address, value: toNano('1') });
        const report = await ledger.close();
        expect(report.reconciled).toBe(false);
        expect(report.strayMessages[0]).toContain('from outside');
    });
});
