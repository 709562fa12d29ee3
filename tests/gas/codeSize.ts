// Code size of each deployed contract, as gas-report.json lists it under "codeSize": the code cell tree of
// build/<Name>/<Name>_<Name>.code.boc (Tact's own output; blueprint's build/<Name>.compiled.json holds the first
// contract of a multi-contract project, e.g. ClientAccount's code for the Proxy) counted as the chain counts it for
// storage and forward fees (unique cells, their bits).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cell } from '@ton/core';

/** The contracts that are deployed (RegistryV2 is a test fixture for upgrades, not listed). */
export const DEPLOYED_CONTRACTS = ['Registry', 'WorkerStake', 'Proxy', 'ClientAccount', 'WorkerAccount'] as const;

export interface CodeSize {
    cells: number;
    bits: number;
}

/** Unique cells (by hash, as storage and forward fees count them) and their data bits. */
export function cellTreeSize(root: Cell): CodeSize {
    const seen = new Set<string>();
    let bits = 0;
    const visit = (c: Cell) => {
        const h = c.hash().toString('hex');
        if (seen.has(h)) return;
        seen.add(h);
        bits += c.bits.length;
        c.refs.forEach(visit);
    };
    visit(root);
    return { cells: seen.size, bits };
}

export function codeSizes(buildDir = join(__dirname, '..', '..', 'build')): Record<string, CodeSize> {
    const out: Record<string, CodeSize> = {};
    for (const name of DEPLOYED_CONTRACTS) {
        const boc = readFileSync(join(buildDir, name, `${name}_${name}.code.boc`));
        out[name] = cellTreeSize(Cell.fromBoc(boc)[0]);
    }
    return out;
}
