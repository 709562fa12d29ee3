import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { sendDemoRequest } from '../../worker-runtime/src/devnet/send';

describe('sending to a running devnet as its demo client', () => {
    let devnet: Devnet;

    beforeAll(async () => {
        devnet = await startDevnet({
            workers: 1,
            models: ['tiny-mlp', 'silero-vad'],
            seed: 'send-spec',
            logLevel: 'silent',
        });
    }, 60_000);

    afterAll(async () => {
        await devnet?.stop();
    });

    it('lists on the registry the endpoint the proxy really serves on', async () => {
        const listed = devnet.registryView.proxies().map((p) => p.endpoint);
        expect(listed).toEqual([devnet.proxyUrl]);
        const res = await fetch(`${listed[0]}/healthz`);
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
        });
        expect(byHash.receiptValid).toBe(true);
    }, 30_000);

    it('is refused when signed with another seed, and names an unknown model clearly', async () => {
        const account = devnet.network.client.account.address.toString();
        await expect(
            sendDemoRequest({ url: devnet.proxyUrl, account, model: 'tiny-mlp', seed: 'someone-else' }),
        ).rejects.toThrow('bad_signature');
        await expect(
            sendDemoRequest({ url: devnet.proxyUrl, account, model: 'gpt-5', seed: 'send-spec' }),
        ).rejects.toThrow("the proxy serves no model 'gpt-5' (it serves tiny-mlp, silero-vad)");
    });
});
