import * as fs from 'fs';
import * as path from 'path';
import { Cell } from '@ton/core';

export interface KnownContract {
    name: string;
    /** Root code cell hash, lower-case hex: the key raw coverage files and the report are grouped by. */
    hash: string;
    code: Cell;
}

export const BUILD_DIR = path.join(__dirname, '../../build');

/**
 * Every contract code the build produced, by code hash. Read from build/<Project>/<Project>_<Contract>.code.boc rather
 * than build/*.compiled.json: blueprint writes one compiled.json per project and it can hold a dependency's code
 * (Proxy.compiled.json holds ClientAccount), while the per-contract .code.boc files are what the wrappers embed.
 */
export function knownContracts(buildDir = BUILD_DIR): Map<string, KnownContract> {
    const files: { name: string; file: string; own: boolean }[] = [];
    for (const project of fs.readdirSync(buildDir).sort()) {
        const dir = path.join(buildDir, project);
        if (!fs.statSync(dir).isDirectory()) continue;
        for (const file of fs.readdirSync(dir).sort()) {
            const m = file.match(/^[^_]+_(.+)\.code\.boc$/);
            if (m) files.push({ name: m[1], file: path.join(dir, file), own: m[1] === project });
        }
    }
    // A contract's own project first: where a dependency compiles to a different code, the own build is the default.
    files.sort((a, b) => Number(b.own) - Number(a.own));
    const out = new Map<string, KnownContract>();
    for (const { name, file } of files) {
        const code = Cell.fromBoc(fs.readFileSync(file))[0];
        const hash = code.hash().toString('hex');
        if (!out.has(hash)) out.set(hash, { name, hash, code });
    }
    return out;
}
