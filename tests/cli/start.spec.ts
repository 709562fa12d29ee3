/**
 * `chrysalis proxy start` and `chrysalis worker start` as an operator runs them, on the sandbox network: the
 * commands' own code path with only the network factory (TonChain + wallet) swapped for the sandbox chain and the
 * deployers' wallets, and signals from an emitter instead of the process. Real Redis, real ONNX Runtime, real
 * admission: nobody calls admitPending.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { toNano } from '@ton/core';
import { mnemonicNew } from '@ton/crypto';
import { Redis } from 'ioredis';
import { SandboxContract, TreasuryContract } from '@ton/sandbox';
import { SandboxChain, Wallet } from '../../worker-runtime/src/chain';
import { ChrysalisClient } from '../../worker-runtime/src/client';
import { DevnetNetwork, deployNetwork } from '../../worker-runtime/src/devnet/deployNetwork';
import { generatedModelPath } from '../../worker-runtime/src/inference/catalog';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { run as runProxy, RunningProxy } from '../../worker-runtime/src/cli/proxy';
import { run as runWorker, RunningWorker } from '../../worker-runtime/src/cli/worker';
import { Running, ServeIo } from '../../worker-runtime/src/cli/serve';
import { cleanPrefix, mlpInputs, REDIS_URL, testPrefix } from '../proxy/harness';

jest.setTimeout(120000);

let chain: SandboxChain;
let net: DevnetNetwork;
let redis: Redis;
let mnemonic: string;
const prefix = testPrefix('cli-start');

beforeAll(async () => {
    chain = await SandboxChain.create();
    net = await deployNetwork(chain, {
        workers: 1,
        models: ['tiny-mlp'],
        seed: `cli-${randomBytes(4).toString('hex')}`,
    });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    mnemonic = (await mnemonicNew()).join(' '); // any valid one: the wallet comes from the sandbox
});

afterAll(async () => {
    await cleanPrefix(redis, prefix);
    await redis.quit();
});

/** Starts a command; resolves once it serves, with its exit code to come and a way to send it a signal. */
function launch<R extends Running>(
    run: (argv: string[], io: ServeIo) => Promise<number>,
    env: Record<string, string>,
    wallet: Wallet,
): Promise<{ running: R; signal(name: string): void; exit: Promise<number> }> {
    const signals = new EventEmitter();
    return new Promise((resolve, reject) => {
        const exit = run(['start'], {
            env: { ...env, LOG_LEVEL: 'silent' },
            connect: async () => ({ chain, wallet }),
            signals,
            err: (t) => reject(new Error(t)),
            onStarted: (running) => resolve({ running: running as R, signal: (n) => signals.emit(n, n), exit }),
        });
        exit.then((code) => reject(new Error(`exited with ${code} before serving`)), reject);
    });
}

const owner = (w: SandboxContract<TreasuryContract>): Wallet => ({ address: w.address, sender: w.getSender() });

/** Open handles by kind (sockets, servers, timers, message ports of inference threads). */
function resources(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
    return counts;
}

/** The kinds of which `now` holds more than `before`. */
function grown(before: Map<string, number>, now: Map<string, number>): string[] {
    return [...now].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind, n]) => `${kind} ×${n}`);
}

/** What is still open beyond `before` once closing sockets and timers of a stop have run out (up to 5 s). */
async function leftOpen(before: Map<string, number>): Promise<string[]> {
    for (let waited = 0; waited < 5000; waited += 50) {
        if (grown(before, resources()).length === 0) return [];
        await new Promise((r) => setTimeout(r, 50));
    }
    return grown(before, resources());
}

test('a worker started by its command is admitted by a proxy started by its command, serves, and both stop cleanly', async () => {
    const before = resources();
    const model = net.models[0];
    const key = net.workers[0].keys[0];
    const common = {
        REDIS_URL,
        CHRYSALIS_PREFIX: prefix,
        CHRYSALIS_REGISTRY: net.registry.address.toString(),
        // The shared test Redis runs without persistence; the worker keeps no voucher file in the repository.
        CHRYSALIS_PROXY_VOLATILE_REDIS: 'true',
        CHRYSALIS_WORKER_DATA_DIR: '',
    };

    const proxy = await launch<RunningProxy>(
        runProxy,
        {
            ...common,
            CHRYSALIS_WALLET_MNEMONIC: mnemonic,
            CHRYSALIS_PROXY_PORT: '0',
            CHRYSALIS_PROXY_ADDRESS: net.proxy.contract.address.toString(),
            CHRYSALIS_PROXY_SEED: net.proxy.keyPair.secretKey.subarray(0, 32).toString('hex'),
            CHRYSALIS_PROXY_MODELS: model.path,
            CHRYSALIS_PROXY_ATTESTATION: 'simulated',
            CHRYSALIS_PROXY_SIMULATED: 'true',
            CHRYSALIS_PROXY_ADMISSION_MS: '100',
        },
        owner(net.proxy.owner),
    );
    const worker = await launch<RunningWorker>(
        runWorker,
        {
            ...common,
            CHRYSALIS_WALLET_MNEMONIC: mnemonic,
            CHRYSALIS_MODEL_PATH: model.path,
            CHRYSALIS_ATTESTATION: 'simulated',
            CHRYSALIS_WORKER_SEED: key.keySeed.toString('hex'),
            CHRYSALIS_WORKER_HTTP_HOST: '127.0.0.1',
            CHRYSALIS_WORKER_HTTP_PORT: '0',
            CHRYSALIS_GRANT_POLL_MS: '100',
            CHRYSALIS_PAYOUT_CHECK_MS: '0',
        },
        owner(net.workers[0].owner),
    );
    const workerKey = key.keyPair.publicKey.toString('hex');
    expect(worker.running.role.workerKey).toBe(workerKey);

    // The proxy's own admission loop grants the queue key.
    await worker.running.consuming;
    expect(worker.running.role.currentState).toBe('consuming');
    expect(await proxy.running.admission.admittedWorker(workerKey)).not.toBeNull();

    const client = await ChrysalisClient.connect({
        proxyUrl: proxy.running.url,
        chain,
        proxyAddress: net.proxy.contract.address,
        wallet: { address: net.client.wallet.address, sender: net.client.sender, keyPair: net.client.keyPair },
    });
    const res = await client.infer(model.hashHex, mlpInputs(2, 5));
    expect(res.workerKey).toBe(workerKey);
    expect(res.outputs.logits.dims).toEqual([2, 4]);
    expect(res.tokens).toBe(3);

    expect(grown(before, resources())).not.toEqual([]); // the check below can see what the roles open
    const health = await fetch(`${worker.running.role.httpAddress}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ state: 'consuming', workerKey });
    const metrics = await (await fetch(`${worker.running.role.httpAddress}/metrics`)).text();
    expect(metrics).toMatch(/chrysalis_requests_total\{[^}]*outcome="ok"[^}]*\} 1/);
    // The proxy serves RA-TLS: its health and metrics over the client's verified channel.
    expect(proxy.running.url).toMatch(/^https:/);
    expect((await client.proxy.send({ method: 'GET', path: '/healthz' })).status).toBe(200);
    expect(await (await client.proxy.send({ method: 'GET', path: '/metrics' })).text()).toMatch(/chrysalis_/);

    // Each process follows the registry with a view (and watcher cursor) of its own: a change on chain reaches both.
    expect(await redis.exists(RedisKeys.registryView(prefix))).toBe(0);
    const newModel = BigInt('0x' + 'c0'.repeat(32));
    await net.registry.send(
        net.governance.getSender(),
        { value: toNano('0.05') },
        { $$type: 'AllowModel', queryId: 0n, modelHash: newModel, kind: 1n, name: 'later' },
    );
    const seen = async () =>
        worker.running.role.view.isModelAllowed(newModel) && proxy.running.registryView.isModelAllowed(newModel);
    for (let waited = 0; waited < 10_000 && !(await seen()); waited += 100)
        await new Promise((r) => setTimeout(r, 100));
    expect(await seen()).toBe(true);

    // SIGTERM: the worker withdraws its announcement, the proxy commits its counters; both exit 0.
    worker.signal('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(worker.running.role.currentState).toBe('stopped');
    expect(await redis.exists(RedisKeys.announcement(prefix, workerKey))).toBe(0);
    proxy.signal('SIGINT');
    expect(await proxy.exit).toBe(0);
    const commit = await redis.hgetall(proxyKeys(prefix).commit);
    expect(Number(commit.seqno)).toBeGreaterThan(0);

    // Nothing of theirs is left open: servers, Redis connections, timers, inference threads.
    expect(await leftOpen(before)).toEqual([]);
});

test('a proxy or worker the chain does not back refuses to start (exit 1), saying why, and leaves nothing open', async () => {
    const before = resources();
    const refusals: string[] = [];
    const attempt = (run: (argv: string[], io: ServeIo) => Promise<number>, env: Record<string, string>) =>
        run(['start'], {
            env: {
                REDIS_URL,
                CHRYSALIS_PREFIX: testPrefix('cli-refused'),
                CHRYSALIS_REGISTRY: net.registry.address.toString(),
                CHRYSALIS_WALLET_MNEMONIC: mnemonic,
                LOG_LEVEL: 'silent',
                ...env,
            },
            connect: async () => ({ chain, wallet: owner(net.proxy.owner) }),
            err: (t) => refusals.push(t),
            onStarted: () => {
                throw new Error('must not start');
            },
        });
    const proxyEnv = {
        CHRYSALIS_PROXY_PORT: '0',
        CHRYSALIS_PROXY_ADDRESS: net.proxy.contract.address.toString(),
        CHRYSALIS_PROXY_SEED: net.proxy.keyPair.secretKey.subarray(0, 32).toString('hex'),
        CHRYSALIS_PROXY_MODELS: net.models[0].path,
        CHRYSALIS_PROXY_ATTESTATION: 'simulated',
        CHRYSALIS_PROXY_SIMULATED: 'true',
        CHRYSALIS_PROXY_VOLATILE_REDIS: 'true',
    };
    // A model the registry does not list.
    const unlisted = generatedModelPath('embedding');
    expect(await attempt(runProxy, { ...proxyEnv, CHRYSALIS_PROXY_MODELS: unlisted })).toBe(1);
    expect(refusals.pop()).toMatch(/refused to start: model .*embedding.* is not on the registry/);
    // A key that is not the registered proxy's.
    expect(await attempt(runProxy, { ...proxyEnv, CHRYSALIS_PROXY_SEED: '11'.repeat(32) })).toBe(1);
    expect(refusals.pop()).toMatch(/refused to start: proxy key [0-9a-f]{64} is not registered/);
    // Simulated quotes without CHRYSALIS_PROXY_SIMULATED: a configuration error.
    expect(await attempt(runProxy, { ...proxyEnv, CHRYSALIS_PROXY_SIMULATED: 'false' })).toBe(2);
    expect(refusals.pop()).toMatch(/simulated attestation provider needs CHRYSALIS_PROXY_SIMULATED=true/);
    // A worker key nobody bonded.
    const workerEnv = {
        CHRYSALIS_MODEL_PATH: net.models[0].path,
        CHRYSALIS_ATTESTATION: 'simulated',
        CHRYSALIS_WORKER_SEED: '22'.repeat(32),
        CHRYSALIS_WORKER_HTTP_PORT: '0',
    };
    expect(await attempt(runWorker, workerEnv)).toBe(1);
    expect(refusals.pop()).toMatch(/refused to start \(stake\): worker key [0-9a-f]{64}: .*register it/);
    expect(await leftOpen(before)).toEqual([]);
});
