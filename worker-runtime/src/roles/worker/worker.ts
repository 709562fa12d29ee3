import { Address } from '@ton/core';
import { KeyPair, keyPairFromSeed } from '@ton/crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Chain, RegistryView, Wallet } from '../../chain';
import { generateX25519KeyPair, X25519KeyPair } from '../../crypto';
import { isPermanentError } from '../../errors';
import { InferencePool, loadModel, LoadedModel, ModelNotAllowedError } from '../../inference';
import { Logger, RoleMetrics, silentLogger } from '../../observability';
import { signAnnouncement } from '../../protocol/announcement';
import { writeAnnouncement, renewAnnouncement } from '../../protocol/keyIndex';
import { RedisKeys } from '../../protocol/keys';
import { ANNOUNCEMENT_RENEW_MS, ANNOUNCEMENT_TTL_MS } from '../../protocol/liveness';
import {
    bullQueueName,
    closeRedisClient,
    createRedisClient,
    JobRequest,
    ProcessContext,
    SealedWorker,
} from '../../queue';
import { CancelWatcher } from '../../queue/cancel';
import { createGenerativeProcessor } from './generative';
import { GenerativeModel, isModelFolder, loadGenerativeModel } from './generativeModel';
import { bullConnection } from '../../queue/connection';
import {
    attest,
    AttestationDocument,
    AttestationPolicy,
    createProvider,
    QuoteProvider,
    verifyAttestation,
} from '../../tee';
import { WorkerConfig } from './config';
import { WorkerStartError } from './errors';
import { AcceptedGrant, GrantReader } from './grant';
import { createJobProcessor } from './jobProcessor';
import { claimPayoutIfDue, PayoutClaimOutcome } from './payout';
import { proxyTransports, TransportFor } from './proxyTransports';
import { keepVoucher, readKeptVoucher } from './keptVoucher';
import { startHealthServer } from './server';
import { DEFAULT_REGISTRATION_TIMEOUT_MS, readStake, registerStake, stakeProblem, waitForActiveStake } from './stake';

export interface WorkerRoleDeps {
    config: WorkerConfig;
    chain: Chain;
    /** A registry view to share (tests, the devnet); otherwise the worker follows the registry itself. */
    registryView?: RegistryView;
    /** The quote provider; default `createProvider({kind: config.attestation})`. */
    provider?: QuoteProvider;
    /** The owner's wallet: registers the stake (with `register`) and pays the gas of payout claims. */
    wallet?: Wallet;
    /** Extra policy for the worker's own attestation check (collateral source, accepted TCB statuses). */
    attestationPolicy?: Partial<Omit<AttestationPolicy, 'registry' | 'role'>>;
    logger?: Logger;
}

export type WorkerState = 'announced' | 'consuming' | 'demoted' | 'stopped';

/**
 * The worker role (docs/runtime.md, "A worker joins"): attest, check (or register) the stake, announce, wait for the
 * proxy's grant, and only then consume the model's sealed queue. Every job runs the model in worker threads, and the
 * result carries a receipt signed by the attested worker key. A revoked grant stops consumption (and the worker
 * announces itself again: a grant lost with Redis's data comes back); a new key version swaps the queue key.
 */
export class WorkerRole {
    readonly metrics = new RoleMetrics('worker');
    private state: WorkerState = 'announced';
    private stateDetail = 'waiting for the proxy to grant the queue key';
    private consumer: SealedWorker<unknown, unknown> | null = null;
    private metricsQueue: { queue: Queue; connection: ReturnType<typeof bullConnection> } | null = null;
    private grant: AcceptedGrant | null = null;
    private grantReader: GrantReader | null = null;
    private grantTimer: NodeJS.Timeout | null = null;
    private payoutTimer: NodeJS.Timeout | null = null;
    private heartbeatTimer: NodeJS.Timeout | null = null;
    private transports: TransportFor | null = null;
    private server: FastifyInstance | null = null;
    private stopping = false;
    private cancelWatcher: CancelWatcher | null = null;
    /** Generative workers write their chunk streams on a connection of their own (auto-pipelined). */
    private streamRedis: Redis | null = null;
    private watching: Promise<void> = Promise.resolve();

    private constructor(
        private readonly deps: WorkerRoleDeps,
        private readonly redis: Redis,
        readonly view: RegistryView,
        private readonly ownsView: boolean,
        readonly model: LoadedModel,
        /** Tensor models: the session pool; null for a generative folder. */
        readonly pool: InferencePool | null,
        /** Generative folders: the engine of the model's task. */
        readonly generative: GenerativeModel | null,
        private readonly workerKeyPair: KeyPair,
        private readonly sealing: X25519KeyPair,
        readonly owner: Address,
        readonly attestation: AttestationDocument,
        private readonly log: Logger,
    ) {}

    /**
     * Everything up to the announcement. Throws {@link WorkerStartError} (and leaves nothing running) when the model
     * is not on the registry, the attestation does not pass the registry's policy, or the stake is not Active.
     */
    static async create(deps: WorkerRoleDeps): Promise<WorkerRole> {
        const { config, chain } = deps;
        const log = deps.logger ?? silentLogger();
        const registry = parseAddress(config.registryAddress);
        const workerKeyPair = keyPairFromSeed(workerSeed(config.workerSeed));
        const workerKeyHex = workerKeyPair.publicKey.toString('hex');
        const redis = createRedisClient(config.redisUrl);
        const cleanup: Array<() => Promise<unknown>> = [() => closeRedisClient(redis)];
        try {
            const view =
                deps.registryView ?? (await RegistryView.open({ chain, redis, registry, prefix: config.prefix }));
            if (!deps.registryView) {
                // A view of its own follows the registry (allow-lists, proxy keys) for as long as the worker runs.
                view.start();
                cleanup.push(() => view.stop());
            }

            let model: LoadedModel;
            let generative: GenerativeModel | null = null;
            try {
                if (isModelFolder(config.modelPath)) {
                    // A folder package: served by the engine of its task (chat, embeddings, speech), not as tensors.
                    generative = await loadGenerativeModel(config.modelPath, view, {
                        intraOpThreads: config.intraOpThreads,
                    });
                    cleanup.push(() => generative!.close());
                    model = {
                        path: config.modelPath,
                        bytes: new Uint8Array(0),
                        hash: generative.hash,
                        hashBigInt: BigInt('0x' + generative.hash),
                        inputs: [],
                        outputs: [],
                        kind: generative.kind,
                    };
                } else {
                    model = await loadModel(config.modelPath, view);
                }
            } catch (err) {
                if (err instanceof ModelNotAllowedError) throw new WorkerStartError('model', err.message);
                throw new WorkerStartError('model', `cannot load ${config.modelPath}: ${(err as Error).message}`);
            }

            const provider = deps.provider ?? createProvider({ kind: config.attestation, logger: log });
            const attestation = await attest(provider, workerKeyPair.publicKey);
            const verdict = await verifyAttestation(
                { document: attestation, publicKey: workerKeyPair.publicKey },
                { logger: log, ...deps.attestationPolicy, registry: view, role: 'worker' },
            );
            if (!verdict.valid) {
                throw new WorkerStartError(
                    'attestation',
                    `this worker's attestation fails the registry's policy (${verdict.error.code}): ${verdict.error.message}`,
                );
            }
            const imageHash = BigInt('0x' + verdict.imageHashHex);
            const workerKey = BigInt('0x' + workerKeyHex);

            let stake = await readStake(chain, registry, workerKey);
            if (!stake && config.register) {
                if (!deps.wallet)
                    throw new WorkerStartError('stake', 'CHRYSALIS_REGISTER is set but no owner wallet was given');
                log.info({ workerKey: workerKeyHex }, 'registering the worker key through the owner wallet');
                await registerStake({
                    chain,
                    registry,
                    wallet: deps.wallet,
                    workerKeyPair,
                    modelHash: model.hashBigInt,
                    imageHash,
                    bond: BigInt(config.bondNanoton),
                });
                try {
                    stake = await waitForActiveStake(
                        chain,
                        registry,
                        workerKey,
                        model.hashBigInt,
                        DEFAULT_REGISTRATION_TIMEOUT_MS,
                    );
                } catch (err) {
                    throw new WorkerStartError('stake', `registration did not activate: ${(err as Error).message}`);
                }
            }
            const problem = stakeProblem(stake, model.hashBigInt);
            if (problem) {
                throw new WorkerStartError(
                    'stake',
                    `worker key ${workerKeyHex}: ${problem}; register it (scripts/registerWorker.ts --key ` +
                        `${workerKeyHex} --model ${model.hash} --image ${verdict.imageHashHex}) or start with ` +
                        'CHRYSALIS_REGISTER=true',
                );
            }

            const pool = generative
                ? null
                : await InferencePool.create({
                      model,
                      poolSize: config.poolSize,
                      intraOpThreads: config.intraOpThreads,
                  });
            if (pool) cleanup.push(() => pool.close());
            const sealing = generateX25519KeyPair();
            const role = new WorkerRole(
                deps,
                redis,
                view,
                !deps.registryView,
                model,
                pool,
                generative,
                workerKeyPair,
                sealing,
                stake!.owner,
                attestation,
                log,
            );
            await role.announce();
            role.startHeartbeat();
            if (config.httpEnabled) {
                role.server = await startHealthServer(
                    { health: () => role.health(), metrics: () => role.metricsText() },
                    config.httpHost,
                    config.httpPort,
                );
            }
            return role;
        } catch (err) {
            for (const step of cleanup.reverse()) await step().catch(() => undefined);
            throw err;
        }
    }

    /** create() then consume(): the whole start of a worker process. */
    static async start(deps: WorkerRoleDeps): Promise<WorkerRole> {
        const role = await WorkerRole.create(deps);
        try {
            await role.consume();
        } catch (err) {
            await role.stop();
            throw err;
        }
        return role;
    }

    get workerKey(): string {
        return this.workerKeyPair.publicKey.toString('hex');
    }

    get sealingKey(): string {
        return this.sealing.publicKey.toString('hex');
    }

    /** Where the latest payout voucher is kept (null when CHRYSALIS_WORKER_DATA_DIR is empty). */
    get voucherFile(): string | null {
        const dir = this.deps.config.dataDir;
        return dir ? join(dir, `payout-${this.workerKey}.json`) : null;
    }

    get modelHash(): string {
        return this.model.hash;
    }

    get currentState(): WorkerState {
        return this.state;
    }

    get keyVersion(): number | null {
        return this.grant?.keyVersion ?? null;
    }

    /** The health server's address (e.g. http://127.0.0.1:port), or null when it is disabled. */
    get httpAddress(): string | null {
        const address = this.server?.server.address();
        return address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : null;
    }

    /**
     * Waits for a valid grant (signed by a registered proxy, for this key and model), unwraps the queue key and starts
     * consuming. Throws {@link WorkerStartError} 'grant' after `grantTimeoutMs` (when set) without one.
     */
    async consume(): Promise<void> {
        const { config } = this.deps;
        const deadline = config.grantTimeoutMs > 0 ? Date.now() + config.grantTimeoutMs : Infinity;
        let lastProblem = 'no grant yet';
        while (!this.stopping) {
            const reading = await this.readGrant();
            if (this.stopping) return;
            if (reading.kind === 'granted') {
                await this.startConsumer(reading.grant);
                // stop() came while the consumer was starting: it found none to close, so close it here.
                if (this.stopping) return this.stopConsumer();
                this.scheduleGrantWatch();
                this.schedulePayoutClaims();
                return;
            }
            if (reading.kind === 'invalid' && reading.reason !== lastProblem) {
                this.log.warn({ reason: reading.reason }, 'ignoring an invalid grant');
            }
            lastProblem = reading.kind === 'invalid' ? reading.reason : 'no grant yet';
            if (Date.now() > deadline) {
                throw new WorkerStartError(
                    'grant',
                    `no valid grant from a registered proxy within ${config.grantTimeoutMs} ms (${lastProblem}): ` +
                        'the proxy did not admit this worker (attestation, stake or model refused?)',
                );
            }
            await sleep(config.grantPollMs);
        }
    }

    /** Claims the latest payout voucher now if it is above the threshold (also runs every `payoutCheckMs`). */
    async claimPayout(): Promise<PayoutClaimOutcome> {
        const { config, chain, wallet } = this.deps;
        if (!wallet) return { claimed: false, reason: 'no wallet to send the claim from' };
        const file = this.voucherFile;
        const kept = file ? await readKeptVoucher(file) : null;
        const outcome = await claimPayoutIfDue({
            chain,
            redis: this.redis,
            prefix: config.prefix,
            workerKey: this.workerKey,
            owner: this.owner,
            proxies: this.view.proxies(),
            transport: (this.transports ??= proxyTransports(this.view, {
                plainHttp: config.plainHttp,
                policy: { logger: this.log, ...this.deps.attestationPolicy },
            })),
            wallet,
            threshold: BigInt(config.payoutThreshold),
            value: BigInt(config.payoutValueNanoton),
            kept: kept?.raw,
        });
        if (file && outcome.best && BigInt(outcome.best.cumulative) > (kept?.cumulative ?? -1n)) {
            // With the owner: the proxy counts payouts per owner, and a recovery needs it for an unclaimed voucher.
            await keepVoucher(file, { ...outcome.best, owner: this.owner.toString(), workerKey: this.workerKey });
        }
        if (outcome.claimed) {
            this.metrics.settlements.inc({ kind: 'payout' });
            this.log.info({ cumulative: outcome.cumulative.toString() }, 'payout voucher claimed');
        }
        return outcome;
    }

    health() {
        return {
            state: this.state,
            detail: this.stateDetail,
            workerKey: this.workerKey,
            modelHash: this.modelHash,
            keyVersion: this.keyVersion,
        };
    }

    async metricsText(): Promise<string> {
        const parts = [await this.metrics.registry.metrics()];
        if (this.metricsQueue) parts.push(await this.metricsQueue.queue.exportPrometheusMetrics());
        return parts.join('\n');
    }

    /**
     * Graceful stop: no new jobs; in-flight jobs finish within `shutdownTimeoutMs` or go back to the queue; the
     * announcement is withdrawn so the proxy does not grant a worker that is gone.
     */
    async stop(): Promise<void> {
        if (this.state === 'stopped') return;
        this.stopping = true;
        if (this.grantTimer) clearTimeout(this.grantTimer);
        if (this.payoutTimer) clearInterval(this.payoutTimer);
        if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
        await this.watching;
        await this.stopConsumer();
        await this.redis.del(RedisKeys.announcement(this.deps.config.prefix, this.workerKey)).catch(() => undefined);
        await this.pool?.close();
        await this.generative?.close();
        await this.cancelWatcher?.close();
        if (this.streamRedis) await closeRedisClient(this.streamRedis);
        await this.server?.close();
        if (this.ownsView) await this.view.stop();
        await closeRedisClient(this.redis);
        this.state = 'stopped';
        this.stateDetail = 'stopped';
    }

    // ---------------- internals ----------------

    private async announce(): Promise<void> {
        const signed = signAnnouncement(
            {
                workerKey: this.workerKey,
                sealingKey: this.sealingKey,
                modelHash: this.modelHash,
                owner: this.owner.toString(),
                attestation: this.attestation,
                issuedAt: Math.floor(Date.now() / 1000),
            },
            this.workerKeyPair.secretKey,
        );
        await writeAnnouncement(this.redis, this.deps.config.prefix, signed, ANNOUNCEMENT_TTL_MS);
    }

    /**
     * Renews the announcement's expiry while this worker runs (protocol/liveness.ts): a worker that dies stops, and a
     * proxy started after that does not admit it. A timer of its own, so a key rotation that waits for in-flight jobs
     * does not hold it up; an announcement found gone (a wiped Redis) is written again.
     */
    private startHeartbeat(): void {
        let beating = false;
        this.heartbeatTimer = setInterval(() => {
            if (beating || this.stopping) return;
            beating = true;
            renewAnnouncement(this.redis, this.deps.config.prefix, this.workerKey, ANNOUNCEMENT_TTL_MS)
                .then((renewed) => (!renewed && !this.stopping ? this.announce() : undefined))
                .catch((err) => this.log.warn({ err: (err as Error).message }, 'announcement renewal failed'))
                .finally(() => (beating = false));
        }, ANNOUNCEMENT_RENEW_MS);
        this.heartbeatTimer.unref();
    }

    private readGrant() {
        this.grantReader ??= new GrantReader({
            redis: this.redis,
            prefix: this.deps.config.prefix,
            workerKey: this.workerKey,
            modelHash: this.modelHash,
            sealingPrivateKey: this.sealing.privateKey,
            proxyKeys: () => this.view.proxies().map((p) => p.publicKey),
        });
        return this.grantReader.read();
    }

    private async startConsumer(grant: AcceptedGrant): Promise<void> {
        const { config } = this.deps;
        const queueConfig = {
            redisUrl: config.redisUrl,
            prefix: config.prefix,
            // A chat engine interleaves its requests step by step, so one job at a time would leave it idle between
            // the tokens of one stream while other streams wait in the queue.
            concurrency: this.generative?.kind === 'chat' ? config.chatStreams : config.concurrency,
            lockDurationMs: config.lockDurationMs,
            stalledIntervalMs: config.stalledIntervalMs,
            shutdownTimeoutMs: config.shutdownTimeoutMs,
        };
        const onRun = (ms: number) => this.metrics.inferenceSeconds.observe({ model: this.modelHash }, ms / 1000);
        const process = this.generative
            ? this.generativeProcessor(grant, onRun)
            : (createJobProcessor({
                  pool: this.pool!,
                  modelHash: this.model.hashBigInt,
                  registry: parseAddress(config.registryAddress),
                  workerKey: this.workerKeyPair,
                  onRun,
              }) as (r: JobRequest<unknown>, c: ProcessContext) => Promise<unknown>);
        this.consumer = new SealedWorker<unknown, unknown>({
            modelHash: this.modelHash,
            queueKey: grant.queueKey,
            // BullMQ records this as the job's `processedBy`: the proxy attributes failures and timeouts by it.
            name: this.workerKey,
            config: queueConfig,
            processorAnswersRepeats: this.generative !== null,
            processor: async (request, context) => {
                try {
                    const result = await process(request, context);
                    this.metrics.requests.inc({ model: this.modelHash, outcome: 'ok' });
                    return result;
                } catch (err) {
                    const outcome = isPermanentError(err) ? 'invalid_input' : 'error';
                    this.metrics.requests.inc({ model: this.modelHash, outcome });
                    this.metrics.errors.inc({ kind: (err as Error)?.name ?? 'Error' });
                    this.log.warn({ requestId: context.requestId, err: (err as Error)?.message }, 'job failed');
                    throw err;
                }
            },
        });
        await this.consumer.waitUntilReady();
        if (!this.metricsQueue) {
            const connection = bullConnection(config.redisUrl);
            const queue = new Queue(bullQueueName(this.consumer.modelHash), {
                connection: connection.connection,
                prefix: config.prefix,
            });
            this.metricsQueue = { queue, connection };
        }
        this.grant = grant;
        this.state = 'consuming';
        this.stateDetail = `consuming ${this.consumer.queueName} with key version ${grant.keyVersion}`;
        this.log.info({ keyVersion: grant.keyVersion, queue: this.consumer.queueName }, 'consuming');
    }

    /** Streamed chat, embeddings or speech, each request signed once (roles/worker/generative.ts). */
    private generativeProcessor(grant: AcceptedGrant, onRun: (ms: number) => void) {
        const g = this.generative!;
        this.cancelWatcher ??= new CancelWatcher(this.redis);
        this.streamRedis ??= this.redis.duplicate({ enableAutoPipelining: true });
        const process = createGenerativeProcessor({
            redis: this.redis,
            streamRedis: this.streamRedis,
            prefix: this.deps.config.prefix,
            modelHash: this.modelHash,
            registry: parseAddress(this.deps.config.registryAddress),
            workerKey: this.workerKeyPair,
            queueKey: () => grant.queueKey,
            cancel: this.cancelWatcher,
            chat: g.chat,
            embed: g.embedding,
            transcribe: g.speech,
        });
        return async (request: JobRequest<unknown>, context: ProcessContext) => {
            const started = performance.now();
            const out = await process(request, context);
            onRun(performance.now() - started);
            return out;
        };
    }

    private async stopConsumer(): Promise<void> {
        const consumer = this.consumer;
        this.consumer = null;
        if (consumer) await consumer.close();
        if (this.metricsQueue) {
            await this.metricsQueue.queue.close().catch(() => undefined);
            await this.metricsQueue.connection.close();
            this.metricsQueue = null;
        }
    }

    /**
     * Follows the grant: a new key version → swap the queue key; deleted → stop consuming. A deleted grant is a
     * demotion or Redis losing its data (wiped, rolled back): the worker cannot tell which, so it announces itself
     * again and keeps watching. A demoted worker is never granted again; after a data loss the proxy re-admits it
     * and the worker goes back to consuming by itself.
     */
    private scheduleGrantWatch(): void {
        this.grantTimer = setTimeout(() => {
            this.watching = this.checkGrant()
                .catch((err) => this.log.warn({ err: (err as Error).message }, 'grant check failed'))
                .finally(() => {
                    if (!this.stopping) this.scheduleGrantWatch();
                });
        }, this.deps.config.grantPollMs);
    }

    private async checkGrant(): Promise<void> {
        if (this.stopping) return;
        const reading = await this.readGrant();
        if (this.stopping) return;
        if (reading.kind === 'granted') {
            if (this.consumer && reading.grant.keyVersion === this.grant?.keyVersion) return;
            this.log.info(
                { keyVersion: reading.grant.keyVersion },
                this.consumer ? 'queue key rotated: switching' : 'granted again: consuming',
            );
            await this.stopConsumer();
            await this.startConsumer(reading.grant);
            if (this.stopping) await this.stopConsumer();
            return;
        }
        if (reading.kind !== 'none') return;
        if (this.consumer) {
            await this.stopConsumer();
            this.grant = null;
            this.state = 'demoted';
            this.stateDetail =
                "the proxy's grant is gone (demoted, or Redis lost it): not consuming; announced again, waiting for a grant";
            this.log.warn('grant gone: stopped consuming, announcing again');
            await this.announce();
            return;
        }
        // Waiting for a grant: if the announcement vanished too (a wiped Redis), the proxy cannot see this worker.
        const key = RedisKeys.announcement(this.deps.config.prefix, this.workerKey);
        if ((await this.redis.exists(key)) === 0) await this.announce();
    }

    private schedulePayoutClaims(): void {
        const { payoutCheckMs } = this.deps.config;
        if (payoutCheckMs <= 0 || !this.deps.wallet || this.payoutTimer) return;
        this.payoutTimer = setInterval(() => {
            this.claimPayout().catch((err) => this.log.warn({ err: (err as Error).message }, 'payout claim failed'));
        }, payoutCheckMs);
        this.payoutTimer.unref();
    }
}

function workerSeed(hex: string): Buffer {
    if (hex === '') return randomBytes(32);
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
        throw new WorkerStartError('config', 'CHRYSALIS_WORKER_SEED must be 64 hex characters (32 bytes)');
    }
    return Buffer.from(hex, 'hex');
}

function parseAddress(text: string): Address {
    try {
        return Address.parse(text);
    } catch {
        throw new WorkerStartError('config', `CHRYSALIS_REGISTRY is not a TON address: '${text}'`);
    }
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
