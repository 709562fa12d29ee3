import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { coverageFromJson, coverageToJson, CoverageData, mergeCoverages } from '@ton/sandbox';
import { ContractCoverage } from './collector';

export const COVERAGE_DIR = path.join(__dirname, '../../coverage/contracts');
export const RAW_DIR = path.join(COVERAGE_DIR, 'raw');

interface RawFile {
    contract: string;
    hash: string;
    testFile: string;
    coverage: string;
}

export interface MergedCoverage {
    contract: string;
    hash: string;
    data: CoverageData;
    testFiles: string[];
}

/** One file per contract per spec file; pid + random suffix keep parallel jest workers from colliding. */
export function writeRaw(dir: string, results: ContractCoverage[], testFile: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
    return results.map(({ contract, data }) => {
        const file = path.join(dir, `${contract.name}-${contract.hash.slice(0, 12)}-${suffix}.json`);
        const raw: RawFile = { contract: contract.name, hash: contract.hash, testFile, coverage: coverageToJson(data) };
        fs.writeFileSync(file, JSON.stringify(raw));
        return file;
    });
}

/** All raw files of `dir` merged per code hash (a contract rebuilt mid-run shows up once per code). */
export function mergeRaw(dir: string): MergedCoverage[] {
    const byHash = new Map<string, MergedCoverage>();
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    for (const file of files.sort()) {
        const raw = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as RawFile;
        const data = coverageFromJson(raw.coverage);
        const seen = byHash.get(raw.hash);
        if (seen) {
            seen.data = mergeCoverages(seen.data, data);
            seen.testFiles.push(raw.testFile);
        } else {
            byHash.set(raw.hash, { contract: raw.contract, hash: raw.hash, data, testFiles: [raw.testFile] });
        }
    }
    return [...byHash.values()].sort((a, b) => a.contract.localeCompare(b.contract) || a.hash.localeCompare(b.hash));
}
