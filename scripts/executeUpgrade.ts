import { NetworkProvider } from '@ton/blueprint';
import { storeExecuteUpgrade } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** ExecuteUpgrade: applies the pending upgrade once its notBefore has passed. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    await governanceMessage(provider, argv, {}, 'ExecuteUpgrade', async () =>
        messageBody(storeExecuteUpgrade, { $$type: 'ExecuteUpgrade', queryId: 0n }),
    );
}
