import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beginCell, Cell } from '@ton/core';
import { cellTreeSize, CodeSize, codeSizes, DEPLOYED_CONTRACTS } from './codeSize';

const report = JSON.parse(readFileSync(join(__dirname, '..', '..', 'gas-report.json'), 'utf8')) as {
    codeSize?: Record<string, CodeSize>;
};

describe('gas-report.json code sizes', () => {
    it('counts a shared subtree once, as storage fees do', () => {
        const leaf = beginCell().storeUint(5, 8).endCell();
        const root = beginCell().storeUint(1, 3).storeRef(leaf).storeRef(leaf).endCell();
        expect(cellTreeSize(root)).toEqual({ cells: 2, bits: 11 });
        expect(cellTreeSize(Cell.EMPTY)).toEqual({ cells: 1, bits: 0 });
    });

    it('lists every deployed contract with the size of its current build (npm run bench:gas rewrites it)', () => {
        expect(Object.keys(report.codeSize ?? {}).sort()).toEqual([...DEPLOYED_CONTRACTS].sort());
        expect(report.codeSize).toEqual(codeSizes());
    });
});
