import { NetworkProvider } from '@ton/blueprint';
import { storePause } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** Pause: stops new registrations (halter or owner wallet). */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'Pause', async () =>
        messageBody(storePause, { $$type: 'Pause', queryId: 0n }),
    );
}
