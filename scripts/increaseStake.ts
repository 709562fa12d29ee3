import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';

/**
 * Moves --amount TON into the stake of the sender's ClientAccount --account; optional --attach TON (default: amount +
 * fee) is sent along and becomes balance first.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account', 'ClientAccount address')));
    const amount = await args.ton('amount', 'Amount to move into the stake (TON)');
    const attach = args.has('attach') ? await args.ton('attach', 'TON to attach') : amount + CLIENT_FEES.ownerOperation;
    await account.send(provider.sender(), { value: attach }, { $$type: 'IncreaseStake', queryId: 0n, amount });
    provider.ui().write(`Stake of ${account.address.toString()} increased`);
}
