import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';

/** After the client close delay: closes the ClientAccount --account and returns the stake. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account', 'ClientAccount address')));
    await account.send(provider.sender(), { value: CLIENT_FEES.close }, { $$type: 'ForceRefund', queryId: 0n });
    provider.ui().write(`Force refund sent to ${account.address.toString()}`);
}
