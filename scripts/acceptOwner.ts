import { NetworkProvider } from '@ton/blueprint';
import { storeAcceptOwner } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** AcceptOwner: step two of the ownership transfer, sent by the proposed owner's wallet. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'AcceptOwner', async () =>
        messageBody(storeAcceptOwner, { $$type: 'AcceptOwner', queryId: 0n }),
    );
}
