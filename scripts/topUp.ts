import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';

/** Adds balance to a ClientAccount. Args: account=<address> amount=<TON> */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const account = provider.open(ClientAccount.fromAddress(a.address('account')));
    await account.send(provider.sender(), { value: a.ton('amount') }, { $$type: 'TopUp', queryId: 0n });
    provider.ui().write(`Topped up ${account.address.toString()}`);
}
