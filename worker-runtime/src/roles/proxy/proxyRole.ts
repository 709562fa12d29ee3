/**
 * The proxy role: composes the chain, Redis, admission, the sealed queues and the HTTP API into one process.
 *
 *   const proxy = new ProxyRole({ chain, proxyAddress, proxyKeys, wallet, models, admission, quoteProvider });
 *   const { url } = await proxy.start();     // checks Redis's persistence and its state against the chain first
 *   ...
 *   await proxy.stop();                      // commits the counters (unless Redis failed its check), closes
 *   await proxy.requestClose();              // settles charges, publishes payout vouchers, then RequestProxyClose
 */
import { Address } from '@ton/core';
import { KeyPair } from '@ton/crypto';
import { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Chain, Wallet } from '../../chain';
import { ConfigError } from '../../errors';
import { createLogger, Logger, RoleMetrics } from '../../observability';
import { closeRedisClient, createRedisClient } from '../../queue';
import { QuoteProvider } from '../../tee';
import { AdmissionDriver, AdmissionLoop } from '../admission/loop';
import { Proxy } from '../../../../wrappers/Proxy';
import { ClientAccounts } from './accounts';
import { ProxyConfig, readProxyConfig } from './config';
import { UsageCounters } from './counters';
import { Dispatcher } from './dispatcher';
import { ReputationBook } from './reputation';
import { maxBodyBytes } from './limits';
import { Reservations } from './reservations';
import { buildServer } from './server';
import { PayoutVouchers } from './payouts';
import { InferenceService, ServedModel } from './service';
import { CloseOutcome, ProxyCloseError, settleAndRequestClose } from './close';
import { Commitment, StateCommitter, StateRolledBackError } from './stateCommit';
import { CommitterLock } from './committerLock';
import { checkPersistence } from './persistence';
import { VoucherSigner } from './vouchers';
import { GenerativeService } from './generative/service';
import { WorkerAdmissionPort } from './workers';
import { SealedRecords } from './records';
import { createRaTlsCertificate, RaTlsCertificate } from '../../ratls/certificate';
import { deriveTlsKey, TlsKey } from '../../ratls/tlsKey';

export interface ProxyRoleOptions {
    chain: Chain;
    /** The deployed, active Proxy contract of this proxy. */
    proxyAddress: Address;
    /** The proxy's Ed25519 key pair (64-byte secret key); must be the key the Proxy contract holds. */
    proxyKeys: KeyPair;
    /** Sends CommitState; without it the proxy serves but never commits (tests of the API alone). */
    wallet?: Wallet;
    models: ServedModel[];
    /** With `admitPending` (WorkerAdmission), the proxy admits announced workers itself, every `admissionIntervalMs`. */
    admission: WorkerAdmissionPort & Partial<AdmissionDriver>;
    /** Default 1000; 0 = never (the caller admits workers). */
    admissionIntervalMs?: number;
    /** How often admitted workers' stakes are re-read (unbonding → demoted). Default 60000; 0 = never. */
    revalidateIntervalMs?: number;
    /**
     * How often the payout vouchers of workers that served are signed and stored in Redis (their fallback when they
     * cannot ask `GET /v1/payouts/:workerKey`). Default 10000; 0 = only on demand and at stop.
     */
    payoutFlushMs?: number;
    /** Quotes the RA-TLS certificate's key (and answers /v1/attestation). Needed unless `plainHttp`. */
    quoteProvider?: QuoteProvider;
    /** The TLS key; default derived from the proxy seed (ratls/tlsKey.ts), so a restart keeps the clients' pins. */
    tlsKey?: TlsKey;
    config?: Partial<ProxyConfig>;
    env?: Record<string, string | undefined>;
    logger?: Logger;
}

export class ProxyRole {
    readonly config: ProxyConfig;
    readonly metrics = new RoleMetrics('proxy');
    readonly reputation: ReputationBook;
    readonly logger: Logger;
    service!: InferenceService;
    generative!: GenerativeService;
    app!: FastifyInstance;
    counters!: UsageCounters;
    committer!: StateCommitter;
    /** Elects the one instance (of those serving this proxy identity) that commits. */
    lock!: CommitterLock;
    private electionTimer?: NodeJS.Timeout;
    /** Set by halt(): unlike a close (also a refusal), a halted instance gives up the committer lock. */
    private halted = false;
    payouts!: PayoutVouchers;
    /** The RA-TLS certificate served (null with plain HTTP). */
    tlsCertificate: RaTlsCertificate | null = null;
    private redis!: Redis;
    private signer!: VoucherSigner;
    /** The model queues (read-only use outside: queue waits, metrics). */
    dispatcher!: Dispatcher;
    private commitChain: Promise<unknown> = Promise.resolve();
    private timer?: NodeJS.Timeout;
    private checkTimer?: NodeJS.Timeout;
    private accounts?: ClientAccounts;
    private stopped = false;
    private payoutTimer?: NodeJS.Timeout;
    private admissionLoop?: AdmissionLoop;

    constructor(private readonly options: ProxyRoleOptions) {
        this.config = readProxyConfig(options.env ?? process.env, options.config ?? {});
        this.logger = options.logger ?? createLogger('proxy');
        this.reputation = new ReputationBook({
            minSuccessRate: this.config.reputationMinSuccessRate,
            minSamples: this.config.reputationMinSamples,
            window: this.config.reputationWindow,
        });
    }

    /** Reads the Proxy contract, checks Redis against its commitment, then listens. Returns the base URL. */
    async start(): Promise<{ url: string }> {
        const { chain, proxyAddress, proxyKeys } = this.options;
        const contract = chain.open(Proxy.fromAddress(proxyAddress));
        const [data, params, proxyConfig] = await Promise.all([
            contract.getProxyData(),
            contract.getNetworkParams(),
            contract.getProxyConfig(),
        ]);
        if (data.publicKey !== BigInt('0x' + proxyKeys.publicKey.toString('hex'))) {
            throw new ConfigError(
                `the Proxy contract at ${proxyAddress.toString()} holds another public key than this proxy's`,
            );
        }
        const provider = this.options.quoteProvider;
        if (provider?.kind === 'simulated' && !(this.config.allowSimulatedAttestation && params.isTestNetwork)) {
            throw new ConfigError(
                'a simulated attestation provider needs CHRYSALIS_PROXY_SIMULATED=true and a test network ' +
                    '(its quotes carry no TEE protection)',
            );
        }
        if (this.config.plainHttp) {
            if (!params.isTestNetwork) {
                throw new ConfigError(
                    'CHRYSALIS_PROXY_PLAIN_HTTP is refused: the registry does not mark a test network',
                );
            }
            this.logger.warn('PLAIN HTTP: requests and answers cross the network in clear (test network, opted in)');
        } else {
            if (!provider) {
                throw new ConfigError(
                    'RA-TLS needs an attestation provider to quote the TLS key (or CHRYSALIS_PROXY_PLAIN_HTTP=true on a ' +
                        'test network)',
                );
            }
            this.tlsCertificate = await createRaTlsCertificate({
                tlsKey: this.options.tlsKey ?? deriveTlsKey(proxyKeys.secretKey.subarray(0, 32)),
                proxyKey: proxyKeys.publicKey,
                provider,
            });
        }
        this.redis = createRedisClient(this.config.redisUrl);
        try {
            await checkPersistence(this.redis, this.config.allowVolatileRedis);
        } catch (err) {
            await closeRedisClient(this.redis);
            throw err;
        }
        this.counters = new UsageCounters(this.redis, this.config.prefix);
        this.lock = new CommitterLock(this.redis, this.config.prefix, { leaseMs: this.config.committerLeaseMs });
        this.committer = new StateCommitter(
            chain,
            this.redis,
            this.config.prefix,
            proxyAddress,
            proxyKeys.secretKey,
            this.options.wallet,
            this.counters,
            this.lock,
        );
        this.dispatcher = new Dispatcher(this.options.admission, this.redis, {
            redisUrl: this.config.redisUrl,
            prefix: this.config.prefix,
        });
        const models = new Map(this.options.models.map((m) => [m.hash.toLowerCase(), m]));
        // No body past the largest any served model can need is even read (Fastify stops at the limit).
        const bodyLimitBytes = Math.min(
            this.config.bodyLimitBytes,
            ...(this.options.models.length
                ? // A generative model's body (audio, messages) is bounded by the configured limit alone.
                  [
                      Math.max(
                          ...this.options.models.map((m) =>
                              m.generative ? this.config.bodyLimitBytes : maxBodyBytes(m.inputs),
                          ),
                      ),
                  ]
                : []),
        );
        // A reservation outlives every way its request can still be running.
        const reservationMs =
            this.config.maxAttempts * (this.config.resultTimeoutMs + this.config.maxQueueWaitMs) +
            this.config.rotationGraceMs +
            60_000;
        const signer = (this.signer = new VoucherSigner(
            proxyAddress,
            proxyKeys.publicKey,
            proxyKeys.secretKey,
            {
                prompt: params.promptMultiplierBps,
                cached: params.cachedMultiplierBps,
                completion: params.completionMultiplierBps,
                reasoning: params.reasoningMultiplierBps,
            },
            this.config.voucherValiditySeconds,
        ));
        signer.onRegression = (reason) => this.halt(reason);
        this.payouts = new PayoutVouchers({
            chain,
            redis: this.redis,
            prefix: this.config.prefix,
            counters: this.counters,
            signer,
            admission: this.options.admission,
            metrics: this.metrics,
            validitySeconds: this.config.voucherValiditySeconds,
        });
        // One reservations ledger for tensor and generative requests alike (amounts in billing units).
        const reservations = new Reservations(this.redis, this.config.prefix, signer.multipliersBps, reservationMs);
        this.service = new InferenceService({
            config: this.config,
            registry: proxyConfig.registry,
            chain,
            redis: this.redis,
            models,
            accounts: (this.accounts = new ClientAccounts(chain, proxyAddress, this.config.accountCacheMs)),
            counters: this.counters,
            reservations,
            dispatcher: this.dispatcher,
            admission: this.options.admission,
            reputation: this.reputation,
            signer,
            payouts: this.payouts,
            metrics: this.metrics,
            logger: this.logger,
            maxBodyBytes: bodyLimitBytes,
            records: new SealedRecords(proxyKeys.secretKey.subarray(0, 32)),
            afterCharge: (uncommitted) => this.maybeCommit(false, uncommitted),
        });
        this.generative = new GenerativeService({
            service: this.service,
            dispatcher: this.dispatcher,
            admission: this.options.admission,
            reservations,
            signer,
            redis: this.redis,
            config: this.config,
            logger: this.logger,
            registry: proxyConfig.registry,
            info: new Map([...models.values()].flatMap((m) => (m.generative ? [[m.hash, m.generative] as const] : []))),
        });
        const check = await this.committer.check();
        // The chain already says Redis is behind: nothing to record.
        if (!check.ok) this.halt(check.reason, false);
        this.service.recoveredAt = (await this.counters.recovery())?.at ?? null;
        this.app = buildServer({
            service: this.service,
            payouts: this.payouts,
            models,
            proxyPublicKey: proxyKeys.publicKey,
            proxyAddress: proxyAddress.toString(),
            quoteProvider: this.options.quoteProvider,
            metrics: this.metrics,
            dispatcher: this.dispatcher,
            reputation: this.reputation,
            redis: this.redis,
            prefix: this.config.prefix,
            bodyLimitBytes,
            generative: this.generative,
            pricing: { pricePerToken: params.pricePerToken, multipliers: signer.multipliersBps },
            tls: this.tlsCertificate
                ? { key: this.tlsCertificate.keyPem, cert: this.tlsCertificate.certPem }
                : undefined,
        });
        // Elected before serving: a single instance commits from its first charge on; one of several waits its turn.
        // An instance that refuses to serve (its Redis failed the check) never commits, so it does not stand.
        if (!this.service.refusal) {
            await this.elect();
            const every = Math.max(100, this.config.committerLeaseMs / 3);
            this.electionTimer = setInterval(() => void this.elect(), every);
            this.electionTimer.unref();
        }
        const url = await this.app.listen({ host: this.config.host, port: this.config.port });
        if (this.config.commitIntervalMs > 0 && this.options.wallet && check.ok) {
            this.timer = setInterval(() => this.maybeCommit(true), this.config.commitIntervalMs);
            this.timer.unref();
        }
        if (this.config.rollbackCheckMs > 0 && check.ok) {
            this.checkTimer = setInterval(() => void this.checkState(), this.config.rollbackCheckMs);
            this.checkTimer.unref();
        }
        const { payoutFlushMs = 10_000 } = this.options;
        if (payoutFlushMs > 0) {
            this.payoutTimer = setInterval(() => {
                if (!this.service.refusal) void this.flushPayouts().catch(() => undefined);
            }, payoutFlushMs);
            this.payoutTimer.unref();
        }
        const { admission, admissionIntervalMs = 1000, revalidateIntervalMs = 60_000 } = this.options;
        if (admission.admitPending && admissionIntervalMs > 0) {
            const driver = {
                admitPending: admission.admitPending.bind(admission),
                revalidate: admission.revalidate?.bind(admission),
            };
            this.admissionLoop = new AdmissionLoop(driver, {
                intervalMs: admissionIntervalMs,
                revalidateMs: revalidateIntervalMs,
                logger: this.logger,
            });
            this.admissionLoop.start();
        }
        this.logger.info({ url, refusing: this.service.refusal }, 'proxy listening');
        return { url };
    }

    /** True while this instance holds the committer lock (by its own clock; Redis fences its writes regardless). */
    get isCommitter(): boolean {
        return this.lock?.token != null;
    }

    /**
     * Takes or renews the committer lock (every third of the lease). The committer also commits once the charges of
     * every instance together reach `commitEveryRequests`: the others' charges reach it only through Redis.
     */
    private async elect(): Promise<void> {
        const was = this.lock.token;
        let token: number | null;
        try {
            token = await this.lock.acquire();
        } catch (err) {
            this.logger.warn({ err: (err as Error).message }, 'committer election failed (Redis did not answer)');
            return;
        }
        if (token !== null && this.halted) {
            // Halted while this renewal was on its way (halt() stopped the timer): give the lock straight back.
            await this.lock.release().catch(() => undefined);
            return;
        }
        if (token !== null && was === null) {
            this.logger.info({ token, instance: this.lock.instanceId }, 'this instance is the committer');
        } else if (token === null && was !== null) {
            this.logger.warn({ instance: this.lock.instanceId }, 'another instance took over the committer lock');
        }
        if (token !== null && !this.stopped) this.maybeCommit(false);
    }

    /**
     * Commits the counters digest now (serialised with any commit in progress); never over a failed check. Only the
     * committer commits: an instance that does not hold the lock (and cannot take it now) gets NotCommitterError.
     */
    commitState(): Promise<Commitment> {
        if (this.service.refusal) return Promise.reject(new StateRolledBackError(this.service.refusal));
        const next = this.commitChain.then(async () => {
            if (this.service.refusal) throw new StateRolledBackError(this.service.refusal);
            if (this.lock.token === null) await this.lock.acquire();
            return this.committer.commit().catch((err: unknown) => {
                if (err instanceof StateRolledBackError) this.halt(err.reason);
                throw err;
            });
        });
        this.commitChain = next.catch((err) => this.logger.error({ err }, 'state commitment failed'));
        return next;
    }

    /** Compares Redis with the chain now (the periodic check); stops serving on a mismatch. */
    async checkState(): Promise<boolean> {
        if (this.service.refusal) return false;
        try {
            const check = await this.committer.check();
            if (!check.ok) this.halt(check.reason);
            return check.ok;
        } catch (err) {
            // The chain or Redis did not answer: nothing is known, so nothing changes.
            this.logger.warn({ err: (err as Error).message }, 'state check failed');
            return !this.service.refusal;
        }
    }

    /**
     * Stops serving for good (until an operator recovers the ledger and restarts the proxy): every request gets 503
     * state_rolled_back, /healthz says why, and no commitment is made over the state Redis holds now.
     */
    private halt(reason: string, record = true): void {
        if (this.service.refusal) return;
        this.halted = true;
        this.service.refusal = reason.startsWith('refusing to serve') ? reason : `refusing to serve: ${reason}`;
        if (this.timer) clearInterval(this.timer);
        if (this.checkTimer) clearInterval(this.checkTimer);
        // A halted instance commits nothing more: it leaves the lock to the others (after its halt record, below),
        // whose own checks then see the halt commitment on chain and halt too.
        if (this.electionTimer) clearInterval(this.electionTimer);
        this.accounts?.close();
        this.logger.error(
            { reason },
            'Redis does not hold the committed state: stopped serving (chrysalis proxy recover)',
        );
        // Found while running, the mismatch may be known to this process only (a rollback that kept the commitment
        // record): the halt commitment puts it on chain, so that a restart on this Redis refuses too. Serialised
        // after any commitment in flight, and the last thing this process commits.
        // Only the committer records it; another instance's halt stays local (the committer's own checks see Redis too).
        if (!record || !this.options.wallet || this.lock.token === null) {
            this.commitChain = this.commitChain.then(() => this.lock.release().catch(() => undefined));
            return;
        }
        const halting = this.commitChain.then(() => this.committer.commitHalt());
        this.commitChain = halting
            .then(
                (c) => this.logger.error({ seqno: c.seqno.toString() }, 'halt recorded on chain'),
                (err) => this.logger.error({ err }, 'recording the halt on chain failed'),
            )
            .then(() => this.lock.release().catch(() => undefined));
    }

    /** Signs and stores the latest payout voucher of every worker that served since the last flush. */
    flushPayouts(): Promise<number> {
        return this.payouts.flush().catch((err: unknown) => {
            this.logger.error({ err }, 'storing the payout vouchers failed');
            throw err;
        });
    }

    /**
     * Closes this proxy the way docs/billing.md ("Closing a proxy") describes: stops taking requests, submits every
     * client's outstanding charges, publishes every worker's payout voucher valid through the claim window, commits
     * the counters, then sends RequestProxyClose. Needs the owner's wallet. Payout vouchers stay available (API and
     * Redis) while the process runs; workers must claim before `closeAt`.
     */
    async requestClose(opts: { landTimeoutMs?: number; pollMs?: number } = {}): Promise<CloseOutcome> {
        const wallet = this.options.wallet;
        if (!wallet) throw new ProxyCloseError('no wallet configured: the Proxy owner requests the close');
        if (this.service.refusal) throw new ProxyCloseError(`cannot close: ${this.service.refusal}`);
        // No new requests from here on, on any instance; requests already charged are in the counters read below.
        this.service.refusal = 'closing: this proxy takes no new requests';
        await this.lock.markClosing();
        // The close commits and submits charges: the committer's work. The current committer gives the lock up at
        // its next renewal, once it sees the mark.
        await this.lock.acquireWithin(3 * this.config.committerLeaseMs);
        await this.commitChain;
        return settleAndRequestClose({
            chain: this.options.chain,
            wallet,
            proxyAddress: this.options.proxyAddress,
            counters: this.counters,
            signer: this.signer,
            payouts: this.payouts,
            commit: () => {
                const next = this.commitChain.then(() => this.committer.commit());
                this.commitChain = next.catch(() => undefined);
                return next;
            },
            ...opts,
        });
    }

    async stop(): Promise<void> {
        if (this.stopped) return;
        this.stopped = true;
        if (this.timer) clearInterval(this.timer);
        if (this.checkTimer) clearInterval(this.checkTimer);
        if (this.payoutTimer) clearInterval(this.payoutTimer);
        if (this.electionTimer) clearInterval(this.electionTimer);
        await this.admissionLoop?.stop();
        await this.app?.close();
        // Not from counters that failed the ledger check (they may be below vouchers signed before).
        if (this.payouts && !this.service?.refusal) await this.flushPayouts().catch(() => undefined);
        if (this.options.wallet && this.service && !this.service.refusal && (await this.counters.uncommitted()) > 0) {
            // Commits only as the committer (taking the lock if it is free): another instance's lock is left alone.
            await this.commitState().catch(() => undefined);
        }
        await this.commitChain;
        // Handing over at once rather than after the lease: the next instance commits from its next renewal.
        await this.lock?.release().catch(() => undefined);
        await this.generative?.close();
        await this.dispatcher?.close();
        if (this.redis) await closeRedisClient(this.redis);
    }

    private autoCommitting = false;

    private maybeCommit(onTimer = false, uncommitted?: number): void {
        if (!this.options.wallet || this.service.refusal || this.lock.token === null) return;
        void (uncommitted === undefined ? this.counters.uncommitted() : Promise.resolve(uncommitted)).then((n) => {
            const due = onTimer ? n > 0 : this.config.commitEveryRequests > 0 && n >= this.config.commitEveryRequests;
            // Charges keep arriving while a commitment is on its way: one automatic commitment at a time is enough.
            if (!due || this.autoCommitting) return;
            this.autoCommitting = true;
            void this.commitState()
                .catch(() => undefined)
                .finally(() => (this.autoCommitting = false));
        });
    }
}
