import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { done, openRegistry } from './lib/registry';
import { SLASH_WORKER_FEE } from '../wrappers/Registry';

/** Governance slash through the registry: --key (worker public key), --reason (uint32), --fraction (basis points). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const key = await args.uint256('key', 'Worker public key (hex)');
    const reason = await args.bigint('reason', 'Reason code (uint32)');
    const fractionBps = await args.bigint('fraction', 'Fraction to slash (basis points, 1-10000)');
    const stake = await registry.getWorkerStakeAddress(key);
    // What compute leaves of this value goes to the treasury with the slashed TON (no Excesses for a slash): attach
    // the minimum.
    await registry.send(
        provider.sender(),
        { value: SLASH_WORKER_FEE },
        { $$type: 'SlashWorker', queryId: 0n, stake, reason, fractionBps },
    );
    done(provider, `SlashWorker sent for ${stake.toString()}`);
}
