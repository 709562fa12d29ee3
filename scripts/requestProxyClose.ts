import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { storeRequestProxyClose } from '../build/Proxy/Proxy_Proxy';
import { PROXY_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** Owner of --proxy: stop opening client accounts and start the proxy close delay. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, { proxy: { describe: 'Proxy address' }, ...SEND_ARGS }, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy')));
    const { sent } = await submit(provider, args, 'RequestProxyClose', {
        to: proxy.address,
        value: PROXY_FEES.ownerOperation,
        body: messageBody(storeRequestProxyClose, { $$type: 'RequestProxyClose', queryId: 0n }),
    });
    if (sent) {
        const d = await proxy.getProxyData();
        provider.ui().write(`complete after ${new Date(Number(d.closeAt) * 1000).toISOString()}`);
    }
}
