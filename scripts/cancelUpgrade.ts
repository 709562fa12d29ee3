import { NetworkProvider } from '@ton/blueprint';
import { storeCancelUpgrade } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** CancelUpgrade: drops the pending upgrade. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'CancelUpgrade', async () =>
        messageBody(storeCancelUpgrade, { $$type: 'CancelUpgrade', queryId: 0n }),
    );
}
