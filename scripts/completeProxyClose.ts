import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { PROXY_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';

/**
 * Owner of --proxy: after closeAt (the workers' claim window), with every client account closed and workers paid for
 * every charged unit, takes everything the Proxy holds (stake, commission, reserve); the Proxy destroys itself.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy', 'Proxy address')));
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
