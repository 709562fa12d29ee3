import { NetworkProvider } from '@ton/blueprint';
import { storeUnpause } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** Unpause: halter or owner wallet. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'Unpause', async () =>
        messageBody(storeUnpause, { $$type: 'Unpause', queryId: 0n }),
    );
}
