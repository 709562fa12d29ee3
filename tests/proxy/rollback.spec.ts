/**
 * State commitment: the proxy commits a digest of its counters on chain; restarted on a Redis that was rolled back to
 * an earlier snapshot, it detects the mismatch and refuses to serve (503), while an honest restart serves on.
 */
import { randomBytes } from 'node:crypto';
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { recoverLedger } from '../../worker-runtime/src/roles/proxy/recovery';
import { createHarness, devnetClient, Harness, mlpInputs } from './harness';

jest.setTimeout(60000);

let h: Harness;
let client: ChrysalisClient;

beforeAll(async () => {
    h = await createHarness({ area: 'proxy-rollback' });
    client = await devnetClient(h);
});
afterAll(async () => h?.close());

/** DUMP of every key of the proxy's own state (counters, commitment, charge records). */
async function snapshot(): Promise<Map<string, Buffer>> {
    const keys = await h.redis.keys(`${h.prefix}:proxy:*`);
    const out = new Map<string, Buffer>();
    for (const k of keys) out.set(k, (await h.redis.dumpBuffer(k))!);
    return out;
}

async function restore(snap: Map<string, Buffer>): Promise<void> {
    const keys = await h.redis.keys(`${h.prefix}:proxy:*`);
    if (keys.length) await h.redis.del(...keys);
    for (const [k, v] of snap) await h.redis.restore(k, 0, v, 'REPLACE');
}

test('an honest restart serves on; a restart on a rolled-back Redis refuses to serve', async () => {
    // Commitments follow the charges: every second charged request here.
    await h.proxy.stop();
    await h.startProxy({ commitEveryRequests: 2 });
    client.setProxyUrl(h.url);
    await client.infer(h.model.hash, mlpInputs(1, 1));
    expect((await h.net.proxy.contract.getCommittedState()).seqno).toBe(0n);
    await client.infer(h.model.hash, mlpInputs(1, 11));
    for (let i = 0; i < 50 && (await h.net.proxy.contract.getCommittedState()).seqno === 0n; i++) {
        await new Promise((r) => setTimeout(r, 20));
    }
    const first = await h.net.proxy.contract.getCommittedState();
    expect(first.seqno).toBe(1n);
    expect(first.digest).toBe((await h.proxy.counters.digest()).digest);
    expect(await h.proxy.counters.uncommitted()).toBe(0);
    const old = await snapshot();

    await client.infer(h.model.hash, mlpInputs(1, 2));
    await h.proxy.stop(); // commits what is uncommitted on the way out
    expect((await h.net.proxy.contract.getCommittedState()).seqno).toBe(2n);

    // Honest restart: Redis and the chain agree.
    await h.startProxy();
    client.setProxyUrl(h.url);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    await client.infer(h.model.hash, mlpInputs(1, 3));
    await h.proxy.stop();

    // Someone restores the Redis snapshot taken at commitment 1.
    await restore(old);
    await h.startProxy();
    client.setProxyUrl(h.url);
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: string }).error).toMatch(/rolled back/);
    const err = (await client.infer(h.model.hash, mlpInputs(1, 4)).catch((e) => e)) as ProxyError;
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('state_rolled_back');
    expect(err.message).toMatch(/commitment 1 but the chain has 3/);
    await expect(h.proxy.commitState()).rejects.toThrow(/refusing to serve/);
});

test('a wiped Redis is detected too', async () => {
    await h.proxy.stop();
    await restore(new Map());
    await h.startProxy();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(503);
    expect(h.proxy.service.refusal).toMatch(/Redis holds no state commitment/);
});

test('charges racing the periodic check and commitments never look like a rollback', async () => {
    // A fresh ledger that matches the chain (whatever the tests above committed): recover an empty Redis.
    await h.proxy.stop();
    await restore(new Map());
    await recoverLedger({
        chain: h.chain,
        redis: h.redis,
        prefix: h.prefix,
        proxyAddress: h.net.proxy.contract.address,
        proxyKeys: h.net.proxy.keyPair,
        wallet: { address: h.net.proxy.owner.address, sender: h.net.proxy.owner.getSender() },
        vouchers: [],
    });
    // Check every millisecond and commit every fifth charge while 32 requests run sixteen at a time.
    await h.startProxy({ rollbackCheckMs: 1, commitEveryRequests: 5 });
    expect(h.proxy.service.refusal).toBeNull();
    const fast = await devnetClient(h, { requestValiditySeconds: 3600 });
    for (let round = 0; round < 2; round++) {
        await Promise.all(
            Array.from({ length: 16 }, (_, i) => fast.infer(h.model.hash, mlpInputs(1, 100 + round * 16 + i))),
        );
    }
    expect(h.proxy.service.refusal).toBeNull();
    expect(await h.proxy.checkState()).toBe(true);
    // The race itself, at the counters: charges answered while a check waits on the chain are not a rollback.
    const charge = (i: number) =>
        h.proxy.counters.charge({
            requestId: randomBytes(32).toString('hex'),
            client: `0:${'11'.repeat(32)}`,
            workerOwner: `0:${'22'.repeat(32)}`,
            tokens: BigInt(i),
            record: '{}',
        });
    const [check] = await Promise.all([h.proxy.committer.check(), ...Array.from({ length: 20 }, (_, i) => charge(i))]);
    expect(check).toMatchObject({ ok: true });
    await expect(h.proxy.committer.commit()).resolves.toHaveProperty('seqno');
});
