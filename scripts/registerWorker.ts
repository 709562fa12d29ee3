import { NetworkProvider } from '@ton/blueprint';
import { keyPairFromSeed } from '@ton/crypto';
import { REGISTER_WORKER_FEE } from '../wrappers/Registry';
import { DEFAULT_REGISTRATION_VALIDITY_S, signWorkerRegistration } from '../wrappers/workerRegistration';
import { ScriptArgs } from './lib/args';
import { done, openRegistry } from './lib/registry';

/**
 * RegisterWorker: bonds --bond TON (default: the minimum worker stake) for --key on --model and --image. The worker
 * key must consent: --signature is its Ed25519 signature (hex) of workerRegistrationHash(registry, this wallet,
 * --expiry) (wrappers/workerRegistration.ts), made where the key lives; the worker runtime does this itself when it
 * registers (CHRYSALIS_REGISTER). Where this machine holds the key (a devnet, a test), --worker-seed <64 hex> signs
 * here instead of --key and --signature (--expiry defaults to an hour from now).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const args = new ScriptArgs(argv, provider.ui());
    const registry = await openRegistry(provider, args);
    const keyPair = args.has('worker-seed')
        ? keyPairFromSeed(await args.bytes('worker-seed', 'Worker key seed (hex, 32 bytes)', 32))
        : null;
    const workerKey = keyPair
        ? BigInt('0x' + keyPair.publicKey.toString('hex'))
        : await args.uint256('key', 'Worker Ed25519 public key (hex)');
    const modelHash = await args.uint256('model', 'Model hash (hex)');
    const imageHash = await args.uint256('image', 'Worker image hash (hex)');
    const bond = args.has('bond') ? await args.ton('bond', 'Bond (TON)') : (await registry.getParams()).minWorkerStake;
    const expiry =
        keyPair && !args.has('expiry')
            ? BigInt(Math.floor(Date.now() / 1000) + DEFAULT_REGISTRATION_VALIDITY_S)
            : await args.uint('expiry', 'Expiry of the worker key signature (unix time)');
    const owner = provider.sender().address;
    if (keyPair && !owner)
        throw new Error('--worker-seed needs a sender with a known address (the owner it signs for)');
    const signature = keyPair
        ? signWorkerRegistration(
              { registry: registry.address, owner: owner!, expiry: Number(expiry) },
              keyPair.secretKey,
          )
        : await args.bytes('signature', 'Worker key signature (hex, 64 bytes)', 64);
    await registry.send(
        provider.sender(),
        { value: bond + REGISTER_WORKER_FEE },
        { $$type: 'RegisterWorker', queryId: 0n, workerKey, modelHash, imageHash, expiry, signature },
    );
    const stake = await registry.getWorkerStakeAddress(workerKey);
    done(provider, `RegisterWorker sent; the stake contract is ${stake.toString()}`);
}
