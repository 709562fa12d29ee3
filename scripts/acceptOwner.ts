import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** AcceptOwner: step two, sent by the proposed owner's wallet. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);

    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'AcceptOwner', queryId: 0n });
    done(provider, 'AcceptOwner sent');
}
