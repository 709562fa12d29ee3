import { NetworkProvider } from '@ton/blueprint';
import { Address } from '@ton/core';
import { ClientAccount } from '../wrappers/ClientAccount';
import { Proxy } from '../wrappers/Proxy';
import { WorkerAccount } from '../wrappers/WorkerAccount';
import { isInteractive, ScriptArgs, ScriptArgsError } from './lib/args';

const CLIENT_STATES = ['new', 'active', 'closing', 'closed'];
const PROXY_STATES = ['pending', 'active', 'closing', 'closed'];
const KINDS = ['account', 'proxy', 'worker'] as const;
const QUESTIONS = { account: 'ClientAccount address', proxy: 'Proxy address', worker: 'WorkerAccount address' };

/** Read-only: prints a ClientAccount (--account), a Proxy (--proxy) or a WorkerAccount (--worker). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(
        argv,
        {
            account: { describe: QUESTIONS.account, optional: true },
            proxy: { describe: QUESTIONS.proxy, optional: true },
            worker: { describe: QUESTIONS.worker, optional: true },
        },
        provider.ui(),
    );
    const ui = provider.ui();
    const given = KINDS.filter((k) => args.has(k));
    if (given.length > 1) throw new ScriptArgsError('give one of --account, --proxy or --worker');
    if (given.length === 0 && !isInteractive(ui)) throw new ScriptArgsError('missing --account, --proxy or --worker');
    const kind = given[0] ?? (await ui.choose('Show which contract?', [...KINDS], (k) => k));
    const address = await args.address(kind);
    const lines: string[] = [];
    const addr = (x: Address) => x.toString();
    if (kind === 'account' && !(await provider.isContractDeployed(address))) {
        // A closed account sent everything back and destroyed itself (or it was never opened).
        lines.push(`ClientAccount  state=closed (nothing at ${addr(address)}: a closed account destroys itself)`);
    } else if (kind === 'account') {
        const d = await provider.open(ClientAccount.fromAddress(address)).getAccountData();
        lines.push(
            `ClientAccount  state=${CLIENT_STATES[Number(d.state)]} balance=${d.balance} stake=${d.stake}`,
            `  charged=${d.charged} units at ${d.price} nanoTON  unlockAt=${d.unlockAt}  opening=${d.opening}  proxy=${addr(d.proxy)} owner=${addr(d.owner)}`,
        );
    } else if (kind === 'proxy' && !(await provider.isContractDeployed(address))) {
        // A closed Proxy sent everything to its owner and destroyed itself.
        lines.push(`Proxy  state=closed (nothing at ${addr(address)}: a closed Proxy destroys itself)`);
    } else if (kind === 'proxy') {
        const d = await provider.open(Proxy.fromAddress(address)).getProxyData();
        lines.push(
            `Proxy  state=${PROXY_STATES[Number(d.state)]} balance=${d.balance} openClients=${d.openClients}`,
            `  price=${d.price} workerFee=${d.workerFee} chargedUnits=${d.chargedUnits} chargedTon=${d.chargedTon} paidUnits=${d.paidUnits} closeAt=${d.closeAt}`,
        );
    } else {
        const d = await provider.open(WorkerAccount.fromAddress(address)).getWorkerData();
        lines.push(`WorkerAccount  paid=${d.paid} units  proxy=${addr(d.proxy)} owner=${addr(d.owner)}`);
    }
    lines.forEach((l) => ui.write(l));
    return lines;
}
