/**
 * The proxy with the real worker role and the real admission (as the devnet composes them): workers attest, announce
 * and get their grant; paid requests return receipts the SDK checks against the worker's attested key and the
 * registry; a demotion rotates the queue key and the proxy keeps serving through the remaining worker.
 */
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { mlpInputs } from './harness';

jest.setTimeout(90000);

let devnet: Devnet;
let client: ChrysalisClient;
const quiet = { warn: () => undefined };

beforeAll(async () => {
    devnet = await startDevnet({ workers: 2, models: ['tiny-mlp'], port: 0, logLevel: 'silent' });
    client = await ChrysalisClient.connect({
        proxyUrl: devnet.proxyUrl,
        chain: devnet.network.chain,
        proxyAddress: devnet.network.proxy.contract.address,
        wallet: {
            address: devnet.network.client.wallet.address,
            sender: devnet.network.client.sender,
            keyPair: devnet.network.client.keyPair,
        },
        workerRegistry: devnet.registryView,
        attestationPolicy: { logger: quiet },
    });
});

afterAll(async () => devnet?.stop());

const model = () => devnet.network.models[0].hashHex;

test('a paid request through real workers returns a receipt verified against the attested worker key', async () => {
    await client.verifyProxy(devnet.registryView);
    const keys = devnet.workers.map((w) => w.key.keyPair.publicKey.toString('hex'));
    const inputs = mlpInputs(3, 9);
    const res = await client.infer(model(), inputs);
    expect(keys).toContain(res.workerKey);
    expect(res.tokens).toBe(4);
    expect(res.outputs.logits.dims).toEqual([3, 4]);
    // The worker's announcement (with its attestation) is what the SDK checked; a stranger's key is unknown.
    expect(await client.workerAnnouncement('ab'.repeat(32))).toBeUndefined();
});

test('after a demotion (queue key rotated) the proxy keeps serving through the other worker', async () => {
    const first = await client.infer(model(), mlpInputs(1, 1));
    await devnet.admission.demote(first.workerKey, 'spec: demoted by hand');
    const remaining = devnet.workers
        .map((w) => w.key.keyPair.publicKey.toString('hex'))
        .find((k) => k !== first.workerKey)!;
    // The remaining worker picks up its new grant within its grant poll interval.
    for (let i = 0; i < 4; i++) {
        const res = await client.infer(model(), mlpInputs(1, 20 + i));
        expect(res.workerKey).toBe(remaining);
    }
});
