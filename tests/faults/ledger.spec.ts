/**
 * The proxy's ledger under Redis faults, on a whole devnet (sandbox chain, proxy role with worker admission, a real
 * worker role with ONNX Runtime) over a private `redis-server` with an append-only file that this spec restarts,
 * rolls back and wipes while the proxy runs. In order: persistence required; a restart with AOF loses nothing; a
 * rollback is detected while serving and never committed over; `chrysalis proxy recover` rebuilds the counters from
 * the chain and the vouchers kept by the worker and the client, refuses replays signed before it, and the worker is
 * paid for what its voucher says; a wipe is detected, the worker comes back by itself after the recovery; /healthz
 * says when a model has no worker.
 */
import { randomBytes } from 'node:crypto';
import { toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { ed25519Signer } from '../../worker-runtime/src/crypto/ed25519';
import { ChrysalisClient, ProxyError } from '../../worker-runtime/src/client';
import { Devnet, startDevnet } from '../../worker-runtime/src/devnet/orchestrator';
import { InferenceRequest, SignedRequest, signRequest } from '../../worker-runtime/src/protocol/request';
import { ProxyRole } from '../../worker-runtime/src/roles/proxy';
import { claimPayoutIfDue } from '../../worker-runtime/src/roles/worker/payout';
import { proxyTransports } from '../../worker-runtime/src/roles/worker/proxyTransports';
import { readKeptVoucher } from '../../worker-runtime/src/roles/worker/keptVoucher';
import { run as runProxyCli } from '../../worker-runtime/src/cli/proxy';
import { SimulatedProvider } from '../../worker-runtime/src/tee';
import { silentLogger } from '../../worker-runtime/src/observability';
import { WorkerAccount, workerAccountFor } from '../../wrappers/WorkerAccount';
import { mlpInputs } from '../proxy/harness';
import { PrivateRedis, RedisSnapshot } from '../fixtures/privateRedis';

jest.setTimeout(180_000);

let redis: PrivateRedis;
let devnet: Devnet;
let client: ChrysalisClient;
let model: string;

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

async function health(): Promise<{ status: number; body: { ok: boolean; error?: string } }> {
    const res = await fetch(`${devnet.proxyUrl}/healthz`);
    return { status: res.status, body: (await res.json()) as { ok: boolean; error?: string } };
}

const seqno = async () => (await devnet.network.proxy.contract.getCommittedState()).seqno;
const worker = () => devnet.workers[0].role;

/** A request body signed now by the devnet client, as an eavesdropper could capture it. */
async function signedBody(validitySeconds: number): Promise<SignedRequest> {
    const c = devnet.network.client;
    const now = await devnet.network.chain.now();
    const request: InferenceRequest = {
        requestId: randomBytes(32).toString('hex'),
        model,
        inputs: mlpInputs(1, 77),
        account: c.account.address.toString(),
        validUntil: now + validitySeconds,
    };
    return signRequest(request, ed25519Signer(c.keyPair.secretKey));
}

async function post(signed: SignedRequest): Promise<{ status: number; body: { error?: string; message?: string } }> {
    const res = await fetch(`${devnet.proxyUrl}/v1/infer`, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
    });
    return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
}

/** `chrysalis proxy recover --voucher <dir>` as the operator runs it (network factory swapped for the sandbox). */
async function recover(vouchers: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const net = devnet.network;
    const code = await runProxyCli(['recover', ...vouchers.flatMap((v) => ['--voucher', v])], {
        env: {
            REDIS_URL: redis.url,
            CHRYSALIS_PREFIX: devnet.prefix,
            CHRYSALIS_PROXY_ADDRESS: net.proxy.contract.address.toString(),
            CHRYSALIS_PROXY_SEED: net.proxy.keyPair.secretKey.subarray(0, 32).toString('hex'),
            CHRYSALIS_WALLET_MNEMONIC: MNEMONIC,
        },
        connect: async () => ({
            chain: net.chain,
            wallet: { address: net.proxy.owner.address, sender: net.proxy.owner.getSender() },
        }),
        out: (t) => (out += t),
        err: (t) => (out += t),
    });
    return { code, out };
}

/** Any valid TON mnemonic: the wallet itself comes from the sandbox. */
let MNEMONIC = '';

/** What the worker's WorkerAccount has been paid on chain. */
async function paidOnChain(): Promise<bigint> {
    const net = devnet.network;
    const account = await workerAccountFor(net.proxy.contract.address, worker().owner, net.proxy.keyPair.publicKey);
    const chain = net.chain;
    if ((await chain.provider(account.address).getState()).state.type !== 'active') return 0n;
    return (await chain.open(WorkerAccount.fromAddress(account.address)).getWorkerData()).paid;
}

beforeAll(async () => {
    MNEMONIC = (await mnemonicNew()).join(' ');
    redis = await PrivateRedis.start({ appendonly: true });
    devnet = await startDevnet({
        workers: 1,
        models: ['tiny-mlp'],
        seed: `faults-${randomBytes(4).toString('hex')}`,
        logLevel: 'silent',
        redisUrl: redis.url,
        proxyConfig: {
            plainHttp: true, // the spec speaks the proxy's HTTP API directly (a test network, opted in)
            allowVolatileRedis: false, // this Redis has an append-only file: the real check runs
            rollbackCheckMs: 100,
            commitEveryRequests: 0,
            commitIntervalMs: 0,
        },
        // Claims only when a spec asks (the threshold is never reached), but the voucher is kept at every look.
        workerConfig: { payoutThreshold: '1000000000000', grantPollMs: 100 },
    });
    client = devnet.client;
    model = devnet.network.models[0].hashHex;
});

afterAll(async () => {
    await devnet?.stop();
    await redis?.stop();
});

test('the proxy refuses a Redis without persistence unless told it is a test network', async () => {
    const volatile = await PrivateRedis.start({ appendonly: false });
    try {
        const net = devnet.network;
        const make = (allowVolatileRedis: boolean) =>
            new ProxyRole({
                chain: net.chain,
                proxyAddress: net.proxy.contract.address,
                proxyKeys: net.proxy.keyPair,
                models: [],
                admission: devnet.admission,
                admissionIntervalMs: 0,
                quoteProvider: new SimulatedProvider({ logger: { warn: () => undefined } }),
                config: {
                    port: 0,
                    redisUrl: volatile.url,
                    prefix: devnet.prefix,
                    allowSimulatedAttestation: true,
                    allowVolatileRedis,
                },
                env: {},
                logger: silentLogger(),
            });
        await expect(make(false).start()).rejects.toThrow(/without persistence \(appendonly no\).*VOLATILE_REDIS/);
        const optedOut = make(true);
        await expect(optedOut.start()).resolves.toHaveProperty('url');
        await optedOut.stop();
        // The command an operator runs says so and exits 2 (a configuration error), before serving anything.
        let said = '';
        const code = await runProxyCli(['start'], {
            env: {
                REDIS_URL: volatile.url,
                CHRYSALIS_PREFIX: devnet.prefix,
                CHRYSALIS_REGISTRY: net.registry.address.toString(),
                CHRYSALIS_PROXY_ADDRESS: net.proxy.contract.address.toString(),
                CHRYSALIS_PROXY_SEED: net.proxy.keyPair.secretKey.subarray(0, 32).toString('hex'),
                CHRYSALIS_PROXY_MODELS: net.models[0].path,
                CHRYSALIS_PROXY_ATTESTATION: 'simulated',
                CHRYSALIS_PROXY_SIMULATED: 'true',
                CHRYSALIS_PROXY_PORT: '0',
                CHRYSALIS_WALLET_MNEMONIC: MNEMONIC,
                LOG_LEVEL: 'silent',
            },
            connect: async () => ({
                chain: net.chain,
                wallet: { address: net.proxy.owner.address, sender: net.proxy.owner.getSender() },
            }),
            err: (t) => (said += t),
            onStarted: () => {
                throw new Error('must not start');
            },
        });
        expect(code).toBe(2);
        expect(said).toMatch(/Redis runs without persistence \(appendonly no\)/);
    } finally {
        await volatile.stop();
    }
});

test('a Redis restarted with its append-only file loses nothing: the proxy serves on and commits', async () => {
    for (let i = 0; i < 3; i++) await client.infer(model, mlpInputs(1, i));
    await devnet.proxy.commitState();
    expect(await seqno()).toBe(1n);
    const before = await client.infer(model, mlpInputs(1, 10));

    await redis.restart();
    await waitFor(async () => (await health()).status === 200, 'the proxy to be healthy again');
    let after: Awaited<ReturnType<ChrysalisClient['infer']>> | undefined;
    await waitFor(async () => {
        after = await client.infer(model, mlpInputs(1, 11));
        return true;
    }, 'a request to be served after the restart');
    expect(BigInt(after!.voucher.cumulative)).toBeGreaterThan(BigInt(before.voucher.cumulative));
    await devnet.proxy.commitState();
    expect(await seqno()).toBe(2n);
    expect(devnet.proxy.service.refusal).toBeNull();
});

let snapshot: RedisSnapshot;
let keptUnits: bigint;
let chargedOnChain: bigint;

test('a rollback while serving is detected, the proxy stops serving and never commits over it', async () => {
    // A snapshot after the last commitment: its commitment record still matches the chain.
    snapshot = await redis.snapshot();
    for (let i = 0; i < 3; i++) await client.infer(model, mlpInputs(1, 20 + i));
    // The client settles on chain, and the worker keeps the voucher the proxy signs for it.
    chargedOnChain = (await client.commitVoucher())!.charged;
    expect((await worker().claimPayout()).claimed).toBe(false);
    const kept = await readKeptVoucher(worker().voucherFile!);
    keptUnits = kept!.cumulative;
    expect(keptUnits).toBeGreaterThan(0n);

    await redis.rollback(snapshot);
    await waitFor(async () => (await health()).status === 503, 'the proxy to notice the rollback', 5000);
    expect((await health()).body.error).toMatch(/Redis has counted \d+ charges but this proxy already made \d+/);
    const refused = (await client.infer(model, mlpInputs(1, 30)).catch((e: unknown) => e)) as ProxyError;
    expect(refused).toBeInstanceOf(ProxyError);
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('state_rolled_back');
    await expect(devnet.proxy.commitState()).rejects.toThrow(/refusing to serve/);
    // The halt is recorded on chain (digest 0: no state is vouched for), so that a restart on this Redis refuses too;
    // the graceful stop commits nothing over the rolled-back counters.
    await waitFor(async () => (await seqno()) === 3n, 'the halt commitment');
    await devnet.restartProxy();
    const committed = await devnet.network.proxy.contract.getCommittedState();
    expect(committed).toMatchObject({ seqno: 3n, digest: 0n });
    expect((await health()).status).toBe(503);
    expect((await health()).body.error).toMatch(/Redis state is at commitment 2 but the chain has 3/);
    // Nor does it sign payout vouchers from the rolled-back counters.
    expect((await fetch(`${devnet.proxyUrl}/v1/payouts/${worker().workerKey}`)).status).toBe(503);
});

test('chrysalis proxy recover rebuilds the counters from the chain and the kept vouchers', async () => {
    // Signed a second before the recovery (the proxy judges by validUntil at 1 s resolution; docs/proxy.md), still
    // valid for an hour.
    const captured = await signedBody(3599);
    await devnet.proxy.stop();
    const { code, out } = await recover([devnet.voucherDir]);
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(/committed seqno 4/);
    expect(await seqno()).toBe(4n);

    await devnet.restartProxy();
    await waitFor(async () => (await health()).status === 200, 'the recovered proxy to be healthy');
    // A replay of a request signed before the recovery is refused; a new request is served.
    const replay = await post(captured);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('signed_before_recovery');
    // The SDK (300 s validity) is told the validUntil it needs and signs again, once.
    const served = await client.infer(model, mlpInputs(1, 40));
    expect(served.voucher).toBeDefined();
    // The client's next voucher starts above what the chain charged, not below.
    expect(BigInt(served.voucher.cumulative)).toBeGreaterThan(chargedOnChain);

    // The worker's new voucher covers what its kept one said plus what it served since, and it is paid for it.
    const net = devnet.network;
    const outcome = await claimPayoutIfDue({
        chain: net.chain,
        redis: devnet.redisClient,
        prefix: devnet.prefix,
        workerKey: worker().workerKey,
        owner: worker().owner,
        proxies: devnet.registryView.proxies(),
        // Asked as a worker asks (a plain-HTTP proxy on a test network, opted in).
        transport: proxyTransports(devnet.registryView, {
            plainHttp: true,
            policy: { logger: { warn: () => undefined } },
        }),
        wallet: { address: net.workers[0].owner.address, sender: net.workers[0].owner.getSender() },
        threshold: 1n,
        value: toNano('0.05'),
    });
    expect(outcome.claimed).toBe(true);
    expect(outcome.cumulative!).toBeGreaterThan(keptUnits);
    expect(await paidOnChain()).toBe(outcome.cumulative);
});

test('a wipe is detected; after the recovery the worker is re-admitted by itself and is paid its kept voucher', async () => {
    for (let i = 0; i < 2; i++) await client.infer(model, mlpInputs(1, 50 + i));
    expect((await worker().claimPayout()).claimed).toBe(false);
    const kept = (await readKeptVoucher(worker().voucherFile!))!.cumulative;
    const paid = await paidOnChain();
    expect(kept).toBeGreaterThan(paid);

    await redis.wipe();
    // (Until the next check, /healthz already says that the model has no admitted worker: the grants went too.)
    await waitFor(
        async () => /Redis was rolled back or wiped/.test((await health()).body.error ?? ''),
        'the proxy to notice the wipe',
        5000,
    );
    expect(devnet.proxy.service.refusal).toMatch(/refusing to serve/);
    // The worker lost its grant and its announcement with the data: it announces itself again.
    await waitFor(async () => worker().currentState === 'demoted', 'the worker to notice its grant is gone');
    await waitFor(
        async () => (await devnet.redisClient.exists(`${devnet.prefix}:workers:${worker().workerKey}`)) === 1,
        'the worker to announce itself again',
    );

    await devnet.proxy.stop();
    const { code, out } = await recover([devnet.voucherDir]);
    expect({ code, out }).toMatchObject({ code: 0 });
    await devnet.restartProxy();
    await waitFor(async () => worker().currentState === 'consuming', 'the worker to be granted again and consume');
    await waitFor(async () => (await health()).status === 200, 'the proxy to be healthy');
    await client.infer(model, mlpInputs(1, 60));
    const voucher = (await (await fetch(`${devnet.proxyUrl}/v1/payouts/${worker().workerKey}`)).json()) as {
        cumulative: string;
    };
    expect(BigInt(voucher.cumulative)).toBeGreaterThan(kept);
});

test('/healthz is 503 with a reason when a served model has no admitted worker', async () => {
    expect((await health()).status).toBe(200);
    await devnet.admission.demote(worker().workerKey, 'spec: no worker left');
    const h = await health();
    expect(h.status).toBe(503);
    expect(h.body.error).toMatch(/no admitted worker for model tiny-mlp/);
});
