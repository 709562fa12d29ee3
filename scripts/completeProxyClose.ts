import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { ScriptArgs } from '../wrappers/billingScriptArgs';
import { PROXY_FEES } from '../wrappers/billingFees';

/**
 * Owner: after the delay, with every client account closed and workers paid for every charged unit, takes the stake
 * and the commission. Args: proxy=<address>
 */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const proxy = provider.open(Proxy.fromAddress(a.address('proxy')));
    const d = await proxy.getProxyData();
    if (d.openClients > 0n) throw new Error(`${d.openClients} client account(s) still open`);
    if (d.paidUnits < d.chargedUnits) throw new Error(`workers unpaid for ${d.chargedUnits - d.paidUnits} units`);
    await proxy.send(
        provider.sender(),
        { value: PROXY_FEES.ownerOperation },
        { $$type: 'CompleteProxyClose', queryId: 0n },
    );
    provider.ui().write(`Proxy ${proxy.address.toString()} close sent`);
}
