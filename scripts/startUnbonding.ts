import { NetworkProvider } from '@ton/blueprint';
import { toNano } from '@ton/core';
import { storeStartUnbonding } from '../wrappers/WorkerStake';
import { ScriptArgs } from './lib/args';
import { openStake, STAKE_ARGS } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** StartUnbonding for --stake (or --registry and --key); owner wallet only. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, { ...STAKE_ARGS, ...SEND_ARGS }, provider.ui());
    const stake = await openStake(provider, args);
    const { sent } = await submit(provider, args, 'StartUnbonding', {
        to: stake.address,
        // Well above STAKE_ACTION_FEE; what is not spent stays above the bond and leaves with the withdrawal.
        value: toNano('0.05'),
        body: messageBody(storeStartUnbonding, { $$type: 'StartUnbonding', queryId: 0n }),
    });
    if (sent) provider.ui().write(`withdrawal possible from ${(await stake.getState()).unbondingUntil} (unix time)`);
}
