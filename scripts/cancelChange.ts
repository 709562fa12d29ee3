import { NetworkProvider } from '@ton/blueprint';
import { storeCancelChange } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** CancelChange: drops the pending params or child code change. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'CancelChange', async () =>
        messageBody(storeCancelChange, { $$type: 'CancelChange', queryId: 0n }),
    );
}
