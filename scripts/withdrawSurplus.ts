import { NetworkProvider } from '@ton/blueprint';
import { storeWithdrawSurplus } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** WithdrawSurplus (--to): the registry's balance above its storage reserve, e.g. a bounced registration. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { to: { describe: 'Send the surplus to (address)' } };
    await governanceMessage(provider, argv, spec, 'WithdrawSurplus', async (args) =>
        messageBody(storeWithdrawSurplus, { $$type: 'WithdrawSurplus', queryId: 0n, to: await args.address('to') }),
    );
}
