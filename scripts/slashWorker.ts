import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { done, openRegistry } from './lib/registry';

/** Governance slash through the registry: --key (worker public key), --reason (uint32), --fraction (basis points). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const key = await args.uint256('key', 'Worker public key (hex)');
    const reason = await args.bigint('reason', 'Reason code (uint32)');
    const fractionBps = await args.bigint('fraction', 'Fraction to slash (basis points, 1-10000)');
    const stake = await registry.getWorkerStakeAddress(key);
    await registry.send(
        provider.sender(),
        { value: toNano('0.1') },
        { $$type: 'SlashWorker', queryId: 0n, stake, reason, fractionBps },
    );
    done(provider, `SlashWorker sent for ${stake.toString()}`);
}
