import { NetworkProvider } from '@ton/blueprint';
import { keyPairFromSeed } from '@ton/crypto';
import { REGISTER_WORKER_FEE, storeRegisterWorker } from '../wrappers/Registry';
import { DEFAULT_REGISTRATION_VALIDITY_S, signWorkerRegistration } from '../wrappers/workerRegistration';
import { ScriptArgs, ScriptArgsError } from './lib/args';
import { openRegistry, REGISTRY_ARG } from './lib/registry';
import { messageBody, SEND_ARGS, submit } from './lib/send';

/**
 * RegisterWorker: bonds --bond TON (default: the minimum worker stake) for --key on --model and --image. The worker
 * key must consent: --signature is its Ed25519 signature (hex) of workerRegistrationHash(registry, this wallet,
 * --expiry) (wrappers/workerRegistration.ts), made where the key lives; the worker runtime does this itself when it
 * registers (CHRYSALIS_REGISTER). Where this machine holds the key (a devnet, a test), --worker-seed <64 hex> signs
 * here instead of --key and --signature (--expiry defaults to an hour from now).
 */
export async function run(provider: NetworkProvider, argv: string[] = []) {
    const spec = {
        ...REGISTRY_ARG,
        key: { describe: 'Worker Ed25519 public key (hex)', optional: true },
        'worker-seed': { describe: 'Worker key seed (hex, 32 bytes): sign the consent here', optional: true },
        model: { describe: 'Model hash (hex)' },
        image: { describe: 'Worker image hash (hex)' },
        bond: { describe: 'Bond in TON (default: the minimum worker stake)', optional: true },
        expiry: { describe: "Expiry of the worker key's signature (unix time)", optional: true },
        signature: { describe: "The worker key's signature of the registration (hex, 64 bytes)", optional: true },
        ...SEND_ARGS,
    };
    const args = new ScriptArgs(argv, spec, provider.ui());
    const registry = await openRegistry(provider, args);
    const keyPair = args.has('worker-seed') ? keyPairFromSeed(await args.bytes('worker-seed', 32)) : null;
    const workerKey = keyPair ? BigInt('0x' + keyPair.publicKey.toString('hex')) : await args.uint256('key');
    const modelHash = await args.uint256('model');
    const imageHash = await args.uint256('image');
    const bond = args.has('bond') ? await args.ton('bond') : (await registry.getParams()).minWorkerStake;
    const expiry =
        keyPair && !args.has('expiry')
            ? BigInt(Math.floor(Date.now() / 1000) + DEFAULT_REGISTRATION_VALIDITY_S)
            : await args.uint('expiry');
    let signature: Buffer;
    if (keyPair) {
        const owner = provider.sender().address;
        if (!owner) throw new ScriptArgsError('--worker-seed: the sender has no known address to sign for');
        signature = signWorkerRegistration(
            { registry: registry.address, owner, expiry: Number(expiry) },
            keyPair.secretKey,
        );
    } else {
        signature = await args.bytes('signature', 64);
    }
    const { sent } = await submit(provider, args, 'RegisterWorker', {
        to: registry.address,
        value: bond + REGISTER_WORKER_FEE,
        body: messageBody(storeRegisterWorker, {
            $$type: 'RegisterWorker',
            queryId: 0n,
            workerKey,
            modelHash,
            imageHash,
            expiry,
            signature,
        }),
    });
    const stake = await registry.getWorkerStakeAddress(workerKey);
    provider.ui().write(`WorkerStake ${stake.toString()}${sent ? '' : ' (once the message is sent)'}`);
    return stake;
}
