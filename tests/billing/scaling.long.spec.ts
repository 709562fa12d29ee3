/**
 * Gas does not grow with the number of client accounts: 1,000 accounts take a while to open, so this runs in
 * `npm run test:long` (CI runs it), not in `npm test`.
 */
import '@ton/test-utils';
import { Address, beginCell, toNano } from '@ton/core';
import { internal } from '@ton/sandbox';
import { storeOpenClientAccount } from '../../wrappers/Proxy';
import { measure } from '../gas/operations/billing';
import { createBillingNetwork, openClient, payout, sendVoucher } from '../fixtures/billing';
import { deliverDirect, succeeded } from '../fixtures/deliver';

describe('billing gas with many accounts', () => {
    it('charge and payout gas are the same (±1%) with 1 and with 1,000 accounts', async () => {
        const net = await createBillingNetwork();
        const { blockchain, main } = net;
        const measureCharge = async (i: number) => {
            const c = await blockchain.treasury(`many-${i}`);
            const { account } = await openClient(blockchain, main, c, toNano('1'), toNano('1'));
            await sendVoucher(blockchain, main.owner, 'charge', account.address, 10n, main.keys.secretKey);
            const r = await sendVoucher(blockchain, main.owner, 'charge', account.address, 20n, main.keys.secretKey);
            await payout(blockchain, main, c, 10n);
            const p = await payout(blockchain, main, c, 20n);
            const wa = await main.proxy.getWorkerAccountAddress(c.address);
            return {
                charge: measure(r, { proxy: main.proxy.address, clientAccount: account.address }).gas,
                payout: measure(p, { proxy: main.proxy.address, workerAccount: wa }).gas,
            };
        };
        const first = await measureCharge(0);
        // 998 more accounts, each opened straight from its owner's address (no wallet contracts) and run with
        // deliverDirect (the sandbox's emulator without sendMessage's bookkeeping): keeps this quick.
        let opened = 0;
        const openBody = beginCell()
            .store(
                storeOpenClientAccount({
                    $$type: 'OpenClientAccount',
                    queryId: 0n,
                    stake: toNano('1'),
                    opening: BigInt(blockchain.now!),
                }),
            )
            .endCell();
        for (let i = 1; i < 999; i++) {
            const hash = Buffer.alloc(32);
            hash.writeUInt32BE(i, 0);
            const txs = await deliverDirect(
                blockchain,
                internal({ from: new Address(0, hash), to: main.proxy.address, value: toNano('1.1'), body: openBody }),
            );
            if (txs.every(succeeded)) opened++;
        }
        expect(opened).toBe(998);
        const last = await measureCharge(999);
        expect((await main.proxy.getProxyData()).openClients).toBe(1000n);
        expect(Math.abs(last.charge - first.charge)).toBeLessThanOrEqual(first.charge * 0.01);
        expect(Math.abs(last.payout - first.payout)).toBeLessThanOrEqual(first.payout * 0.01);
    }, 120_000);
});
