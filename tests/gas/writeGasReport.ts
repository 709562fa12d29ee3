// `npm run bench:gas`: measures every operation contributed under tests/gas/operations/ and writes gas-report.json
// at the repository root (committed; tests/gas/gasReport.spec.ts checks it against the budgets), with each deployed
// contract's code size under "codeSize" (tests/gas/codeSize.spec.ts keeps it current).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeSizes } from './codeSize';
import { collectGasReport } from './collect';

async function main(): Promise<void> {
    const report = await collectGasReport();
    const codeSize = codeSizes();
    const path = join(__dirname, '..', '..', 'gas-report.json');
    writeFileSync(path, JSON.stringify({ ...report, codeSize }, null, 4) + '\n');
    for (const [name, entry] of Object.entries(report)) {
        console.log(
            `${name.padEnd(28)} gas ${String(entry.gas).padStart(7)}  fees ${(entry.fees / 1e9).toFixed(6)} TON`,
        );
    }
    for (const [name, size] of Object.entries(codeSize)) {
        console.log(
            `code ${name.padEnd(23)} ${String(size.cells).padStart(4)} cells ${String(size.bits).padStart(7)} bits`,
        );
    }
    console.log(`wrote ${path}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
