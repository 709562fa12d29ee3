import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount, storeIncreaseStake } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/**
 * Moves --amount TON into the stake of the sender's ClientAccount --account; optional --attach TON (default: amount +
 * fee) is sent along and becomes balance first.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        account: { describe: 'ClientAccount address' },
        amount: { describe: 'Amount to move into the stake (TON)' },
        attach: { describe: 'TON to attach (default: amount + fee)', optional: true },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account')));
    const amount = await args.ton('amount');
    const attach = args.has('attach') ? await args.ton('attach') : amount + CLIENT_FEES.ownerOperation;
    const { sent } = await submit(provider, args, 'IncreaseStake', {
        to: account.address,
        value: attach,
        body: messageBody(storeIncreaseStake, { $$type: 'IncreaseStake', queryId: 0n, amount }),
    });
    if (sent) provider.ui().write(`stake ${(await account.getAccountData()).stake} nanoTON`);
}
