import { NetworkProvider } from '@ton/blueprint';
import { Address } from '@ton/core';
import { ClientAccount } from '../wrappers/ClientAccount';
import { Proxy } from '../wrappers/Proxy';
import { WorkerAccount } from '../wrappers/WorkerAccount';
import { ScriptArgs } from '../wrappers/billingScriptArgs';

const CLIENT_STATES = ['new', 'active', 'closing', 'closed'];
const PROXY_STATES = ['pending', 'active', 'closing', 'closed'];

/** Read-only: prints a ClientAccount (account=), a Proxy (proxy=) or a WorkerAccount (worker=). */
export async function run(provider: NetworkProvider, args: string[]) {
    const a = new ScriptArgs(args);
    const ui = provider.ui();
    const lines: string[] = [];
    const addr = (x: Address) => x.toString();
    if (a.has('account')) {
        const d = await provider.open(ClientAccount.fromAddress(a.address('account'))).getAccountData();
        lines.push(
            `ClientAccount  state=${CLIENT_STATES[Number(d.state)]} balance=${d.balance} stake=${d.stake}`,
            `  charged=${d.charged} units at ${d.price} nanoTON  unlockAt=${d.unlockAt}  proxy=${addr(d.proxy)} owner=${addr(d.owner)}`,
        );
    } else if (a.has('proxy')) {
        const d = await provider.open(Proxy.fromAddress(a.address('proxy'))).getProxyData();
        lines.push(
            `Proxy  state=${PROXY_STATES[Number(d.state)]} balance=${d.balance} openClients=${d.openClients}`,
            `  price=${d.price} workerFee=${d.workerFee} chargedUnits=${d.chargedUnits} chargedTon=${d.chargedTon} paidUnits=${d.paidUnits} closeAt=${d.closeAt}`,
        );
    } else if (a.has('worker')) {
        const d = await provider.open(WorkerAccount.fromAddress(a.address('worker'))).getWorkerData();
        lines.push(`WorkerAccount  paid=${d.paid} units  proxy=${addr(d.proxy)} owner=${addr(d.owner)}`);
    } else {
        throw new Error('give account=, proxy= or worker=');
    }
    lines.forEach((l) => ui.write(l));
    return lines;
}
