import { Redis } from 'ioredis';
import { RegistryView, SandboxChain } from '../../worker-runtime/src/chain';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { defaultNetworkParams } from '../../wrappers/registryParams';
import { hashOf, Network } from '../fixtures/network';
import { adminSend, deleteKeysUnder, REDIS_URL, sandboxNetwork, uniquePrefix } from './helpers';

describe('RegistryView', () => {
    let redis: Redis;
    let prefix: string;
    let net: Network;
    let chain: SandboxChain;

    beforeAll(() => {
        redis = new Redis(REDIS_URL);
    });
    afterAll(async () => {
        await redis.quit();
    });
    beforeEach(async () => {
        prefix = uniquePrefix('chain-view');
        ({ net, chain } = await sandboxNetwork());
    });
    afterEach(async () => {
        await deleteKeysUnder(redis, prefix);
    });

    const open = (extra: Partial<Parameters<typeof RegistryView.open>[0]> = {}) =>
        RegistryView.open({ chain, redis, registry: net.registry.address, prefix, ...extra });

    it('bootstraps from the getters, then follows allow-list, model, proxy and params changes', async () => {
        const view = await open();
        expect(view.isTestNetwork()).toBe(true);
        expect(view.workerImageAllowed(net.workerImageHash)).toBe(true);
        expect(view.proxyImageAllowed(net.proxyImageHash)).toBe(true);
        expect(view.isModelAllowed(net.modelHash)).toBe(true);
        expect(view.model(net.modelHash)).toEqual({ name: 'silero-vad', kind: 1 });
        expect(view.workerImageAllowed(hashOf('other'))).toBe(false);

        const newImage = hashOf('worker-image-v2');
        await adminSend(net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: newImage });
        await adminSend(net, { $$type: 'RemoveWorkerImage', queryId: 0n, imageHash: net.workerImageHash });
        await adminSend(net, { $$type: 'AllowModel', queryId: 0n, modelHash: hashOf('mlp'), kind: 2n, name: 'mlp' });
        await adminSend(net, { $$type: 'RemoveModel', queryId: 0n, modelHash: net.modelHash });
        const proxyKey = hashOf('proxy-key');
        await adminSend(net, {
            $$type: 'RegisterProxy',
            queryId: 0n,
            proxyId: 7n,
            publicKey: proxyKey,
            proxyAddress: net.stranger.address,
            endpoint: 'https://proxy.example',
        });
        // Nothing changes in memory until the watcher has committed the events.
        expect(view.workerImageAllowed(newImage)).toBe(false);
        await view.sync();
        expect(view.workerImageAllowed(newImage)).toBe(true);
        expect(view.workerImageAllowed(net.workerImageHash)).toBe(false);
        expect(view.isModelAllowed(hashOf('mlp'))).toBe(true);
        expect(view.model(hashOf('mlp'))).toEqual({ name: 'mlp', kind: 2 });
        expect(view.isModelAllowed(net.modelHash)).toBe(false);
        expect(view.proxies()).toEqual([
            {
                proxyId: 7,
                endpoint: 'https://proxy.example',
                publicKey: proxyKey.toString(16).padStart(64, '0'),
                proxyAddress: net.stranger.address.toString(),
            },
        ]);
        expect(view.isRegisteredProxyKey(proxyKey.toString(16).padStart(64, '0'))).toBe(true);

        await adminSend(net, {
            $$type: 'SetParams',
            queryId: 0n,
            params: defaultNetworkParams(net.treasury.address, { isTestNetwork: false, pricePerToken: 1234n }),
        });
        await view.sync();
        expect(view.isTestNetwork()).toBe(false);
        expect(view.params?.pricePerToken).toBe(1234n);

        await adminSend(net, { $$type: 'RemoveProxy', queryId: 0n, proxyId: 7n });
        await view.sync();
        expect(view.proxies()).toEqual([]);
    });

    it('survives a restart: reloads from Redis, and a crash before commit applies the change once on restart', async () => {
        const first = await open();
        const newImage = hashOf('worker-image-v2');
        await adminSend(net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: newImage });
        await first.sync();

        // Restart with no chain progress: the whole view comes back from Redis.
        const reloaded = await open();
        expect(reloaded.workerImageAllowed(newImage)).toBe(true);
        expect(reloaded.model(net.modelHash)).toEqual({ name: 'silero-vad', kind: 1 });

        // A crash between fetch and commit: neither Redis nor memory has the removal...
        await adminSend(net, { $$type: 'RemoveWorkerImage', queryId: 0n, imageHash: newImage });
        let crash = true;
        const crashing = await open({
            beforeCommit: () => {
                if (crash) throw new Error('killed before EXEC');
            },
        }).catch((err: Error) => err);
        expect(crashing).toBeInstanceOf(Error);
        const stale = await open({
            beforeCommit: () => {
                throw new Error('still down');
            },
        }).catch(() => null);
        expect(stale).toBeNull();
        crash = false;
        // ...and the restarted view applies it exactly once.
        const restarted = await open();
        expect(restarted.workerImageAllowed(newImage)).toBe(false);
        expect(restarted.workerImageAllowed(net.workerImageHash)).toBe(true);
        const stored = await redis.hgetall(RedisKeys.registryView(prefix));
        expect(Object.keys(stored).filter((k) => k.startsWith('wi:'))).toHaveLength(1);
    });
});
