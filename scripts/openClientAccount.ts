import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { openingAt } from '../wrappers/ClientAccount';
import { storeOpenClientAccount } from '../build/Proxy/Proxy_Proxy';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';
import { chainTimeAtLeast } from './lib/trace';

/**
 * Opens a ClientAccount of the sender at --proxy with --stake TON, optional --deposit TON of initial balance. Each
 * opening is a new account at an address of its own (dated by the chain's time, `opening`): the script prints it.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        proxy: { describe: 'Proxy address' },
        stake: { describe: 'Stake (TON)' },
        deposit: { describe: 'Initial balance (TON, default 0)', optional: true },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const proxy = provider.open(Proxy.fromAddress(await args.address('proxy')));
    const stake = await args.ton('stake');
    const deposit = args.has('deposit') ? await args.ton('deposit') : 0n;
    const opening = openingAt(await chainTimeAtLeast(provider, proxy.address));
    await submit(provider, args, 'OpenClientAccount', {
        to: proxy.address,
        value: stake + deposit + CLIENT_FEES.open,
        body: messageBody(storeOpenClientAccount, { $$type: 'OpenClientAccount', queryId: 0n, stake, opening }),
    });
    const account = await proxy.getClientAccountAddress(provider.sender().address!, opening);
    provider.ui().write(`ClientAccount ${account.toString()} (opening ${opening})`);
    return account;
}
