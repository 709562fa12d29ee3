import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { CLIENT_FEES } from '../wrappers/billingFees';

/** Withdraws balance above the stake. Args: account=<address> amount=<TON | all> */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const account = provider.open(ClientAccount.fromAddress(a.address('account')));
    const amount = a.string('amount') === 'all' ? (await account.getAccountData()).balance : a.ton('amount');
    await account.send(
        provider.sender(),
        { value: CLIENT_FEES.ownerOperation },
        { $$type: 'Withdraw', queryId: 0n, amount },
    );
    provider.ui().write(`Withdrew ${amount} nanoTON from ${account.address.toString()}`);
}
