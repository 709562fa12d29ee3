import { Redis } from 'ioredis';
import { EventWatcher, registryEventDecoder, SandboxChain, watchedRegistry } from '../../worker-runtime/src/chain';
import { Network, hashOf } from '../fixtures/network';
import { adminSend, deleteKeysUnder, REDIS_URL, sandboxNetwork, uniquePrefix } from './helpers';

/** Every registry event on the chain, oldest first, as `lt:index:name` (what the watcher should hand over once each). */
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

describe('EventWatcher', () => {
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
        prefix = uniquePrefix('chain-watcher');
        ({ net, chain } = await sandboxNetwork());
    });
    afterEach(async () => {
        await deleteKeysUnder(redis, prefix);
    });

    /** A watcher whose handler logs each event in Redis, inside the watcher's MULTI. */
    function watcher(beforeCommit?: () => void): EventWatcher {
        return new EventWatcher({
            chain,
            redis,
            keyPrefix: `${prefix}:watcher`,
            contracts: [watchedRegistry(net.registry.address)],
            handlers: [(event, multi) => multi.rpush(`${prefix}:log`, `${event.txLt}:${event.index}:${event.name}`)],
            beforeCommit,
            pageSize: 2, // several pages per poll, so paging is exercised too
        });
    }

    it('hands every event over exactly once across a crash between fetch and commit', async () => {
        for (let i = 0; i < 5; i++) {
            await adminSend(net, { $$type: 'AllowWorkerImage', queryId: 0n, imageHash: hashOf(`img-${i}`) });
        }
        await adminSend(net, { $$type: 'RemoveWorkerImage', queryId: 0n, imageHash: hashOf('img-0') });

        let commits = 0;
        const crashing = watcher(() => {
            if (++commits === 4) throw new Error('killed before EXEC');
        });
        await expect(crashing.pollOnce()).rejects.toThrow('killed before EXEC');
        const partial = await redis.lrange(`${prefix}:log`, 0, -1);
        const expected = await eventsOnChain(net);
        // Three transactions were committed; the fourth's events are not in Redis and its cursor did not move.
        expect(partial).toEqual(expected.slice(0, partial.length));
        expect(partial.length).toBeLessThan(expected.length);

        const restarted = watcher();
        await restarted.pollOnce();
        expect(await redis.lrange(`${prefix}:log`, 0, -1)).toEqual(expected);

        // More events later, and a poll with nothing new: still each exactly once.
        await adminSend(net, { $$type: 'AllowModel', queryId: 0n, modelHash: hashOf('m2'), kind: 2n, name: 'm2' });
        await restarted.pollOnce();
        expect(await restarted.pollOnce()).toBe(0);
        const all = await redis.lrange(`${prefix}:log`, 0, -1);
        expect(all).toEqual(await eventsOnChain(net));
        expect(new Set(all).size).toBe(all.length);
    });

    it('keeps its cursor at the last committed transaction', async () => {
        const w = watcher();
        await w.pollOnce();
        const last = await chain.lastTransaction(net.registry.address);
        const cursor = await w.cursor(net.registry.address);
        expect(cursor?.lt).toBe(last?.lt);
        expect(cursor?.hash.equals(last!.hash)).toBe(true);
    });

    it('a crash on every commit leaves nothing applied', async () => {
        const w = watcher(() => {
            throw new Error('always down');
        });
        await expect(w.pollOnce()).rejects.toThrow('always down');
        expect(await redis.llen(`${prefix}:log`)).toBe(0);
        expect(await w.cursor(net.registry.address)).toBeNull();
    });
});
