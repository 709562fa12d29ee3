import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { PROXY_FEES } from '../wrappers/billingFees';

/** Owner: stop opening client accounts and start the proxy close delay. Args: proxy=<address> */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const proxy = provider.open(Proxy.fromAddress(a.address('proxy')));
    await proxy.send(
        provider.sender(),
        { value: PROXY_FEES.ownerOperation },
        { $$type: 'RequestProxyClose', queryId: 0n },
    );
    const d = await proxy.getProxyData();
    provider.ui().write(`Close requested; complete after ${new Date(Number(d.closeAt) * 1000).toISOString()}`);
}
