import { NetworkProvider } from '@ton/blueprint';
import { ScriptArgs } from './lib/args';
import { ADMIN_VALUE, done, openRegistry } from './lib/registry';

/** RegisterProxy (--id, --endpoint, --public-key, --proxy): records or replaces a proxy. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const proxyId = await args.bigint('id', 'Proxy id (uint32)');
    const endpoint = await args.string('endpoint', 'Proxy endpoint URL');
    const publicKey = await args.uint256('public-key', 'Proxy Ed25519 public key (hex)');
    const proxyAddress = await args.address('proxy', 'Proxy contract address');
    await registry.send(
        provider.sender(),
        { value: ADMIN_VALUE },
        { $$type: 'RegisterProxy', queryId: 0n, proxyId, endpoint, publicKey, proxyAddress },
    );
    done(provider, 'RegisterProxy sent');
}
