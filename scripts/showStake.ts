import { NetworkProvider } from '@ton/blueprint';
import { fromNano } from '@ton/core';
import { ScriptArgs } from './lib/args';
import { openStake, STAKE_ARGS } from './lib/registry';

const STATUS = ['none', 'active', 'unbonding', 'slashed (unbonding)'];

/** Prints one worker stake (--stake, or --registry and --key). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, STAKE_ARGS, provider.ui());
    const stake = await openStake(provider, args);
    const ui = provider.ui();
    if (!(await provider.isContractDeployed(stake.address))) {
        // A withdrawal deletes the stake's account; a later registration of the key deploys it afresh.
        ui.write(`WorkerStake ${stake.address.toString()}: no contract (never registered, or withdrawn)`);
        return;
    }
    const s = await stake.getState();
    ui.write(`WorkerStake ${stake.address.toString()} for key ${s.workerKey.toString(16).padStart(64, '0')}`);
    ui.write(`  status ${STATUS[Number(s.status)] ?? s.status}, owner ${s.owner.toString()}`);
    ui.write(`  bond ${fromNano(s.stake)} TON, unbonding until ${s.unbondingUntil}`);
    ui.write(`  model ${s.modelHash.toString(16)}, image ${s.imageHash.toString(16)}, registered at ${s.registeredAt}`);
}
