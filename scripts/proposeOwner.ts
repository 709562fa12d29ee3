import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** ProposeOwner: step one of the ownership transfer (--new-owner). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const newOwner = await args.address('new-owner', 'Proposed new owner address');
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'ProposeOwner', queryId: 0n, newOwner });
    done(provider, 'ProposeOwner sent');
}
