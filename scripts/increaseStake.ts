import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { CLIENT_FEES } from '../wrappers/billingFees';

/**
 * Moves `amount` into the stake of the sender's ClientAccount; `attach` (default: amount + fee) is sent along and
 * becomes balance first. Args: account=<address> amount=<TON> [attach=<TON>]
 */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const account = provider.open(ClientAccount.fromAddress(a.address('account')));
    const amount = a.ton('amount');
    const attach = a.has('attach') ? a.ton('attach') : amount + CLIENT_FEES.ownerOperation;
    await account.send(provider.sender(), { value: attach }, { $$type: 'IncreaseStake', queryId: 0n, amount });
    provider.ui().write(`Stake of ${account.address.toString()} increased`);
}
