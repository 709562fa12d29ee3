import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { isPermanentError } from '../errors';
import { assertLength, SYMMETRIC_KEY_BYTES } from '../crypto/keys';
import { loadQueueConfig, QueueConfig } from './config';
import { bullConnection, closeRedisClient, createRedisClient } from './connection';
import {
    JobRequest,
    openJob,
    SealedJobData,
    sealFailure,
    sealResult,
    STORED_RESULT,
    STREAMED_RESULT,
} from './envelope';
import { queueKeyId, RequestLedger } from './ledger';
import { bullQueueName, normalizeModelHash, queueNameForModel } from './naming';

export interface ProcessContext {
    requestId: string;
    /** 1 for the first attempt, 2 for the first retry, … */
    attempt: number;
    /** Aborted when the worker gives up on the job at shutdown; long computations may stop early. */
    signal?: AbortSignal;
}

/**
 * A plain function from an opened request to a JSON-serialisable output. Throw an error with `permanent: true`
 * (e.g. `InvalidInputError`) for input that can never succeed; anything else is retried with backoff. A processor that
 * answered through a stream of its own returns {@link ANSWERED_BY_STREAM}: no result record is kept.
 */
export type SealedProcessor<I = unknown, O = unknown> = (
    request: JobRequest<I>,
    context: ProcessContext,
) => Promise<O | typeof ANSWERED_BY_STREAM>;

/** What a processor returns for a request it answered through a stream of its own. */
export const ANSWERED_BY_STREAM: unique symbol = Symbol('answered by stream');

export interface SealedWorkerOptions<I, O> {
    modelHash: string | Uint8Array;
    /** The queue key, unwrapped inside the TEE from what the proxy handed over (see keyDistribution.ts). */
    queueKey: Uint8Array;
    processor: SealedProcessor<I, O>;
    config?: Partial<QueueConfig>;
    /** Shown in BullMQ as the job's processor name. */
    name?: string;
    /** Start consuming at once (default true). */
    autorun?: boolean;
    /**
     * The processor answers a repeated request itself, with what it stored the first time (the generative
     * processors keep every answer they signed): the stored-result lookup before each job is skipped, one Redis
     * round trip less before a streamed request's first token. Default false.
     */
    processorAnswersRepeats?: boolean;
}

export interface CloseOutcome {
    /** True when every in-flight job finished before the timeout. */
    graceful: boolean;
    /** Jobs handed back to the queue because they did not finish in time. */
    released: string[];
}

/**
 * The consumer side (an attested worker): opens each job with the queue key, runs the processor, seals the output
 * and returns it as BullMQ's return value (so only ciphertext reaches Redis). See docs/queue.md for retries,
 * stalled jobs, idempotency and shutdown.
 */
export class SealedWorker<I = unknown, O = unknown> {
    readonly config: QueueConfig;
    readonly modelHash: string;
    readonly queueName: string;
    readonly worker: Worker<SealedJobData, string>;
    readonly ledger: RequestLedger;
    private readonly queueKey: Buffer;
    private readonly redis: Redis;
    private readonly bullClient: ReturnType<typeof bullConnection>;
    private readonly processor: SealedProcessor<I, O>;
    private readonly processorAnswersRepeats: boolean;
    private readonly inFlight = new Map<string, { job: Job; token?: string }>();
    private readonly released = new Set<string>();

    constructor(options: SealedWorkerOptions<I, O>) {
        this.config = loadQueueConfig(options.config);
        this.modelHash = normalizeModelHash(options.modelHash);
        this.queueName = queueNameForModel(this.modelHash);
        assertLength(options.queueKey, SYMMETRIC_KEY_BYTES, 'queue key');
        this.queueKey = Buffer.from(options.queueKey);
        this.processor = options.processor;
        this.processorAnswersRepeats = options.processorAnswersRepeats ?? false;
        this.redis = createRedisClient(this.config.redisUrl);
        this.ledger = new RequestLedger(
            this.redis,
            this.config.prefix,
            this.queueName,
            {
                resultSeconds: this.config.resultTtlSeconds,
                chargeSeconds: this.config.chargeTtlSeconds,
            },
            queueKeyId(this.queueKey),
        );
        this.bullClient = bullConnection(this.config.redisUrl);
        this.worker = new Worker<SealedJobData, string>(
            bullQueueName(this.modelHash),
            (job, token, signal) => this.track(job, token, () => this.handle(job, signal)),
            {
                connection: this.bullClient.connection,
                prefix: this.config.prefix,
                name: options.name,
                autorun: options.autorun ?? true,
                concurrency: this.config.concurrency,
                lockDuration: this.config.lockDurationMs,
                stalledInterval: this.config.stalledIntervalMs,
                maxStalledCount: this.config.maxStalledCount,
                removeOnComplete: { count: this.config.removeOnCompleteCount },
                removeOnFail: { count: this.config.removeOnFailCount },
            },
        );
        // BullMQ emits connection and lock errors here; without a listener Node would crash the worker on them.
        this.worker.on('error', () => undefined);
    }

    /** Starts consuming when constructed with autorun: false. */
    run(): void {
        void this.worker.run();
    }

    async waitUntilReady(): Promise<void> {
        await this.worker.waitUntilReady();
    }

    /** Number of jobs this worker is computing right now. */
    get inFlightCount(): number {
        return this.inFlight.size;
    }

    /**
     * Graceful shutdown: stop taking jobs, let in-flight jobs finish for up to `timeoutMs`; jobs still running then
     * are moved back to the queue at once (another worker takes them without waiting for the lock to expire) and
     * their processors are signalled to abort. A released job's late outcome is never reported by this worker.
     */
    async close(timeoutMs = this.config.shutdownTimeoutMs): Promise<CloseOutcome> {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        const drained = this.worker.pause(false).then(() => 'drained' as const);
        const outcome = await Promise.race([drained, timedOut]);
        clearTimeout(timer);
        const released: string[] = [];
        if (outcome === 'timeout') {
            for (const [id, { job, token }] of this.inFlight) {
                try {
                    this.released.add(id);
                    await job.moveToWait(token);
                    released.push(id);
                } catch {
                    // Lock already lost: the stalled checker of another worker will requeue it.
                }
            }
            this.worker.cancelAllJobs('worker shutting down');
        }
        await this.worker.close(outcome === 'timeout');
        await this.bullClient.close();
        await closeRedisClient(this.redis);
        return { graceful: outcome === 'drained', released };
    }

    private async track<T>(job: Job, token: string | undefined, work: () => Promise<T>): Promise<T> {
        const id = job.id as string;
        this.inFlight.set(id, { job, token });
        let outcome: { value: T } | { error: unknown };
        try {
            outcome = { value: await work() };
        } catch (error) {
            outcome = { error };
        } finally {
            this.inFlight.delete(id);
        }
        if (this.released.has(id)) {
            // The job was handed back at shutdown and belongs to another worker now. Settling would make BullMQ
            // act on it through connections that are already closed (and reopen one); leave it unsettled instead.
            return new Promise<T>(() => undefined);
        }
        if ('error' in outcome) throw outcome.error;
        return outcome.value;
    }

    private async handle(job: Job<SealedJobData, string>, signal?: AbortSignal): Promise<string> {
        const requestId = job.id as string;
        let request: JobRequest;
        try {
            request = openJob(this.queueKey, this.modelHash, requestId, job.data);
        } catch (err) {
            // A job we cannot open will never open: fail it now. The reason says nothing about the contents.
            throw this.failure(requestId, err as Error, true);
        }
        // BullMQ counts each time a job is taken (a stalled job taken again counts twice): a fresh request's first
        // take cannot find a stored result, so the look-up (a Redis round trip per job) is skipped.
        const firstTake = request.fresh === true && job.attemptsStarted <= 1;
        if (!this.processorAnswersRepeats && !firstTake) {
            const earlier = await this.ledger.getResult(requestId);
            if (earlier !== null) return STORED_RESULT; // delivered again after a result was stored: do not compute twice
        }
        let output: O | typeof ANSWERED_BY_STREAM;
        try {
            output = await this.processor(request as JobRequest<I>, {
                requestId,
                attempt: job.attemptsMade + 1,
                signal,
            });
        } catch (err) {
            throw this.failure(requestId, err as Error, isPermanentError(err));
        }
        if (output === ANSWERED_BY_STREAM) return STREAMED_RESULT;
        await this.ledger.putResult(requestId, sealResult(this.queueKey, this.modelHash, requestId, output));
        return STORED_RESULT;
    }

    /** The error BullMQ stores: a sealed description; UnrecoverableError stops the retries. */
    private failure(requestId: string, err: Error, permanent: boolean): Error {
        const name = err instanceof Error ? err.name : 'Error';
        const message = err instanceof Error ? err.message : String(err);
        const reason = sealFailure(this.queueKey, this.modelHash, requestId, { name, message, permanent });
        const error = permanent ? new UnrecoverableError(reason) : new Error(reason);
        error.stack = `${error.name}: ${reason}`; // no source paths or clear-text frames in Redis
        return error;
    }
}
