/**
 * Starts the whole devnet in one process: Redis, the sandbox chain and its contracts, the registry view, worker
 * admission, the proxy's HTTP API and one worker role per (operator, model), all with simulated attestation; then
 * hands back the demo client. The sandbox chain lives in memory, so every role must share this process.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { SandboxChain } from '../chain/sandboxChain';
import { RegistryView } from '../chain/registryView';
import { Wallet } from '../chain/chain';
import { ChrysalisClient } from '../client';
import { readSignature } from '../inference/modelFile';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../observability';
import { closeRedisClient, createRedisClient, deleteKeysUnder } from '../queue';
import { WorkerAdmission } from '../roles/admission';
import { ProxyConfig, ProxyRole, ServedModel } from '../roles/proxy';
import { generativeServedModel } from '../roles/proxy/generative/models';
import { GenerativeTask } from '../roles/proxy/generative/metering';
import { readWorkerConfig, WorkerConfig } from '../roles/worker/config';
import { WorkerRole } from '../roles/worker/worker';
import { SimulatedProvider } from '../tee';
import { deployNetwork, DeployNetworkOptions, DevnetNetwork, DevnetWorkerKey } from './deployNetwork';
import { DevnetRedis, ensureRedis, freePort } from './redis';
import { RedisKeys, StoredPayoutVoucher } from '../protocol/keys';
import { workerEnv } from './processes/roleEnv';

export interface StartDevnetOptions extends DeployNetworkOptions {
    /** Port of the proxy's HTTP API (0 = any free port). */
    port?: number;
    host?: string;
    /** Log level of the roles' own (pino) logs; default LOG_LEVEL or 'error' (the devnet prints its own progress). */
    logLevel?: string;
    /** Tells what is happening while the network starts. */
    onStep?: (message: string) => void;
    /** The Redis to use (default: REDIS_URL, else 127.0.0.1:6379, else a private one). */
    redisUrl?: string;
    /** Proxy settings over the devnet's own (the fault specs turn the persistence check and rollback checks on; the
     * generative spec shortens stream timeouts and limits). */
    proxyConfig?: Partial<ProxyConfig>;
    /** Worker settings over the devnet's own. */
    workerConfig?: Partial<WorkerConfig>;
}

export interface RunningWorker {
    operator: number;
    key: DevnetWorkerKey;
    role: WorkerRole;
}

export interface Devnet {
    network: DevnetNetwork;
    redis: DevnetRedis;
    /** Redis key prefix of this run (unique, removed on stop). */
    prefix: string;
    /** A connection of the devnet's own (registry view, admission, reading payout vouchers). */
    redisClient: Redis;
    registryView: RegistryView;
    admission: WorkerAdmission;
    proxy: ProxyRole;
    proxyUrl: string;
    workers: RunningWorker[];
    client: ChrysalisClient;
    /** Where the workers keep their latest payout vouchers. */
    voucherDir: string;
    /** The proxy stores every worker's latest payout voucher; each operator claims its highest one. */
    settlePayouts(): Promise<void>;
    /** Stops the proxy (a graceful stop) and starts a new one on the same port, Redis and admission. */
    restartProxy(): Promise<ProxyRole>;
    stop(): Promise<void>;
}

/** How often the proxy looks for new worker announcements, and the sandbox clock follows the wall clock. */
const ADMISSION_POLL_MS = 100;
const CLOCK_TICK_MS = 1000;
/** Simulated quotes warn on every use; the devnet says it once, in its own output. */
const QUIET = { warn: () => undefined };

export async function startDevnet(options: StartDevnetOptions = {}): Promise<Devnet> {
    const step = options.onStep ?? (() => undefined);
    const logLevel = options.logLevel ?? process.env.LOG_LEVEL ?? 'error';
    const stops: Array<() => Promise<unknown>> = [];
    const stopAll = async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        stops.length = 0;
    };
    try {
        const redis = await ensureRedis(options.redisUrl ? { env: { REDIS_URL: options.redisUrl } } : {});
        stops.push(() => redis.stop());
        step(`redis: ${redis.url} (${redis.source})`);

        // The registry lists the proxy's endpoint, so the port is chosen before the deployment.
        const host = options.host ?? '127.0.0.1';
        const port = options.port || (await freePort());
        const chain = await SandboxChain.create();
        // RA-TLS with the simulated attestation (a test network accepts it), unless the caller opted into plain HTTP.
        const plainHttp = options.proxyConfig?.plainHttp === true;
        const scheme = plainHttp ? 'http' : 'https';
        const network = await deployNetwork(chain, { proxyEndpoint: `${scheme}://${host}:${port}`, ...options });
        step(
            `chain: registry ${network.registry.address.toString()}, proxy ${network.proxy.contract.address.toString()}, ` +
                `${network.workers.length} workers × ${network.models.length} models, client account ` +
                network.client.account.address.toString(),
        );
        // Requests and vouchers carry wall-clock validity: keep the sandbox's clock with it.
        const clock = setInterval(() => {
            const now = Math.floor(Date.now() / 1000);
            if ((chain.blockchain.now ?? 0) < now) chain.blockchain.now = now;
        }, CLOCK_TICK_MS);
        clock.unref();
        stops.push(async () => clearInterval(clock));

        const prefix = `chrysalis-devnet:${randomBytes(4).toString('hex')}`;
        const control = createRedisClient(redis.url);
        stops.push(() => deleteKeysUnder(control, prefix).finally(() => closeRedisClient(control)));
        const registryView = await RegistryView.open({
            chain,
            redis: control,
            registry: network.registry.address,
            prefix,
        });
        stops.push(() => registryView.stop());

        const admission = await WorkerAdmission.create({
            redis: control,
            chain,
            registryView,
            prefix,
            proxyKeyPair: network.proxy.keyPair,
            policy: { logger: QUIET },
        });
        const proxyWallet: Wallet = { address: network.proxy.owner.address, sender: network.proxy.owner.getSender() };
        const models = await servedModels(network);
        const newProxy = () =>
            new ProxyRole({
                chain,
                proxyAddress: network.proxy.contract.address,
                proxyKeys: network.proxy.keyPair,
                wallet: proxyWallet,
                models,
                admission,
                admissionIntervalMs: ADMISSION_POLL_MS,
                quoteProvider: new SimulatedProvider({ logger: QUIET }),
                config: {
                    host,
                    port,
                    redisUrl: redis.url,
                    prefix,
                    allowSimulatedAttestation: true,
                    // The devnet's Redis is the shared local one or a private one without persistence: its ledger is
                    // thrown away at the end anyway (docs/devnet.md).
                    allowVolatileRedis: true,
                    ...options.proxyConfig,
                },
                logger: createLogger('proxy', logLevel),
            });
        let proxy = newProxy();
        const { url: proxyUrl } = await proxy.start();
        stops.push(() => proxy.stop());
        step(`proxy: ${proxyUrl}`);

        // The workers keep their payout vouchers here (CHRYSALIS_WORKER_DATA_DIR); removed with the devnet.
        const voucherDir = mkdtempSync(join(tmpdir(), 'chrysalis-devnet-'));
        stops.push(async () => rmSync(voucherDir, { recursive: true, force: true }));
        const workers = await startWorkers(network, chain, registryView, redis.url, prefix, logLevel, {
            dataDir: voucherDir,
            // A plain-HTTP proxy (a test network, opted in) is asked for payout vouchers in plain HTTP too.
            plainHttp,
            ...options.workerConfig,
        });
        // Stopped before the proxy (registered later, stopped earlier): in-flight jobs finish first.
        stops.push(async () => {
            for (const w of workers) await w.role.stop().catch(() => undefined);
        });
        step(
            `workers: ${workers.length} consuming (simulated TEE: software-signed quotes, no TEE protection), ${network.models.map((m) => m.name).join(', ')}`,
        );

        const client = await ChrysalisClient.connect({
            proxyUrl,
            chain,
            allowPlainHttp: plainHttp,
            proxyAddress: network.proxy.contract.address,
            wallet: {
                address: network.client.wallet.address,
                sender: network.client.sender,
                keyPair: network.client.keyPair,
            },
        });
        return {
            network,
            redis,
            prefix,
            redisClient: control,
            registryView,
            admission,
            get proxy() {
                return proxy;
            },
            proxyUrl,
            workers,
            client,
            voucherDir,
            async settlePayouts() {
                // The proxy signs payout vouchers lazily: store the latest of every worker that served first.
                await proxy.flushPayouts();
                for (const operator of network.workers) {
                    const roles = workers.filter((w) => w.operator === operator.index);
                    // Cumulative per operator: claim the highest one (the others are then below the threshold).
                    const withCumulative = await Promise.all(
                        roles.map(async (w) => ({
                            w,
                            cumulative: await storedPayout(control, prefix, w.role.workerKey),
                        })),
                    );
                    withCumulative.sort((a, b) =>
                        a.cumulative > b.cumulative ? -1 : a.cumulative < b.cumulative ? 1 : 0,
                    );
                    for (const { w, cumulative } of withCumulative) if (cumulative > 0n) await w.role.claimPayout();
                }
            },
            async restartProxy() {
                await proxy.stop();
                proxy = newProxy();
                await proxy.start();
                return proxy;
            },
            stop: stopAll,
        };
    } catch (err) {
        await stopAll();
        throw err;
    }
}

/** The cumulative units of the payout voucher the proxy last stored for a worker key (0 when none). */
export async function storedPayout(redis: Redis, prefix: string, workerKey: string): Promise<bigint> {
    const raw = await redis.get(RedisKeys.payout(prefix, workerKey));
    if (raw === null) return 0n;
    return BigInt((JSON.parse(raw) as StoredPayoutVoucher).cumulative);
}

/** What the proxy serves: each model with the inputs and outputs it declares (read once with ONNX Runtime). */
export async function servedModels(network: DevnetNetwork): Promise<ServedModel[]> {
    const served: ServedModel[] = [];
    for (const m of network.models) {
        if (m.package) {
            served.push(generativeServedModel(m.path, m.name, m.kind as GenerativeTask));
            continue;
        }
        const { inputs, outputs } = await readSignature(new Uint8Array(readFileSync(m.path)));
        served.push({ hash: m.hashHex, name: m.name, kind: m.kind, inputs, outputs });
    }
    return served;
}

async function startWorkers(
    network: DevnetNetwork,
    chain: SandboxChain,
    registryView: RegistryView,
    redisUrl: string,
    prefix: string,
    logLevel: string,
    workerConfig: Partial<WorkerConfig>,
): Promise<RunningWorker[]> {
    const started = await Promise.allSettled(
        network.workers.flatMap((operator) =>
            operator.keys.map(async (key): Promise<RunningWorker> => {
                // The settings `--processes` gives `chrysalis worker start` (processes/roleEnv.ts), read the same way.
                const config = readWorkerConfig(
                    {
                        REDIS_URL: redisUrl,
                        CHRYSALIS_PREFIX: prefix,
                        CHRYSALIS_REGISTRY: network.registry.address.toString(),
                        ...workerEnv({
                            modelPath: key.model.path,
                            workerSeed: key.keySeed.toString('hex'),
                            dataDir: workerConfig.dataDir ?? '',
                        }),
                    },
                    workerConfig,
                );
                const role = await WorkerRole.start({
                    config,
                    chain,
                    registryView,
                    provider: new SimulatedProvider({ logger: QUIET }),
                    attestationPolicy: { logger: QUIET },
                    wallet: { address: operator.owner.address, sender: operator.owner.getSender() },
                    logger: createLogger(`worker-${operator.index}-${key.model.name}`, logLevel),
                });
                return { operator: operator.index, key, role };
            }),
        ),
    );
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
        for (const w of workers) await w.role.stop().catch(() => undefined);
        throw failed.reason;
    }
    return workers;
}
