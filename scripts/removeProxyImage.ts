import { NetworkProvider } from '@ton/blueprint';
import { storeRemoveProxyImage } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** RemoveProxyImage: --image <hash>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { image: { describe: 'Proxy image hash to remove (hex)' } };
    await governanceMessage(provider, argv, spec, 'RemoveProxyImage', async (args) =>
        messageBody(storeRemoveProxyImage, {
            $$type: 'RemoveProxyImage',
            queryId: 0n,
            imageHash: await args.uint256('image'),
        }),
    );
}
