import { NetworkProvider } from '@ton/blueprint';
import { SLASH_WORKER_FEE, storeSlashWorker } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** Governance slash through the registry: --key (worker public key), --reason (uint32), --fraction (basis points). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        key: { describe: 'Worker public key (hex)' },
        reason: { describe: 'Reason code (uint32)' },
        fraction: { describe: 'Fraction to slash (basis points, 1-10000)' },
    };
    // What compute leaves of the value goes to the treasury with the slashed TON (a slash returns no Excesses):
    // attach the minimum.
    await governanceMessage(
        provider,
        argv,
        spec,
        'SlashWorker',
        async (args, registry) => {
            const key = await args.uint256('key');
            const reason = await args.uint('reason');
            const fractionBps = await args.uint('fraction');
            const stake = await registry.getWorkerStakeAddress(key);
            provider.ui().write(`WorkerStake of the key: ${stake.toString()}`);
            return messageBody(storeSlashWorker, { $$type: 'SlashWorker', queryId: 0n, stake, reason, fractionBps });
        },
        SLASH_WORKER_FEE,
    );
}
