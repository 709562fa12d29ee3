import { NetworkProvider } from '@ton/blueprint';
import { storeRegisterProxy } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** RegisterProxy: records or replaces a proxy (--id, --endpoint, --public-key, --proxy). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        id: { describe: 'Proxy id (uint32)' },
        endpoint: { describe: 'Proxy endpoint URL' },
        'public-key': { describe: 'Proxy Ed25519 public key (hex, as deployProxy prints it)' },
        proxy: { describe: 'Proxy contract address' },
    };
    await governanceMessage(provider, argv, spec, 'RegisterProxy', async (args) =>
        messageBody(storeRegisterProxy, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: await args.uint('id'),
            endpoint: await args.string('endpoint'),
            publicKey: await args.uint256('public-key'),
            proxyAddress: await args.address('proxy'),
        }),
    );
}
