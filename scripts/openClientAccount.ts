import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';

/** Opens the sender's ClientAccount at --proxy with --stake TON, optional --deposit TON of initial balance. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy', 'Proxy address')));
    const stake = await args.ton('stake', 'Stake (TON)');
    const deposit = args.has('deposit') ? await args.ton('deposit', 'Initial balance (TON)') : 0n;
    await proxy.send(
        provider.sender(),
        { value: stake + deposit + CLIENT_FEES.open },
        { $$type: 'OpenClientAccount', queryId: 0n, stake },
    );
    const account = await proxy.getClientAccountAddress(provider.sender().address!);
    await provider.waitForDeploy(account);
    provider.ui().write(`ClientAccount ${account.toString()}`);
    return account;
}
