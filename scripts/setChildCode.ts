import { Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { readFileSync } from 'node:fs';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

export const CHILD_KINDS: Record<string, bigint> = { workerStake: 1n, proxy: 2n, clientAccount: 3n, workerAccount: 4n };
const KINDS = CHILD_KINDS;

/**
 * SetChildCode: --kind workerStake|proxy|clientAccount|workerAccount --code <file.boc>, into an empty slot only (the
 * first deployment of the billing codes); replacing a code goes through scheduleChildCode and the timelock.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const kindName = await args.string('kind', `Child kind (${Object.keys(KINDS).join(', ')})`);
    const kind = KINDS[kindName];
    if (kind === undefined) throw new Error(`unknown child kind '${kindName}' (use ${Object.keys(KINDS).join(', ')})`);
    const code = Cell.fromBoc(readFileSync(await args.string('code', 'Code (path to a .boc file)')))[0];
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'SetChildCode', queryId: 0n, kind, code });
    done(provider, `SetChildCode sent: ${kindName} = ${code.hash().toString('hex')}`);
}
