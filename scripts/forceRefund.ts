import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount, storeForceRefund } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** After the client close delay: closes the ClientAccount --account and returns the stake. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, { account: { describe: 'ClientAccount address' }, ...SEND_ARGS }, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account')));
    await submit(provider, args, 'ForceRefund', {
        to: account.address,
        value: CLIENT_FEES.close,
        body: messageBody(storeForceRefund, { $$type: 'ForceRefund', queryId: 0n }),
    });
}
