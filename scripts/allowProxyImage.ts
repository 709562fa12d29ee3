import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** AllowProxyImage (--image). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const imageHash = await args.uint256('image', 'Proxy image hash (TEE measurement digest, hex)');
    await registry.send(
        provider.sender(),
        { value: ADMIN_VALUE },
        { $$type: 'AllowProxyImage', queryId: 0n, imageHash },
    );
    done(provider, 'AllowProxyImage sent');
}
