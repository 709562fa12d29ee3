import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { CLIENT_FEES } from '../wrappers/billingFees';

/**
 * Opens the sender's ClientAccount at a proxy. Args: proxy=<address> stake=<TON> [deposit=<TON> initial balance]
 */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const proxy = provider.open(Proxy.fromAddress(a.address('proxy')));
    const stake = a.ton('stake');
    const deposit = a.ton('deposit', '0');
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
