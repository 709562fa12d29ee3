import { NetworkProvider } from '@ton/blueprint';
import { Proxy } from '../wrappers/Proxy';
import { storeOpenClientAccount } from '../build/Proxy/Proxy_Proxy';
import { CLIENT_FEES } from '../wrappers/billingFees';
import { ScriptArgs } from './lib/args';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** Opens the sender's ClientAccount at --proxy with --stake TON, optional --deposit TON of initial balance. */
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
    await submit(provider, args, 'OpenClientAccount', {
        to: proxy.address,
        value: stake + deposit + CLIENT_FEES.open,
        body: messageBody(storeOpenClientAccount, { $$type: 'OpenClientAccount', queryId: 0n, stake }),
    });
    const account = await proxy.getClientAccountAddress(provider.sender().address!);
    provider.ui().write(`ClientAccount ${account.toString()}`);
    return account;
}
