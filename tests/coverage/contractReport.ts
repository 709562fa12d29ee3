import * as fs from 'fs';
import * as path from 'path';
import { collectAsmCoverage, CoverageData, generateCoverageSummary, generateHtmlReport } from '@ton/sandbox';
import { EmbeddedCode, formatEmbedded, withoutEmbeddedCode } from './embedded';
import { KnownContract } from './knownContracts';
import { mergeRaw } from './rawCoverage';

export interface ReportRow {
    contract: string;
    hash: string;
    covered: number;
    total: number;
    percent: number;
    html: string;
    testFiles: number;
    /** Code of other contracts of the build that this one carries (initOf) and that is not counted in its figures. */
    embedded: EmbeddedCode[];
}

interface Entry {
    contract: string;
    hash: string;
    data: CoverageData;
    testFiles: string[];
}

/**
 * Merges the raw files of `rawDir` and writes `<outDir>/<Contract>.html` and `<outDir>/summary.json`. A contract of
 * the build that no test ran is still listed, at 0%, so a missing suite cannot hide behind a short table; a second code
 * under the same name (WorkerStake is also compiled inside the Registry project) is listed only when something ran it.
 * The code of a child contract embedded in a parent (the Proxy carries ClientAccount and WorkerAccount for initOf) is
 * counted under the child only: it is left out of the parent's figures and HTML, and named in the row.
 */
export function writeContractReport(
    rawDir: string,
    outDir: string,
    known: Map<string, KnownContract>,
): { rows: ReportRow[]; stale: string[] } {
    // Coverage of code that is no longer in build/ (contracts rebuilt while the suite ran) says nothing about the
    // contracts as they are: it is left out and named, not merged.
    const merged = mergeRaw(rawDir);
    const stale = merged.filter((e) => !known.has(e.hash)).map((e) => `${e.contract} ${e.hash.slice(0, 8)}`);
    const entries: Entry[] = merged.filter((e) => known.has(e.hash));
    const ran = new Set(entries.map((e) => e.contract));
    for (const c of known.values()) {
        if (ran.has(c.name)) continue;
        ran.add(c.name);
        entries.push({ contract: c.name, hash: c.hash, data: collectAsmCoverage(c.code, ''), testFiles: [] });
    }
    entries.sort((a, b) => a.contract.localeCompare(b.contract) || a.hash.localeCompare(b.hash));
    const perName = new Map<string, number>();
    for (const e of entries) perName.set(e.contract, (perName.get(e.contract) ?? 0) + 1);

    fs.mkdirSync(outDir, { recursive: true });
    const rows = entries.map((e): ReportRow => {
        const label = perName.get(e.contract)! > 1 ? `${e.contract}-${e.hash.slice(0, 8)}` : e.contract;
        const html = path.join(outDir, `${label}.html`);
        const { data, embedded } = withoutEmbeddedCode(e.data, known);
        fs.writeFileSync(html, generateHtmlReport(data));
        const s = generateCoverageSummary(data);
        return {
            contract: label,
            hash: e.hash,
            covered: s.coveredLines,
            total: s.totalLines,
            percent: s.coveragePercentage,
            html,
            testFiles: e.testFiles.length,
            embedded,
        };
    });
    fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify({ rows, stale }, null, 4) + '\n');
    return { rows, stale };
}

export function formatTable(rows: ReportRow[]): string {
    const covered = rows.reduce((s, r) => s + r.covered, 0);
    const total = rows.reduce((s, r) => s + r.total, 0);
    const lines = [
        ...rows.map((r) => [
            r.contract,
            `${r.covered}/${r.total}`,
            pct(r.percent),
            String(r.testFiles),
            formatEmbedded(r.embedded),
        ]),
        ['All contracts', `${covered}/${total}`, pct(total === 0 ? 0 : (covered / total) * 100), '', ''],
    ];
    const header = ['Contract', 'Instructions covered/total', 'Percent', 'Spec files', 'Embedded child code left out'];
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const fmt = (cells: string[]) =>
        cells
            .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
            .join('  ')
            .trimEnd();
    const rule = widths.map((w) => '-'.repeat(w)).join('  ');
    return [fmt(header), rule, ...lines.slice(0, -1).map(fmt), rule, fmt(lines[lines.length - 1])].join('\n');
}

function pct(p: number): string {
    return `${p.toFixed(2)}%`;
}
