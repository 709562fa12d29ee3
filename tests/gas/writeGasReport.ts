// `npm run bench:gas`: measures every operation contributed under tests/gas/operations/ and writes gas-report.json
// at the repository root (committed; tests/gas/gasReport.spec.ts checks it against the budgets).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectGasReport } from './collect';

async function main(): Promise<void> {
    const report = await collectGasReport();
    const path = join(__dirname, '..', '..', 'gas-report.json');
    writeFileSync(path, JSON.stringify(report, null, 4) + '\n');
    for (const [name, entry] of Object.entries(report)) {
        console.log(
            `${name.padEnd(28)} gas ${String(entry.gas).padStart(7)}  fees ${(entry.fees / 1e9).toFixed(6)} TON`,
        );
    }
    console.log(`wrote ${path}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
