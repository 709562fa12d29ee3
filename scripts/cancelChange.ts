import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** CancelChange: drops the pending params or child code change. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'CancelChange', queryId: 0n });
    done(provider, 'CancelChange sent');
}
