/**
 * A whole network for the proxy and client specs: the devnet's contracts on a sandbox chain (registry, Proxy, worker
 * stakes, a client wallet and its ClientAccount), real Redis under a private prefix, real sealed queues, real ONNX
 * Runtime in the workers, and the proxy role listening on a free port.
 */
import { Address, toNano } from '@ton/core';
import { ChrysalisClient, ChrysalisClientOptions } from '../../worker-runtime/src/client';
import { ClientWallet, deployClientWallet } from '../../worker-runtime/src/devnet/clientWallet';
import { devnetKeyPair } from '../../worker-runtime/src/devnet/keys';
import { Redis } from 'ioredis';
import { SandboxChain } from '../../worker-runtime/src/chain';
import { DevnetNetwork, deployNetwork } from '../../worker-runtime/src/devnet/deployNetwork';
import { InferencePool, loadModel, staticModelRegistry, JsonTensorMap } from '../../worker-runtime/src/inference';
import { silentLogger } from '../../worker-runtime/src/observability';
import { createQueueKey, SealedWorker, JobRequest, ProcessContext } from '../../worker-runtime/src/queue';
import { createJobProcessor, WorkerJobResult } from '../../worker-runtime/src/roles/worker/jobProcessor';
import {
    ProxyConfig,
    ProxyRole,
    ServedModel,
    WorkerAdmissionPort,
    AdmittedWorker,
} from '../../worker-runtime/src/roles/proxy';
import { attest, createProvider } from '../../worker-runtime/src/tee';
import { signAnnouncement } from '../../worker-runtime/src/protocol/announcement';
import { RedisKeys } from '../../worker-runtime/src/protocol/keys';
import { writeAnnouncement } from '../../worker-runtime/src/protocol/keyIndex';
import { TransientError } from '../../worker-runtime/src/errors';

export { REDIS_URL } from '../fixtures/redis';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../fixtures/redis';

export const testPrefix = uniquePrefix;

/** Deletes every key under `prefix` (only this spec's keys). */
export const cleanPrefix = deleteKeysUnder;

/** Admission as the proxy sees it, for specs that run workers without the admission role: one key per model. */
export class SpecAdmission implements WorkerAdmissionPort {
    private keys = new Map<string, { key: Buffer; version: number }>();
    readonly admitted = new Map<string, AdmittedWorker>();
    readonly demoted: string[] = [];
    onRotate: (modelHash: string) => Promise<void> = async () => undefined;

    async queueKey(modelHash: string) {
        let k = this.keys.get(modelHash);
        if (!k) {
            k = { key: createQueueKey(), version: 1 };
            this.keys.set(modelHash, k);
        }
        return k;
    }
    async admittedWorker(workerKey: string) {
        return this.admitted.get(workerKey) ?? null;
    }
    async liveWorkers(modelHash: string) {
        return [...this.admitted.values()].filter((w) => w.modelHash === modelHash).length;
    }
    async demote(workerKey: string): Promise<void> {
        const w = this.admitted.get(workerKey);
        if (!w) return;
        this.admitted.delete(workerKey);
        this.demoted.push(workerKey);
        const old = await this.queueKey(w.modelHash);
        this.keys.set(w.modelHash, { key: createQueueKey(), version: old.version + 1 });
        await this.onRotate(w.modelHash);
    }
}

export type Behaviour = 'good' | 'failing' | 'hanging' | 'slow';

/** A worker consuming the sealed queue with the worker role's job processor (or a broken variant of it). */
export class SpecWorker {
    consumer: SealedWorker<unknown, WorkerJobResult> | null = null;
    jobs = 0;
    constructor(
        readonly workerKey: string,
        private readonly process: (r: JobRequest<unknown>, c: ProcessContext) => Promise<WorkerJobResult>,
        private readonly modelHash: string,
        private readonly prefix: string,
    ) {}

    async start(queueKey: Buffer): Promise<void> {
        await this.stop();
        this.consumer = new SealedWorker<unknown, WorkerJobResult>({
            modelHash: this.modelHash,
            queueKey,
            name: this.workerKey,
            processor: async (r, c) => {
                this.jobs++;
                return this.process(r, c);
            },
            config: { redisUrl: REDIS_URL, prefix: this.prefix, stalledIntervalMs: 1000, lockDurationMs: 5000 },
        });
        await this.consumer.worker.waitUntilReady();
    }

    async stop(): Promise<void> {
        const c = this.consumer;
        this.consumer = null;
        if (c) await c.close(200);
    }
}

export interface Harness {
    net: DevnetNetwork;
    chain: SandboxChain;
    prefix: string;
    redis: Redis;
    admission: SpecAdmission;
    model: ServedModel;
    workers: SpecWorker[];
    pool: InferencePool;
    proxy: ProxyRole;
    url: string;
    startProxy(config?: Partial<ProxyConfig>): Promise<void>;
    close(): Promise<void>;
}

export async function createHarness(opts: {
    area: string;
    behaviours?: Behaviour[];
    proxyConfig?: Partial<ProxyConfig>;
    network?: Parameters<typeof deployNetwork>[1];
    /** How long a 'slow' worker takes per job (default 400 ms). */
    slowMs?: number;
}): Promise<Harness> {
    const chain = await SandboxChain.create();
    const behaviours = opts.behaviours ?? ['good'];
    const net = await deployNetwork(chain, { workers: behaviours.length, models: ['tiny-mlp'], ...opts.network });
    const dm = net.models[0];
    const loaded = await loadModel(dm.path, staticModelRegistry([dm.hash]), { kind: dm.kind });
    const model: ServedModel = {
        hash: dm.hashHex,
        name: dm.name,
        kind: dm.kind,
        inputs: loaded.inputs,
        outputs: loaded.outputs,
    };
    const pool = await InferencePool.create({ model: loaded, poolSize: 1 });
    const prefix = testPrefix(opts.area);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const admission = new SpecAdmission();
    const workers = net.workers.map((w, i) => {
        const key = w.keys[0];
        const workerKey = key.keyPair.publicKey.toString('hex');
        admission.admitted.set(workerKey, { workerKey, owner: w.owner.address, modelHash: dm.hashHex });
        const good = createJobProcessor({
            pool,
            modelHash: dm.hash,
            registry: net.registry.address,
            workerKey: key.keyPair,
        });
        const behaviour = behaviours[i];
        const process =
            behaviour === 'good'
                ? good
                : behaviour === 'slow'
                  ? async (r: JobRequest<unknown>, c: ProcessContext) => {
                        await new Promise((resolve) => setTimeout(resolve, opts.slowMs ?? 400));
                        return good(r, c);
                    }
                  : behaviour === 'failing'
                    ? async () => {
                          throw new TransientError('simulated GPU fault');
                      }
                    : async (_r: JobRequest<unknown>, c: ProcessContext) => {
                          // Hangs until the worker is closed (which aborts its in-flight jobs).
                          await new Promise((resolve) => {
                              const timer = setTimeout(resolve, 30000);
                              c.signal?.addEventListener('abort', () => {
                                  clearTimeout(timer);
                                  resolve(undefined);
                              });
                          });
                          return good(_r, c);
                      };
        return new SpecWorker(workerKey, process, dm.hashHex, prefix);
    });
    // On a rotation, every worker still admitted gets the new key; a demoted one keeps consuming nothing.
    admission.onRotate = async (modelHash) => {
        const { key } = await admission.queueKey(modelHash);
        for (const w of workers) {
            if (admission.admitted.has(w.workerKey)) await w.start(key);
            else await w.stop();
        }
    };
    const { key } = await admission.queueKey(dm.hashHex);
    for (const w of workers) await w.start(key);
    // Each worker announces itself as the worker role does (simulated attestation of its key), so that clients can
    // check receipts' keys against the registry (client/workerTrust.ts).
    const provider = createProvider({ kind: 'simulated', logger: { warn: () => undefined } });
    for (const [i, w] of net.workers.entries()) {
        const kp = w.keys[0].keyPair;
        const signed = signAnnouncement(
            {
                workerKey: kp.publicKey.toString('hex'),
                sealingKey: '00'.repeat(32),
                modelHash: dm.hashHex,
                owner: w.owner.address.toString(),
                attestation: await attest(provider, kp.publicKey),
                issuedAt: Math.floor(Date.now() / 1000),
            },
            kp.secretKey,
        );
        await writeAnnouncement(redis, prefix, signed);
    }

    const h: Harness = {
        net,
        chain,
        prefix,
        redis,
        admission,
        model,
        workers,
        pool,
        proxy: undefined as unknown as ProxyRole,
        url: '',
        async startProxy(config = {}) {
            h.proxy = new ProxyRole({
                chain,
                proxyAddress: net.proxy.contract.address,
                proxyKeys: net.proxy.keyPair,
                wallet: { address: net.proxy.owner.address, sender: net.proxy.owner.getSender() },
                models: [model],
                admission,
                quoteProvider: createProvider({ kind: 'simulated', logger: { warn: () => undefined } }),
                config: {
                    port: 0,
                    redisUrl: REDIS_URL,
                    prefix,
                    commitIntervalMs: 0,
                    commitEveryRequests: 0,
                    accountCacheMs: 0,
                    allowSimulatedAttestation: true,
                    // The API specs talk plain HTTP (a test network, opted in); tests/transport serves RA-TLS.
                    plainHttp: true,
                    allowVolatileRedis: true, // the shared test Redis has no AOF; the fault specs use their own
                    rollbackCheckMs: 0, // checked at start and before each commitment; the fault specs turn it on
                    ...opts.proxyConfig,
                    ...config,
                },
                env: {},
                logger: silentLogger(),
                payoutFlushMs: 0, // payout vouchers only when asked or flushed, so specs see exactly when
            });
            h.url = (await h.proxy.start()).url;
        },
        async close() {
            await h.proxy?.stop();
            for (const w of workers) await w.stop();
            await pool.close();
            await cleanPrefix(redis, prefix);
            await redis.quit();
        },
    };
    await h.startProxy();
    return h;
}

/** A tiny-mlp input: `rows` rows of 16 features. */
export function mlpInputs(rows = 1, seed = 1): JsonTensorMap {
    const data: number[] = [];
    for (let i = 0; i < rows * 16; i++) data.push(Math.sin(seed * 31 + i) * 2);
    return { features: { type: 'float32', dims: [rows, 16], data } };
}

export { Address };

/** A second client: a real wallet (so the proxy can read its key) and, unless `open` is false, a ClientAccount. */
export async function newClient(
    h: Harness,
    label: string,
    opts: { stake?: bigint; deposit?: bigint; open?: boolean } = {},
): Promise<{ client: ChrysalisClient; wallet: ClientWallet }> {
    const funder = await h.chain.blockchain.treasury(`${label}:faucet`);
    const wallet = await deployClientWallet(h.chain.blockchain, funder, devnetKeyPair(h.prefix, label), toNano('50'));
    const client = await ChrysalisClient.connect({
        proxyUrl: h.url,
        chain: h.chain,
        proxyAddress: h.net.proxy.contract.address,
        wallet: { address: wallet.wallet.address, sender: wallet.sender, keyPair: wallet.keyPair },
        allowPlainHttp: true,
        attestationPolicy: { logger: { warn: () => undefined } },
    });
    if (opts.open !== false) {
        await client.openAccount(opts.stake ?? h.net.params.minClientStake, opts.deposit ?? toNano('5'));
    }
    return { client, wallet };
}

/** The devnet's own client (wallet and funded account) as an SDK client. */
export function devnetClient(h: Harness, extra: Partial<ChrysalisClientOptions> = {}): Promise<ChrysalisClient> {
    const c = h.net.client;
    return ChrysalisClient.connect({
        proxyUrl: h.url,
        chain: h.chain,
        proxyAddress: h.net.proxy.contract.address,
        wallet: { address: c.wallet.address, sender: c.sender, keyPair: c.keyPair },
        attestationPolicy: { logger: { warn: () => undefined } },
        allowPlainHttp: true,
        ...extra,
    });
}
