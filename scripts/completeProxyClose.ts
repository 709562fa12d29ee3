import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { storeCompleteProxyClose } from '../build/Proxy/Proxy_Proxy';
import { PROXY_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/**
 * Owner of --proxy: after closeAt (the workers' claim window), with every client account closed and workers paid for
 * every charged unit, takes everything the Proxy holds (stake, commission, reserve); the Proxy destroys itself.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, { proxy: { describe: 'Proxy address' }, ...SEND_ARGS }, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy')));
    const d = await proxy.getProxyData();
    if (d.openClients > 0n) throw new Error(`${d.openClients} client account(s) still open`);
    if (d.paidUnits < d.chargedUnits) throw new Error(`workers unpaid for ${d.chargedUnits - d.paidUnits} units`);
    await submit(provider, args, 'CompleteProxyClose', {
        to: proxy.address,
        value: PROXY_FEES.ownerOperation,
        body: messageBody(storeCompleteProxyClose, { $$type: 'CompleteProxyClose', queryId: 0n }),
    });
}
