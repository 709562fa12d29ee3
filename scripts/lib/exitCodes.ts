import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Cell } from '@ton/core';
import { join } from 'node:path';
import * as registry from '../../build/Registry/Registry_Registry';
import * as workerStake from '../../build/WorkerStake/WorkerStake_WorkerStake';
import * as proxy from '../../build/Proxy/Proxy_Proxy';
import * as clientAccount from '../../build/ClientAccount/ClientAccount_ClientAccount';
import * as workerAccount from '../../build/WorkerAccount/WorkerAccount_WorkerAccount';

/**
 * Exit codes by name, from the generated wrappers: each exports the contract's named errors as `ERR_*` constants
 * (contracts/<x>/errors.tact) and Tact's own codes (below 256) in `<Contract>_errors`. Reading the exports rather than
 * a list kept here means a new error in a contract is named as soon as `npm run build` runs.
 */
const GENERATED: readonly Record<string, unknown>[] = [registry, workerStake, proxy, clientAccount, workerAccount];

function collect(): Map<number, string> {
    const named = new Map<number, Set<string>>();
    const builtin = new Map<number, string>();
    for (const mod of GENERATED) {
        for (const [key, value] of Object.entries(mod)) {
            if (key.startsWith('ERR_') && typeof value === 'bigint') {
                const set = named.get(Number(value)) ?? new Set<string>();
                named.set(Number(value), set.add(key));
            } else if (key.endsWith('_errors') && typeof value === 'object' && value !== null) {
                for (const [code, entry] of Object.entries(value as Record<string, { message?: string }>)) {
                    if (entry?.message) builtin.set(Number(code), entry.message);
                }
            }
        }
    }
    const names = new Map<number, string>(builtin);
    for (const [code, set] of named) names.set(code, [...set].join('/'));
    return names;
}

let table: Map<number, string> | undefined;

/** `ERR_NOT_OWNER` for 256, `Not enough Toncoin` for 37, undefined for a code no contract names. */
export function exitCodeName(code: number): string | undefined {
    table ??= collect();
    return table.get(code);
}

/** "exit code 256 (ERR_NOT_OWNER)". */
export function describeExitCode(code: number): string {
    const name = exitCodeName(code);
    return name === undefined ? `exit code ${code}` : `exit code ${code} (${name})`;
}

let contracts: Map<string, string> | undefined;

/** The contract whose compiled code has this cell hash (hex), from build/<Unit>/<Unit>_<Contract>.code.boc. */
export function contractNameOfCode(codeHashHex: string): string | undefined {
    if (contracts === undefined) {
        contracts = new Map();
        const root = join(__dirname, '..', '..', 'build');
        for (const unit of existsSync(root) ? readdirSync(root) : []) {
            const dir = join(root, unit);
            if (!statSync(dir).isDirectory()) continue;
            for (const file of readdirSync(dir).filter((f) => f.endsWith('.code.boc'))) {
                const hash = Cell.fromBoc(readFileSync(join(dir, file)))[0]
                    .hash()
                    .toString('hex');
                const name = file.replace(/\.code\.boc$/, '').replace(/^[^_]*_/, '');
                if (!contracts.has(hash)) contracts.set(hash, name);
            }
        }
    }
    return contracts.get(codeHashHex.toLowerCase());
}
