/**
 * The event watcher over a TonChain, following the registry through the devnet's TON API exactly as it follows
 * testnet through toncenter: stopped, events made while it is down, restarted — every event handed over once, in
 * chain order, nothing missed or repeated. Real Redis (a prefix of its own), real sandbox, real HTTP.
 */
import { Redis } from 'ioredis';
import {
    EventWatcher,
    registryEventDecoder,
    RegistryView,
    TonChain,
    watchedRegistry,
} from '../../worker-runtime/src/chain';
import { startTonApi, TonApi } from '../../worker-runtime/src/devnet/tonApi';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';
import { adminSend } from '../fixtures/workerNetwork';
import { deployNetwork, hashOf, Network } from '../fixtures/network';

jest.setTimeout(120_000);

/** Every registry event on the chain, oldest first, as `lt:index:name` (read from the sandbox itself). */
async function eventsOnChain(net: Network): Promise<string[]> {
    const decoder = registryEventDecoder();
    const txs = [...(await net.blockchain.getTransactions(net.registry.address))].sort((a, b) =>
        a.lt < b.lt ? -1 : a.lt > b.lt ? 1 : 0,
    );
    const out: string[] = [];
    for (const tx of txs) {
        let index = 0;
        for (const message of tx.outMessages.values()) {
            if (message.info.type !== 'external-out') continue;
            const event = decoder.decode(message.body);
            if (event) out.push(`${tx.lt}:${index}:${event.name}`);
            index++;
        }
    }
    return out;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

describe('EventWatcher through the TON API', () => {
    let redis: Redis;
    let prefix: string;
    let net: Network;
    let api: TonApi;
    let chain: TonChain;

    beforeAll(async () => {
        redis = new Redis(REDIS_URL);
        prefix = uniquePrefix('tonapi-watcher');
        net = await deployNetwork();
        api = await startTonApi({ blockchain: net.blockchain });
        chain = new TonChain({ network: 'devnet', endpoint: api.url });
    });
    afterAll(async () => {
        await api.close();
        await deleteKeysUnder(redis, prefix);
        await redis.quit();
    });

    function watcher(): EventWatcher {
        return new EventWatcher({
            chain,
            redis,
            keyPrefix: `${prefix}:watcher`,
            contracts: [watchedRegistry(net.registry.address)],
            handlers: [(event, multi) => multi.rpush(`${prefix}:log`, `${event.txLt}:${event.index}:${event.name}`)],
            pageSize: 2, // several pages per poll: toncenter's lt/hash paging is exercised
            pollIntervalMs: 50,
        });
    }

    const log = () => redis.lrange(`${prefix}:log`, 0, -1);

    it('hands over every event once across a stop, events made while stopped, and a restart', async () => {
        const first = watcher();
        first.start();
        const initial = await eventsOnChain(net);
        expect(initial.length).toBeGreaterThan(0); // the fixture's deployment and allow-lists
        await until('the fixture events', async () => (await log()).length === initial.length);

        await adminSend(net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: hashOf('live-1') });
        const live = await eventsOnChain(net);
        await until('the live event', async () => (await log()).length === live.length);
        await first.stop();

        // While it is down: several transactions, more than a page of them.
        for (let i = 0; i < 5; i++) {
            await adminSend(net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: hashOf(`down-${i}`) });
        }
        await adminSend(net, { $$type: 'RemoveWorkerImage', queryId: 0n, imageHash: hashOf('live-1') });
        const all = await eventsOnChain(net);
        expect(all.length).toBeGreaterThan(live.length + 5);
        expect(await log()).toEqual(live); // nothing handled while stopped

        const restarted = watcher();
        restarted.start();
        await until('the events made while stopped', async () => (await log()).length >= all.length);
        // A few more polls with nothing new: still each exactly once.
        await new Promise((r) => setTimeout(r, 300));
        await restarted.stop();
        expect(await log()).toEqual(all);
        expect(new Set(await log()).size).toBe(all.length);
    });

    it("the registry view (the roles' allow-lists, models and proxies) bootstraps and follows through the API", async () => {
        const view = await RegistryView.open({
            chain,
            redis,
            registry: net.registry.address,
            prefix: `${prefix}:view`,
        });
        try {
            expect(view.isTestNetwork()).toBe(true);
            expect(view.model(net.modelHash)).toEqual({ name: 'silero-vad', kind: 1 });
            await adminSend(net, {
                $$type: 'AllowModel',
                queryId: 0n,
                modelHash: hashOf('mlp'),
                kind: 2n,
                name: 'mlp',
            });
            await adminSend(net, {
                $$type: 'RegisterProxy',
                queryId: 0n,
                proxyId: 7n,
                publicKey: hashOf('proxy-key'),
                proxyAddress: net.stranger.address,
                endpoint: 'https://proxy.example',
            });
            await view.sync();
            expect(view.model(hashOf('mlp'))).toEqual({ name: 'mlp', kind: 2 });
            expect(view.proxies().map((p) => p.endpoint)).toContain('https://proxy.example');
            expect(view.isRegisteredProxyKey(hashOf('proxy-key').toString(16).padStart(64, '0'))).toBe(true);
        } finally {
            await view.stop();
        }
    });
});
