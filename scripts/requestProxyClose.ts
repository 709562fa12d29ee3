import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { PROXY_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';

/** Owner of --proxy: stop opening client accounts and start the proxy close delay. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy', 'Proxy address')));
    await proxy.send(
        provider.sender(),
        { value: PROXY_FEES.ownerOperation },
        { $$type: 'RequestProxyClose', queryId: 0n },
    );
    const d = await proxy.getProxyData();
    provider.ui().write(`Close requested; complete after ${new Date(Number(d.closeAt) * 1000).toISOString()}`);
}
