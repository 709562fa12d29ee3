import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** RemoveModel (--model). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const modelHash = await args.uint256('model', 'Model hash to remove (hex)');
    await registry.send(provider.sender(), { value: ADMIN_VALUE }, { $$type: 'RemoveModel', queryId: 0n, modelHash });
    done(provider, 'RemoveModel sent');
}
