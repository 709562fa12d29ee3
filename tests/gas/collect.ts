import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GasEntry, GasOperation, measure } from './measure';

/**
 * One file per area in tests/gas/operations/. A file contributes either
 *   `export const operations: GasOperation[]` (each measured here, with tests/gas/measure.ts), or
 *   `export async function measure<Area>Operations(): Promise<Record<string, GasEntry>>` (measured by the area).
 */
export interface GasContribution {
    file: string;
    collect(): Promise<Record<string, GasEntry>>;
}

type OperationsModule = Record<string, unknown> & { operations?: GasOperation[] };

export function loadContributions(dir = join(__dirname, 'operations')): GasContribution[] {
    return readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .sort()
        .map((file) => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const mod = require(join(dir, file)) as OperationsModule;
            if (Array.isArray(mod.operations)) {
                const ops = mod.operations;
                return { file, collect: () => measureAll(ops) };
            }
            const fn = Object.entries(mod).find(
                ([name, v]) => /^measure\w*Operations$/.test(name) && typeof v === 'function',
            );
            if (!fn) {
                throw new Error(
                    `tests/gas/operations/${file} must export 'operations: GasOperation[]' or 'measure<Area>Operations()'`,
                );
            }
            return { file, collect: fn[1] as () => Promise<Record<string, GasEntry>> };
        });
}

async function measureAll(ops: GasOperation[]): Promise<Record<string, GasEntry>> {
    const out: Record<string, GasEntry> = {};
    for (const op of ops) out[op.name] = await measure(op);
    return out;
}

/** Measures every contribution; the result maps operation names to entries, sorted by name. */
export async function collectGasReport(contributions = loadContributions()): Promise<Record<string, GasEntry>> {
    const merged: Record<string, GasEntry> = {};
    for (const c of contributions) {
        for (const [name, entry] of Object.entries(await c.collect())) {
            if (name in merged) throw new Error(`duplicate gas operation name '${name}' (from ${c.file})`);
            merged[name] = entry;
        }
    }
    return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}
