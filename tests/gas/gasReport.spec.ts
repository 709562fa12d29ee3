import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GAS_CEILINGS, ISSUE_BUDGETS } from './budgets';
import { GasEntry, measure } from './measure';
import { operations } from './operations/registry';

const report = JSON.parse(readFileSync(join(__dirname, '..', '..', 'gas-report.json'), 'utf8')) as Record<
    string,
    GasEntry
>;

describe('gas-report.json against the budgets (Registry and WorkerStake)', () => {
    it('has every operation of this area with gas, fees and per-transaction gas that add up', () => {
        for (const op of operations) {
            const entry = report[op.name];
            expect(entry).toBeDefined();
            expect(entry.gas).toBeGreaterThan(0);
            expect(entry.fees).toBeGreaterThan(0);
            expect(entry.txs.reduce((sum, tx) => sum + tx.gas, 0)).toBe(entry.gas);
        }
    });

    it.each(Object.entries(GAS_CEILINGS))('%s stays under its regression ceiling (%d gas)', (name, ceiling) => {
        expect(report[name].gas).toBeLessThanOrEqual(ceiling);
    });

    it.each(Object.entries(ISSUE_BUDGETS))('%s holds the issue budget (%d gas)', (name, budget) => {
        expect(report[name].gas).toBeLessThanOrEqual(budget);
    });

    it('the committed report is current: a fresh measurement matches it within 1%', async () => {
        for (const op of operations) {
            const fresh = await measure(op);
            const committed = report[op.name].gas;
            expect(Math.abs(fresh.gas - committed)).toBeLessThanOrEqual(committed * 0.01);
        }
    });
});
