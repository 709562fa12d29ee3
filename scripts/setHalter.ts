import { NetworkProvider } from '@ton/blueprint';
import { storeSetHalter } from '../wrappers/Registry';
import { parseAddress } from './lib/args';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/**
 * SetHalter: --halter <address> gives that wallet the right to pause and unpause (only that), or `--halter none`
 * removes it. Owner wallet only.
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { halter: { describe: 'Halter address (or none to remove the halter)' } };
    const { registry, sent } = await governanceMessage(provider, argv, spec, 'SetHalter', async (args) => {
        const text = await args.string('halter');
        const halter = text === 'none' ? null : parseAddress('halter', text);
        return messageBody(storeSetHalter, { $$type: 'SetHalter', queryId: 0n, halter });
    });
    if (sent) provider.ui().write(`halter is now ${(await registry.getGovernance()).halter?.toString() ?? 'none'}`);
}
