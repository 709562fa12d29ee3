import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { CLIENT_FEES } from '../wrappers/billingFees';

/** Starts closing the sender's ClientAccount: balance above the stake comes back now. Args: account=<address> */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const account = provider.open(ClientAccount.fromAddress(a.address('account')));
    await account.send(
        provider.sender(),
        { value: CLIENT_FEES.ownerOperation },
        { $$type: 'RequestRefund', queryId: 0n },
    );
    const d = await account.getAccountData();
    provider.ui().write(`Refund requested; the stake unlocks at ${new Date(Number(d.unlockAt) * 1000).toISOString()}`);
}
