import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** CancelUpgrade: drops the pending upgrade. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);

    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'CancelUpgrade', queryId: 0n });
    done(provider, 'CancelUpgrade sent');
}
