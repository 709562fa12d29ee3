import { NetworkProvider } from '@ton/blueprint';
import { ClientAccount } from '../wrappers/ClientAccount';
import { ScriptArgs } from './lib/args';

/** Adds --amount TON of balance to the ClientAccount --account. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const account = provider.open(ClientAccount.fromAddress(await args.address('account', 'ClientAccount address')));
    const amount = await args.ton('amount', 'Amount (TON)');
    await account.send(provider.sender(), { value: amount }, { $$type: 'TopUp', queryId: 0n });
    provider.ui().write(`Topped up ${account.address.toString()}`);
}
