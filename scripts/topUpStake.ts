import { NetworkProvider } from '@ton/blueprint';
import { STAKE_TOPUP_FEE, storeTopUp } from '../wrappers/WorkerStake';
import { ScriptArgs } from './lib/args';
import { openStake, STAKE_ARGS } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** TopUp: adds --amount TON to the bond of --stake (or --registry and --key); owner wallet only. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { ...STAKE_ARGS, amount: { describe: 'Amount to add (TON)' }, ...SEND_ARGS };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const stake = await openStake(provider, args);
    const amount = await args.ton('amount');
    const { sent } = await submit(provider, args, 'TopUp', {
        to: stake.address,
        value: amount + STAKE_TOPUP_FEE,
        body: messageBody(storeTopUp, { $$type: 'TopUp', queryId: 0n }),
    });
    if (sent) provider.ui().write(`bond ${(await stake.getState()).stake} nanoTON`);
}
