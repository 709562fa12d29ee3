import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount, storeWithdraw } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { parseTon, ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** Withdraws balance above the stake from --account: --amount TON, or `all`. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        account: { describe: 'ClientAccount address' },
        amount: { describe: 'Amount to withdraw (TON, or all)' },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account')));
    const text = await args.string('amount');
    const amount = text === 'all' ? (await account.getAccountData()).balance : parseTon('amount', text);
    await submit(provider, args, `Withdraw of ${amount} nanoTON`, {
        to: account.address,
        value: CLIENT_FEES.ownerOperation,
        body: messageBody(storeWithdraw, { $$type: 'Withdraw', queryId: 0n, amount }),
    });
}
