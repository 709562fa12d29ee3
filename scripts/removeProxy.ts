import { NetworkProvider } from '@ton/blueprint';
import { storeRemoveProxy } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** RemoveProxy: --id <proxy id>. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { id: { describe: 'Proxy id to remove (uint32)' } };
    await governanceMessage(provider, argv, spec, 'RemoveProxy', async (args) =>
        messageBody(storeRemoveProxy, { $$type: 'RemoveProxy', queryId: 0n, proxyId: await args.uint('id') }),
    );
}
