import { NetworkProvider } from '@ton/blueprint';
import { storeAllowProxyImage } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** AllowProxyImage: --image <hash>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { image: { describe: 'Proxy image hash (TEE measurement digest, hex)' } };
    await governanceMessage(provider, argv, spec, 'AllowProxyImage', async (args) =>
        messageBody(storeAllowProxyImage, {
            $$type: 'AllowProxyImage',
            queryId: 0n,
            imageHash: await args.uint256('image'),
        }),
    );
}
