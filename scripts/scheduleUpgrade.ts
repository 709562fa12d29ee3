import { Cell } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { readFileSync } from 'node:fs';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/**
 * ScheduleUpgrade: --code <file.boc> (e.g. build/Registry/Registry_Registry.code.boc), optional --data <file.boc>,
 * --not-before <unix time> (default: now + the registry's timelock, UPGRADE_TIMELOCK).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const code = Cell.fromBoc(readFileSync(await args.string('code', 'New code (path to a .boc file)')))[0];
    const dataPath = await args.optional('data');
    const data = dataPath ? Cell.fromBoc(readFileSync(dataPath))[0] : null;
    const notBefore = args.has('not-before')
        ? await args.bigint('not-before', 'Not before (unix time)')
        : BigInt(Math.floor(Date.now() / 1000)) + 172800n + 60n;
    await registry.send(
        provider.sender(),
        { value: ADMIN_VALUE },
        { $$type: 'ScheduleUpgrade', queryId: 0n, code, data, notBefore },
    );
    done(provider, `ScheduleUpgrade sent: code ${code.hash().toString('hex')}, not before ${notBefore}`);
}
