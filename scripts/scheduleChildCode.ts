import { Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeScheduleChildCode } from '../wrappers/Registry';
import { ScriptArgsError } from './lib/args';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';
import { CHILD_CODES } from './setChildCode';

const NAMES = Object.keys(CHILD_CODES).join(', ');

/**
 * ScheduleChildCode: --kind workerStake|proxy|clientAccount|workerAccount [--code <file.boc>, default the build file],
 * set by executeChange once the timelock (UPGRADE_TIMELOCK) has passed. Replacing a child code that is already set
 * goes only this way.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        kind: { describe: `Child kind (${NAMES})` },
        code: { describe: "Code (path to a .boc file; default the kind's file in build/)", optional: true },
    };
    await governanceMessage(provider, argv, spec, 'ScheduleChildCode', async (args) => {
        const name = await args.string('kind');
        if (!(name in CHILD_CODES)) throw new ScriptArgsError(`--kind: unknown child kind '${name}' (use ${NAMES})`);
        const child = CHILD_CODES[name as keyof typeof CHILD_CODES];
        const path = args.has('code') ? await args.string('code') : join(__dirname, '..', child.file);
        if (!existsSync(path)) throw new ScriptArgsError(`--code: no file ${path} (run npm run build)`);
        const code = Cell.fromBoc(readFileSync(path))[0];
        provider
            .ui()
            .write(`${name} code ${path}: hash ${code.hash().toString('hex')}; executeChange after the timelock`);
        return messageBody(storeScheduleChildCode, {
            $$type: 'ScheduleChildCode',
            queryId: 0n,
            kind: child.kind,
            code,
        });
    });
}
