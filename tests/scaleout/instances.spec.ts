/**
 * Two proxy instances serving one proxy identity (docs/proxy.md, "Several instances"): the devnet's proxy role and a
 * second, full ProxyRole with the same keys, its own Redis connections, its own worker admission (the queue keys
 * come from Redis, sealed under the proxy's key) and its own port, in front of the same workers and chain. Several
 * clients send signed requests to either instance, as a load balancer would, some of them to both at once: every
 * request is charged once, the counters equal the usage served, one instance commits at a time and its commitments
 * match the chain; when the committer stops, the other takes over and commits.
 */
import { randomBytes } from 'node:crypto';
import { Address, toNano } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { Redis } from 'ioredis';
import { RegistryView } from '../../worker-runtime/src/chain';
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { deployClientWallet } from '../../worker-runtime/src/devnet/clientWallet';
import { devnetKeyPair } from '../../worker-runtime/src/devnet/keys';
import { Devnet, servedModels, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { toWireMap } from '../../worker-runtime/src/inference';
import { silentLogger } from '../../worker-runtime/src/observability';
import { signReceiptQuery, signRequest } from '../../worker-runtime/src/protocol/request';
import { closeRedisClient, createRedisClient } from '../../worker-runtime/src/queue';
import { WorkerAdmission } from '../../worker-runtime/src/roles/admission';
import { ProxyConfig, ProxyRole } from '../../worker-runtime/src/roles/proxy';
import { SimulatedProvider } from '../../worker-runtime/src/tee';
import { mlpInputs } from '../proxy/harness';

jest.setTimeout(300_000);

const QUIET = { warn: () => undefined };
const LEASE_MS = 1_000;
const proxyConfig: Partial<ProxyConfig> = {
    committerLeaseMs: LEASE_MS,
    commitEveryRequests: 10,
    commitIntervalMs: 0,
    // Every instance compares Redis with the chain every second: two commitments racing would show as a mismatch.
    rollbackCheckMs: 1_000,
    accountCacheMs: 0,
    // The spec posts to both instances with bare fetch: plain HTTP, opted in on the devnet's test network.
    plainHttp: true,
};

let devnet: Devnet;
let second: ProxyRole;
let secondUrl: string;
const extra: Array<{ role: ProxyRole; redis: Redis; view: RegistryView }> = [];
let clients: Array<{ keyPair: KeyPair; account: string }>;

/** Another full instance of the devnet's proxy: same keys and Redis prefix, its own connections, admission and port. */
async function startInstance(): Promise<{ role: ProxyRole; url: string }> {
    const { network } = devnet;
    const chain = network.chain;
    const redis = createRedisClient(devnet.redis.url);
    const view = await RegistryView.open({ chain, redis, registry: network.registry.address, prefix: devnet.prefix });
    const admission = await WorkerAdmission.create({
        redis,
        chain,
        registryView: view,
        prefix: devnet.prefix,
        proxyKeyPair: network.proxy.keyPair,
        policy: { logger: QUIET },
    });
    const role = new ProxyRole({
        chain,
        proxyAddress: network.proxy.contract.address,
        proxyKeys: network.proxy.keyPair,
        wallet: { address: network.proxy.owner.address, sender: network.proxy.owner.getSender() },
        models: await servedModels(network),
        admission,
        admissionIntervalMs: 100,
        quoteProvider: new SimulatedProvider({ logger: QUIET }),
        config: {
            port: 0,
            redisUrl: devnet.redis.url,
            prefix: devnet.prefix,
            allowSimulatedAttestation: true,
            allowVolatileRedis: true,
            ...proxyConfig,
        },
        env: {},
        logger: silentLogger(),
    });
    extra.push({ role, redis, view });
    return { role, url: (await role.start()).url };
}

beforeAll(async () => {
    devnet = await startDevnet({ models: ['tiny-mlp'], workers: 2, seed: 'scaleout-instances', proxyConfig });
    const { network } = devnet;
    const chain = network.chain;
    ({ role: second, url: secondUrl } = await startInstance());

    // Three clients: the devnet's and two more, each with a wallet and a ClientAccount of its own.
    clients = [{ keyPair: network.client.keyPair, account: network.client.account.address.toString() }];
    const funder = await chain.blockchain.treasury('scaleout-faucet');
    for (const label of ['second', 'third']) {
        const wallet = await deployClientWallet(
            chain.blockchain,
            funder,
            devnetKeyPair(devnet.prefix, label),
            toNano('50'),
        );
        const sdk = await ChrysalisClient.connect({
            proxyUrl: devnet.proxyUrl,
            chain,
            proxyAddress: network.proxy.contract.address,
            wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair: wallet.keyPair },
            allowPlainHttp: true,
        });
        await sdk.openAccount(network.params.minClientStake, toNano('10'));
        clients.push({ keyPair: wallet.keyPair, account: sdk.account.toString() });
    }
});

afterAll(async () => {
    for (const { role, redis, view } of extra) {
        await role.stop();
        await view.stop();
        await closeRedisClient(redis);
    }
    await devnet?.stop();
});

interface Sent {
    requestId: string;
    client: number;
    statuses: number[];
    tokens: number | null;
}

/** Posts one signed request to each of `urls` at once; returns what came back. */
async function send(client: number, urls: string[], seed: number): Promise<Sent> {
    const c = clients[client];
    const requestId = randomBytes(32).toString('hex');
    const signed = signRequest(
        {
            requestId,
            model: devnet.network.models[0].hashHex,
            inputs: toWireMap(mlpInputs(1 + (seed % 3), seed)),
            account: c.account,
            validUntil: (await devnet.network.chain.now()) + 600,
        },
        c.keyPair.secretKey,
    );
    const answers = await Promise.all(
        urls.map(async (url) => {
            const res = await fetch(`${url}/v1/infer`, { method: 'POST', headers: signed.headers, body: signed.body });
            const body = (await res.json()) as { tokens?: number; error?: { code: string } };
            return { status: res.status, body };
        }),
    );
    const ok = answers.find((a) => a.status === 200);
    return { requestId, client, statuses: answers.map((a) => a.status), tokens: ok?.body.tokens ?? null };
}

const instances = () => [devnet.proxy, second];

test('under concurrent load through both instances every request is charged once, and one instance commits', async () => {
    const counters = devnet.proxy.counters;
    const chargesBefore = await counters.chargeCount();
    const seqnoBefore = (await devnet.proxy.committer.onChain()).seqno;
    // Who holds the lock, sampled: never both; a handover (a stalled event loop can miss a renewal under this load)
    // always comes with a newer token.
    const holders: Array<{ instance: number; token: number }> = [];
    let bothAtOnce = 0;
    const sampler = setInterval(() => {
        const tokens = instances().map((p) => p.lock.token);
        if (tokens[0] !== null && tokens[1] !== null) bothAtOnce++;
        tokens.forEach((token, instance) => {
            const last = holders[holders.length - 1];
            if (token !== null && (!last || last.instance !== instance || last.token !== token)) {
                holders.push({ instance, token });
            }
        });
    }, 20);

    // 3 clients × 30 requests, 8 at a time, each to one instance picked at random; every fifth to both at once.
    const urls = [devnet.proxyUrl, secondUrl];
    const jobs = Array.from({ length: 90 }, (_, i) => i);
    const sent: Sent[] = [];
    const t0 = Date.now();
    await Promise.all(
        Array.from({ length: 8 }, async () => {
            for (let i = jobs.shift(); i !== undefined; i = jobs.shift()) {
                const target = i % 5 === 0 ? urls : [urls[Math.floor(Math.random() * 2)]];
                sent.push(await send(i % 3, target, i));
            }
        }),
    );
    clearInterval(sampler);
    const loadMs = Date.now() - t0;

    // Served: each request once at least; a copy sent to the other instance at once joins it or is a duplicate.
    for (const s of sent) {
        expect(s.statuses).toContain(200);
        for (const status of s.statuses) expect([200, 409]).toContain(status);
    }
    expect(sent.filter((s) => s.statuses.length === 2)).toHaveLength(18);
    // Charged once: the counters are the sum of what was served, per client, and the owners' total equals it.
    expect((await counters.chargeCount()) - chargesBefore).toBe(90);
    let total = 0n;
    for (const [i, c] of clients.entries()) {
        const served = sent.filter((s) => s.client === i).reduce((sum, s) => sum + BigInt(s.tokens!), 0n);
        const raw = Address.parse(c.account).toRawString();
        expect(await counters.clientTokens(raw)).toBe(served);
        total += served;
    }
    const owners = devnet.network.workers.map((w) => w.owner.address.toRawString());
    const paid = await Promise.all(owners.map((o) => counters.workerTokens(o)));
    expect(paid.reduce((a, b) => a + b, 0n)).toBe(total);
    // Both instances charged (the load reached both), each request has its one record.
    const now = await devnet.network.chain.now();
    for (const s of sent.slice(0, 10)) {
        // Each record is its account owner's to read (a signed query), from either instance.
        const c = clients[s.client];
        const headers = signReceiptQuery(s.requestId, c.account, now + 60, c.keyPair.secretKey);
        const res = await fetch(`${secondUrl}/v1/receipts/${s.requestId}`, { headers });
        expect(res.status).toBe(200);
    }

    // One committer throughout; its commitments (every 10 charges of either instance) match the chain.
    expect(bothAtOnce).toBe(0);
    expect(holders.length).toBeGreaterThan(0);
    for (let i = 1; i < holders.length; i++) expect(holders[i].token).toBeGreaterThan(holders[i - 1].token);
    const committer = instances().find((p) => p.isCommitter)!;
    await committer.commitState();
    const onChain = await committer.committer.onChain();
    expect(onChain.seqno).toBeGreaterThan(seqnoBefore + 1n);
    expect(await committer.committer.inRedis()).toEqual(onChain);
    expect(await committer.counters.uncommitted()).toBe(0);
    for (const p of instances()) {
        expect(p.service.refusal).toBeNull();
        expect((await p.committer.check()).ok).toBe(true);
    }
    // The other instance cannot commit while the committer holds the lock.
    const other = instances().find((p) => p !== committer)!;
    await expect(other.commitState()).rejects.toThrow(/not the committer/);
    console.log(
        `two instances: 90 requests (18 sent to both) in ${loadMs} ms; committer tokens seen ` +
            holders.map((h) => `#${h.instance}:${h.token}`).join(' → ') +
            `; chain seqno ${seqnoBefore} → ${onChain.seqno}`,
    );
});

test('when the committer stops, the other instance takes over the lock and commits', async () => {
    const committer = instances().find((p) => p.isCommitter)!;
    const other = instances().find((p) => p !== committer)!;
    const otherUrl = other === second ? secondUrl : devnet.proxyUrl;
    const tokenBefore = await committer.lock.newestToken();
    const stopped = Date.now();
    await committer.stop();
    const deadline = Date.now() + 3 * LEASE_MS + 5_000;
    while (!other.isCommitter && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const takeover = Date.now() - stopped;
    expect(other.isCommitter).toBe(true);
    expect(other.lock.token).toBe(tokenBefore + 1);

    const seqno = (await other.committer.onChain()).seqno;
    const more = await Promise.all([0, 1, 2].map((i) => send(i, [otherUrl], 100 + i)));
    for (const s of more) expect(s.statuses).toEqual([200]);
    const c = await other.commitState();
    expect(c.seqno).toBe(seqno + 1n);
    expect((await other.committer.check()).ok).toBe(true);
    console.log(`committer handover after a graceful stop (lease ${LEASE_MS} ms): ${takeover} ms`);
});

test('a close requested through another instance takes the lock from the committer; every instance then refuses', async () => {
    const committer = instances().find((p) => p.isCommitter)!;
    const committerUrl = committer === second ? secondUrl : devnet.proxyUrl;
    const { role: closer } = await startInstance();
    expect(closer.isCommitter).toBe(false);
    const outcome = await closer.requestClose({ pollMs: 50 });
    expect(outcome.closeAt).toBeGreaterThan(0);
    expect(closer.isCommitter).toBe(true);
    expect(committer.isCommitter).toBe(false);
    // The committer's instance takes no new request (it did not start the close: the mark in Redis says so).
    const refused = await send(0, [committerUrl], 200);
    expect(refused.statuses).toEqual([503]);
    expect((await closer.committer.check()).ok).toBe(true);
});
