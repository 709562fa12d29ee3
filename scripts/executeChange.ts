import { NetworkProvider } from '@ton/blueprint';
import { storeExecuteChange } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** ExecuteChange: applies the pending params or child code once its timelock has passed. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'ExecuteChange', async () =>
        messageBody(storeExecuteChange, { $$type: 'ExecuteChange', queryId: 0n }),
    );
}
