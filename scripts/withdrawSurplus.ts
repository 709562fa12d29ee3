import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** WithdrawSurplus (--to): the registry's balance above its storage reserve, e.g. a bounced registration. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const to = await args.address('to', 'Send the surplus to (address)');
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'WithdrawSurplus', queryId: 0n, to });
    done(provider, 'WithdrawSurplus sent');
}
