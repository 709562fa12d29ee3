import { NetworkProvider } from '@ton/blueprint';
import { storeRemoveModel } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** RemoveModel: --model <hash>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { model: { describe: 'Model hash to remove (hex)' } };
    await governanceMessage(provider, argv, spec, 'RemoveModel', async (args) =>
        messageBody(storeRemoveModel, { $$type: 'RemoveModel', queryId: 0n, modelHash: await args.uint256('model') }),
    );
}
