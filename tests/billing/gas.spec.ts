import '@ton/test-utils';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toNano } from '@ton/core';
import {
    BILLING_BUDGET_FACTOR,
    BILLING_REFERENCE_GAS,
    measureBillingOperations,
    OperationGas,
} from '../gas/operations/billing';
import { billingConstant, createBillingNetwork, openClient } from '../fixtures/billing';

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
});
