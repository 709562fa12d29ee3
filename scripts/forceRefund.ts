import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { CLIENT_FEES } from '../wrappers/billingFees';

/** After the client close delay: closes the account and returns the stake. Args: account=<address> */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const account = provider.open(ClientAccount.fromAddress(a.address('account')));
    await account.send(provider.sender(), { value: CLIENT_FEES.close }, { $$type: 'ForceRefund', queryId: 0n });
    provider.ui().write(`Force refund sent to ${account.address.toString()}`);
}
