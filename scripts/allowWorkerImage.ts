import { NetworkProvider } from '@ton/blueprint';
import { storeAllowWorkerImage } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** AllowWorkerImage: --image <hash>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { image: { describe: 'Worker image hash (TEE measurement digest, hex)' } };
    await governanceMessage(provider, argv, spec, 'AllowWorkerImage', async (args) =>
        messageBody(storeAllowWorkerImage, {
            $$type: 'AllowWorkerImage',
            queryId: 0n,
            imageHash: await args.uint256('image'),
        }),
    );
}
