import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount, storeTopUp } from '../wrappers/ClientAccount';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** Adds --amount TON of balance to the ClientAccount --account. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { account: { describe: 'ClientAccount address' }, amount: { describe: 'Amount (TON)' }, ...SEND_ARGS };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account')));
    const amount = await args.ton('amount');
    const { sent } = await submit(provider, args, 'TopUp', {
        to: account.address,
        value: amount,
        body: messageBody(storeTopUp, { $$type: 'TopUp', queryId: 0n }),
    });
    if (sent) provider.ui().write(`balance ${(await account.getAccountData()).balance} nanoTON`);
}
