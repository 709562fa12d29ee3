import '@ton/test-utils';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Address, beginCell, toNano } from '@ton/core';
import { internal } from '@ton/sandbox';
import { storeOpenClientAccount } from '../../wrappers/Proxy';
import {
    BILLING_BUDGET_FACTOR,
    BILLING_REFERENCE_GAS,
    measure,
    measureBillingOperations,
    OperationGas,
} from '../gas/operations/billing';
import { billingConstant, createBillingNetwork, openClient, payout, sendVoucher } from '../fixtures/billing';
import { deliverDirect, succeeded } from '../fixtures/deliver';

describe('billing gas', () => {
    let ops: Record<string, OperationGas>;

    beforeAll(async () => {
        ops = await measureBillingOperations();
        const lines = Object.entries(ops).map(([name, o]) => {
            const ref = BILLING_REFERENCE_GAS[name];
            const ratio = ref ? ` ratio ${(o.gas / ref).toFixed(3)} of ${ref}` : '';
            return `${name.padEnd(22)} ${String(o.gas).padStart(6)} gas ${o.txs.map((t) => `${t.contract}:${t.gas}`).join(' + ')}${ratio}`;
        });
        console.log('billing gas\n' + lines.join('\n'));
    });

    it('every operation ran its whole chain', () => {
        for (const name of Object.keys(BILLING_REFERENCE_GAS)) {
            expect(ops[name]?.gas).toBeGreaterThan(0);
        }
        expect(ops['client.charge'].txs.map((t) => t.contract)).toEqual(['clientAccount', 'proxy']);
        expect(ops['worker.payout'].txs.map((t) => t.contract)).toEqual(['workerAccount', 'proxy']);
    });

    it.each(Object.keys(BILLING_REFERENCE_GAS))('%s stays within 1.25x the reference figure', (name) => {
        expect(ops[name].gas).toBeLessThanOrEqual(BILLING_REFERENCE_GAS[name] * BILLING_BUDGET_FACTOR);
    });

    // The constants in contracts/billing/constants.tact size the value checks: a change that makes a receiver
    // dearer than its constant fails here.
    it.each([
        ['GAS_CLIENT_CHARGE', 'client.charge', 'clientAccount'],
        ['GAS_PROXY_CHARGE_NOTIFY', 'client.charge', 'proxy'],
        ['GAS_WORKER_PAYOUT', 'worker.payout', 'workerAccount'],
        ['GAS_PROXY_PAYOUT', 'worker.payout', 'proxy'],
        ['GAS_CLIENT_GRANT_REFUND', 'client.grantRefund', 'clientAccount'],
        ['GAS_CLIENT_FORCE_REFUND', 'client.forceRefund', 'clientAccount'],
        ['GAS_PROXY_CLIENT_CLOSED', 'client.forceRefund', 'proxy'],
        ['GAS_PROXY_OPEN', 'client.open', 'proxy'],
        ['GAS_CLIENT_OPENED', 'client.open', 'clientAccount'],
    ])('%s covers the measured gas', (constant, op, contract) => {
        const measured = ops[op].txs.find((t) => t.contract === contract)!.gas;
        const value = Number(billingConstant(constant));
        expect(measured).toBeLessThanOrEqual(value);
        // ...and is not stale by more than 15%.
        expect(measured).toBeGreaterThan(value * 0.85);
    });

    it('gas-report.json (npm run bench:gas) holds the current billing figures, within budget', () => {
        const report = JSON.parse(readFileSync(join(__dirname, '..', '..', 'gas-report.json'), 'utf8')) as Record<
            string,
            OperationGas
        >;
        for (const [name, fresh] of Object.entries(ops)) {
            expect(report[name]).toBeDefined();
            expect(Math.abs(report[name].gas - fresh.gas)).toBeLessThanOrEqual(fresh.gas * 0.01);
            const ref = BILLING_REFERENCE_GAS[name];
            if (ref) expect(report[name].gas).toBeLessThanOrEqual(ref * BILLING_BUDGET_FACTOR);
        }
    });

    it('the close notification value pays for the Proxy at 2x its measured gas (400 nanoTON/gas)', async () => {
        const proxyGas = BigInt(ops['client.forceRefund'].txs.find((t) => t.contract === 'proxy')!.gas);
        const net = await createBillingNetwork();
        const c = await net.blockchain.treasury('notify');
        const { account } = await openClient(net.blockchain, net.main, c, toNano('1'));
        expect(await account.getCloseNotifyValue()).toBeGreaterThanOrEqual(proxyGas * 400n * 2n);
    });

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
            .store(storeOpenClientAccount({ $$type: 'OpenClientAccount', queryId: 0n, stake: toNano('1') }))
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
