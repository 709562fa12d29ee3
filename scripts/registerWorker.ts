import { NetworkProvider } from '@ton/blueprint';
import { REGISTER_WORKER_FEE, storeRegisterWorker } from '../wrappers/Registry';
import { ScriptArgs } from './lib/args';
import { openRegistry, REGISTRY_ARG } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/** RegisterWorker: bonds --bond TON (default: the minimum worker stake) for --key on --model and --image. */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        ...REGISTRY_ARG,
        key: { describe: 'Worker Ed25519 public key (hex)' },
        model: { describe: 'Model hash (hex)' },
        image: { describe: 'Worker image hash (hex)' },
        bond: { describe: 'Bond in TON (default: the minimum worker stake)', optional: true },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const registry = await openRegistry(provider, args);
    const workerKey = await args.uint256('key');
    const modelHash = await args.uint256('model');
    const imageHash = await args.uint256('image');
    const bond = args.has('bond') ? await args.ton('bond') : (await registry.getParams()).minWorkerStake;
    const { sent } = await submit(provider, args, 'RegisterWorker', {
        to: registry.address,
        value: bond + REGISTER_WORKER_FEE,
        body: messageBody(storeRegisterWorker, {
            $$type: 'RegisterWorker',
            queryId: 0n,
            workerKey,
            modelHash,
            imageHash,
        }),
    });
    const stake = await registry.getWorkerStakeAddress(workerKey);
    provider.ui().write(`WorkerStake ${stake.toString()}${sent ? '' : ' (once the message is sent)'}`);
    return stake;
}
