import { NetworkProvider } from '@ton/blueprint';
import { REGISTER_WORKER_FEE } from '../wrappers/Registry';
import { ScriptArgs } from './lib/args';
import { done, openRegistry } from './lib/registry';

/**
 * RegisterWorker: bonds --bond TON (default: the minimum worker stake) for --key on --model and --image. The worker
 * key must consent: --signature is its Ed25519 signature (hex) of workerRegistrationHash(registry, this wallet,
 * --expiry) (worker-runtime/src/protocol/registration.ts), made where the key lives; the worker runtime does this
 * itself when it registers (CHRYSALIS_REGISTER).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const workerKey = await args.uint256('key', 'Worker Ed25519 public key (hex)');
    const modelHash = await args.uint256('model', 'Model hash (hex)');
    const imageHash = await args.uint256('image', 'Worker image hash (hex)');
    const bond = args.has('bond') ? await args.ton('bond', 'Bond (TON)') : (await registry.getParams()).minWorkerStake;
    const expiry = await args.uint('expiry', 'Expiry of the worker key signature (unix time)');
    const signature = await args.bytes('signature', 'Worker key signature (hex, 64 bytes)', 64);
    await registry.send(
        provider.sender(),
        { value: bond + REGISTER_WORKER_FEE },
        { $$type: 'RegisterWorker', queryId: 0n, workerKey, modelHash, imageHash, expiry, signature },
    );
    const stake = await registry.getWorkerStakeAddress(workerKey);
    done(provider, `RegisterWorker sent; the stake contract is ${stake.toString()}`);
}
