import { NetworkProvider } from '@ton/blueprint';
import { REGISTER_WORKER_FEE } from '../wrappers/Registry';
import { ScriptArgs } from './lib/args';
import { done, openRegistry } from './lib/registry';

/** RegisterWorker: bonds --bond TON (default: the minimum worker stake) for --key on --model and --image. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const workerKey = await args.uint256('key', 'Worker Ed25519 public key (hex)');
    const modelHash = await args.uint256('model', 'Model hash (hex)');
    const imageHash = await args.uint256('image', 'Worker image hash (hex)');
    const bond = args.has('bond') ? await args.ton('bond', 'Bond (TON)') : (await registry.getParams()).minWorkerStake;
    await registry.send(
        provider.sender(),
        { value: bond + REGISTER_WORKER_FEE },
        { $$type: 'RegisterWorker', queryId: 0n, workerKey, modelHash, imageHash },
    );
    const stake = await registry.getWorkerStakeAddress(workerKey);
    done(provider, `RegisterWorker sent; the stake contract is ${stake.toString()}`);
}
