import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** RemoveProxy (--id). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const proxyId = await args.bigint('id', 'Proxy id to remove');
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'RemoveProxy', queryId: 0n, proxyId });
    done(provider, 'RemoveProxy sent');
}
