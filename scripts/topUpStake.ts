import { NetworkProvider } from '@ton/blueprint';
import { STAKE_TOPUP_FEE } from '../wrappers/WorkerStake';
import { ScriptArgs } from './lib/args';
import { done, openStake } from './lib/registry';

/** TopUp: adds --amount TON to the bond of --stake (or --registry and --key); owner wallet only. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const stake = await openStake(provider, args);
    const amount = await args.ton('amount', 'Amount to add (TON)');
    await stake.send(provider.sender(), { value: amount + STAKE_TOPUP_FEE }, { $$type: 'TopUp', queryId: 0n });
    done(provider, `TopUp sent to ${stake.address.toString()}`);
}
