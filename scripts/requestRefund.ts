import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';

/** Starts closing the sender's ClientAccount --account: balance above the stake comes back now. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account', 'ClientAccount address')));
    await account.send(
        provider.sender(),
        { value: CLIENT_FEES.ownerOperation },
        { $$type: 'RequestRefund', queryId: 0n },
    );
    const d = await account.getAccountData();
    provider.ui().write(`Refund requested; the stake unlocks at ${new Date(Number(d.unlockAt) * 1000).toISOString()}`);
}
