import { NetworkProvider } from '@ton/blueprint';
import { storeRemoveWorkerImage } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** RemoveWorkerImage: --image <hash>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { image: { describe: 'Worker image hash to remove (hex)' } };
    await governanceMessage(provider, argv, spec, 'RemoveWorkerImage', async (args) =>
        messageBody(storeRemoveWorkerImage, {
            $$type: 'RemoveWorkerImage',
            queryId: 0n,
            imageHash: await args.uint256('image'),
        }),
    );
}
