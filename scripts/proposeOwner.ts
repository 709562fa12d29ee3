import { NetworkProvider } from '@ton/blueprint';
import { storeProposeOwner } from '../wrappers/Registry';
import { governanceMessage } from './lib/governance';
import { messageBody } from './lib/send';

/** ProposeOwner: step one of the ownership transfer (--new-owner); the new owner then runs acceptOwner. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = { 'new-owner': { describe: 'Proposed new owner address' } };
    await governanceMessage(provider, argv, spec, 'ProposeOwner', async (args) =>
        messageBody(storeProposeOwner, {
            $$type: 'ProposeOwner',
            queryId: 0n,
            newOwner: await args.address('new-owner'),
        }),
    );
}
