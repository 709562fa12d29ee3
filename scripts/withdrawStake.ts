import { NetworkProvider } from '@ton/blueprint';
import { toNano } from '@ton/core';
import { storeWithdraw } from '../wrappers/WorkerStake';
import { ScriptArgs } from './lib/args';
import { openStake, STAKE_ARGS } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/**
 * Withdraw the bond of --stake (or --registry and --key) after the unbonding delay; owner wallet only. The stake
 * sends its whole balance and deletes itself.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, { ...STAKE_ARGS, ...SEND_ARGS }, provider.ui());
    const stake = await openStake(provider, args);
    if (!(await provider.isContractDeployed(stake.address))) {
        throw new Error('no stake contract at this address (never registered, or already withdrawn)');
    }
    const state = await stake.getState();
    // Unbonding (2) or, after a governance slash, Slashed (3): both withdraw once the delay is over.
    if (state.status < 2n) throw new Error(`the stake is not unbonding (status ${state.status})`);
    await submit(provider, args, `Withdraw of ${state.stake} nanoTON`, {
        to: stake.address,
        // Well above STAKE_ACTION_FEE; what is not spent stays above the bond and leaves with the withdrawal.
        value: toNano('0.05'),
        body: messageBody(storeWithdraw, { $$type: 'Withdraw', queryId: 0n }),
    });
}
