import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { sendDemoRequest, snapshotTransport } from '../../worker-runtime/src/devnet/send';
import { saveRegistrySnapshot, SavedRegistrySnapshot } from '../../worker-runtime/src/client/registrySnapshot';
import { startForgingRelay } from '../fixtures/forgingRelay';

describe('sending to a running devnet as its demo client', () => {
    let devnet: Devnet;
    let snapshot: SavedRegistrySnapshot;

    beforeAll(async () => {
        devnet = await startDevnet({
            workers: 1,
            models: ['tiny-mlp', 'silero-vad'],
            seed: 'send-spec',
            logLevel: 'silent',
        });
        // What `npm run devnet -- --keep-running` saves and prints for send.ts.
        const keys = devnet.network.workers.flatMap((w) => w.keys.map((k) => k.keyPair.publicKey.toString('hex')));
        snapshot = await saveRegistrySnapshot(devnet.network.chain, devnet.network.registry.address, keys);
    }, 60_000);

    afterAll(async () => {
        await devnet?.stop();
    });

    it('lists on the registry the endpoint the proxy really serves on', async () => {
        const listed = devnet.registryView.proxies().map((p) => p.endpoint);
        expect(listed).toEqual([devnet.proxyUrl]);
        expect(listed[0]).toMatch(/^https:/);
        // Over RA-TLS, checked against the saved snapshot (the registered proxy's key, the proxy images).
        const res = await snapshotTransport(listed[0], snapshot).send({ method: 'GET', path: '/healthz' });
        expect(res.status).toBe(200);
    });

    it('signs with the seed-derived client key, is served, and the receipt verifies', async () => {
        const account = devnet.network.client.account.address.toString();
        const { response, receiptValid } = await sendDemoRequest({
            url: devnet.proxyUrl,
            account,
            model: 'silero-vad',
            n: 3,
            seed: 'send-spec',
            snapshot,
        });
        expect(receiptValid).toBe(true);
        expect(response.outputs.output.dims).toEqual([1, 1]);
        expect(response.tokens).toBe(2);
        const byHash = await sendDemoRequest({
            url: devnet.proxyUrl,
            account,
            model: devnet.network.models[0].hashHex,
            inputs: { features: { type: 'float32', dims: [1, 16], data: new Array(16).fill(0.5) } },
            seed: 'send-spec',
            snapshot,
        });
        expect(byHash.receiptValid).toBe(true);
    }, 30_000);

    it('is refused when signed with another seed, and names an unknown model clearly', async () => {
        const account = devnet.network.client.account.address.toString();
        await expect(
            sendDemoRequest({ url: devnet.proxyUrl, account, model: 'tiny-mlp', seed: 'someone-else', snapshot }),
        ).rejects.toThrow('bad_signature');
        await expect(
            sendDemoRequest({ url: devnet.proxyUrl, account, model: 'gpt-5', seed: 'send-spec', snapshot }),
        ).rejects.toThrow("the proxy serves no model 'gpt-5' (it serves tiny-mlp, silero-vad)");
    });

    it('refuses outputs forged and re-signed with an unregistered, unstaked key', async () => {
        // The relay reaches the proxy over RA-TLS; the sender talks plain HTTP to it (opted in, a test network).
        const relay = await startForgingRelay(snapshotTransport(devnet.proxyUrl, snapshot));
        try {
            const account = devnet.network.client.account.address.toString();
            const result = await sendDemoRequest({
                url: relay.url,
                plainHttp: true,
                account,
                model: 'tiny-mlp',
                seed: 'send-spec',
                snapshot,
            });
            expect(relay.forged).toBe(1);
            expect(result.response.workerKey).toBe(relay.attackerKey);
            expect(result.receiptValid).toBe(false);
            expect(result.reason).toBe(
                `worker ${relay.attackerKey} is not staked for this model: the worker key has no WorkerStake (not registered)`,
            );
        } finally {
            await relay.close();
        }
    }, 30_000);
});
