/**
 * `tsx tests/coverage/report.ts`: after `CHRYSALIS_COVERAGE=1 jest -c jest.coverage.config.js`, merges the per-spec
 * raw contract coverage and writes coverage/contracts/<Contract>.html, summary.json and the table below.
 */
import * as path from 'path';
import { formatTable, writeContractReport } from './contractReport';
import { knownContracts } from './knownContracts';
import { COVERAGE_DIR, RAW_DIR } from './rawCoverage';

const { rows, stale } = writeContractReport(RAW_DIR, COVERAGE_DIR, knownContracts());
console.log('\nContract coverage (TVM instructions executed by the test suite)\n');
console.log(formatTable(rows));
if (rows.some((r) => r.embedded.length > 0)) {
    console.log(
        '\nEmbedded child code left out: code of another contract of the build that a parent carries for initOf ' +
            '(count of copies, instructions); it never runs as the parent and is counted under its own name.',
    );
}
if (stale.length > 0) {
    console.log(
        `\nLeft out, code no longer in build/ (rebuilt during the run; rerun for a clean report): ${stale.join(', ')}`,
    );
}
console.log(`\nHTML: ${path.relative(process.cwd(), COVERAGE_DIR)}/<Contract>.html`);
