/**
 * A rollback seen by the instances of one proxy (docs/proxy.md, "Several instances"): the committer records the halt
 * on chain and hands the lock over; no instance stands for committer any more, and every one of them refuses.
 */
import { silentLogger } from '../../worker-runtime/src/observability';
import { ProxyRole } from '../../worker-runtime/src/roles/proxy';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { createProvider } from '../../worker-runtime/src/tee';
import { Proxy } from '../../wrappers/Proxy';
import { createHarness, devnetClient, Harness, mlpInputs, REDIS_URL } from '../proxy/harness';

jest.setTimeout(180_000);

let h: Harness;
let second: ProxyRole;
const config = { committerLeaseMs: 600, rollbackCheckMs: 200 };

beforeAll(async () => {
    h = await createHarness({ area: 'scaleout-halt', proxyConfig: config });
    second = new ProxyRole({
        chain: h.chain,
        proxyAddress: h.net.proxy.contract.address,
        proxyKeys: h.net.proxy.keyPair,
        wallet: { address: h.net.proxy.owner.address, sender: h.net.proxy.owner.getSender() },
        models: [h.model],
        admission: h.admission,
        quoteProvider: createProvider({ kind: 'simulated', logger: { warn: () => undefined } }),
        config: {
            port: 0,
            redisUrl: REDIS_URL,
            prefix: h.prefix,
            allowSimulatedAttestation: true,
            allowVolatileRedis: true,
            accountCacheMs: 0,
            ...config,
        },
        env: {},
        logger: silentLogger(),
        payoutFlushMs: 0,
    });
    await second.start();
});

afterAll(async () => {
    await second?.stop();
    await h?.close();
});

test('the committer records the halt and hands the lock over; every instance refuses, none commits again', async () => {
    const client = await devnetClient(h);
    for (let i = 0; i < 3; i++) await client.infer(h.model.hash, mlpInputs(1, i));
    const committer = [h.proxy, second].find((p) => p.isCommitter)!;
    const committed = await committer.commitState();

    // Redis goes back to before that commitment (its record says one seqno less than the chain).
    await h.redis.hset(proxyKeys(h.prefix).commit, { seqno: String(committed.seqno - 1n) });
    const deadline = Date.now() + 20_000;
    const halted = () => [h.proxy, second].every((p) => p.service.refusal !== null);
    while (!halted() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(h.proxy.service.refusal).toMatch(/rolled back/);
    expect(second.service.refusal).toMatch(/rolled back/);

    // The halt commitment (digest 0) is on chain, one seqno on; then the lock is free and nobody takes it.
    const proxy = h.chain.open(Proxy.fromAddress(h.net.proxy.contract.address));
    while ((await proxy.getCommittedState()).digest !== 0n && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
    }
    expect(await proxy.getCommittedState()).toMatchObject({ seqno: committed.seqno + 1n, digest: 0n });
    await new Promise((r) => setTimeout(r, 2 * config.committerLeaseMs));
    expect(await h.redis.get(proxyKeys(h.prefix).committerLock)).toBeNull();
    expect([h.proxy.isCommitter, second.isCommitter]).toEqual([false, false]);
    await expect(second.commitState()).rejects.toThrow(/refusing to serve/);
});
