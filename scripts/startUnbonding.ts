import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { done, openStake } from './lib/registry';

/** StartUnbonding for --stake (or --registry and --key); owner wallet only. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const stake = await openStake(provider, args);
    await stake.send(provider.sender(), { value: toNano('0.05') }, { $$type: 'StartUnbonding', queryId: 0n });
    const state = await stake.getState();
    done(provider, `StartUnbonding sent; withdrawal possible from ${state.unbondingUntil} (unix time)`);
}
