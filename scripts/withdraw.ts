import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { parseTon, ScriptArgs } from './lib/args';

/** Withdraws balance above the stake from --account: --amount TON, or `all`. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account', 'ClientAccount address')));
    const text = await args.string('amount', 'Amount to withdraw (TON, or all)');
    const amount = text === 'all' ? (await account.getAccountData()).balance : parseTon('amount', text);
    await account.send(
        provider.sender(),
        { value: CLIENT_FEES.ownerOperation },
        { $$type: 'Withdraw', queryId: 0n, amount },
    );
    provider.ui().write(`Withdrew ${amount} nanoTON from ${account.address.toString()}`);
}
