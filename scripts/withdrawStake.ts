import { toNano } from '@ton/core';
import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { done, openStake } from './lib/registry';

/**
 * Withdraw the bond of --stake (or --registry and --key) after the unbonding delay; owner wallet only. The stake
 * sends its whole balance and deletes itself.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const stake = await openStake(provider, args);
    if (!(await provider.isContractDeployed(stake.address))) {
        throw new Error('no stake contract at this address (never registered, or already withdrawn)');
    }
    const state = await stake.getState();
    // Unbonding (2) or, after a governance slash, Slashed (3): both withdraw once the delay is over.
    if (state.status < 2n) throw new Error(`the stake is not unbonding (status ${state.status})`);
    await stake.send(provider.sender(), { value: toNano('0.05') }, { $$type: 'Withdraw', queryId: 0n });
    done(provider, `Withdraw sent for ${state.stake} nanoTON`);
}
