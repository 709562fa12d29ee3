import { Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { readFileSync } from 'node:fs';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';
import { CHILD_KINDS } from './setChildCode';

/**
 * ScheduleChildCode: --kind workerStake|proxy|clientAccount|workerAccount --code <file.boc>, set by executeChange
 * once the timelock (UPGRADE_TIMELOCK) has passed. Replacing a child code that is already set goes only this way.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const kindName = await args.string('kind', `Child kind (${Object.keys(CHILD_KINDS).join(', ')})`);
    const kind = CHILD_KINDS[kindName];
    if (kind === undefined) {
        throw new Error(`unknown child kind '${kindName}' (use ${Object.keys(CHILD_KINDS).join(', ')})`);
    }
    const code = Cell.fromBoc(readFileSync(await args.string('code', 'Code (path to a .boc file)')))[0];
    await registry.send(
        provider.sender(),
        { value: ADMIN_VALUE },
        { $$type: 'ScheduleChildCode', queryId: 0n, kind, code },
    );
    done(provider, `ScheduleChildCode sent: ${kindName} = ${code.hash().toString('hex')}`);
}
