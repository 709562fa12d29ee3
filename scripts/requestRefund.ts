import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount, storeRequestRefund } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** Starts closing the sender's ClientAccount --account: balance above the stake comes back now. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, { account: { describe: 'ClientAccount address' }, ...SEND_ARGS }, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account')));
    const { sent } = await submit(provider, args, 'RequestRefund', {
        to: account.address,
        value: CLIENT_FEES.ownerOperation,
        body: messageBody(storeRequestRefund, { $$type: 'RequestRefund', queryId: 0n }),
    });
    if (sent) {
        const d = await account.getAccountData();
        provider.ui().write(`the stake unlocks at ${new Date(Number(d.unlockAt) * 1000).toISOString()}`);
    }
}
