import { EventEmitter } from 'node:events';
import { Job, JobsOptions, Queue, QueueEvents, QueueEventsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
    InvalidInputError,
    JobFailedError,
    JobTimeoutError,
    JobVanishedError,
    QueueWaitError,
    SealedPayloadError,
    StaleResultError,
} from '../errors';
import { assertLength, SYMMETRIC_KEY_BYTES } from '../crypto/keys';
import { loadQueueConfig, QueueConfig } from './config';
import { bullConnection, closeRedisClient, createRedisClient } from './connection';
import { JobRequest, openFailure, openResult, sealJob, STORED_RESULT, STREAMED_RESULT } from './envelope';
import { queueKeyId, RequestLedger } from './ledger';
import { bullQueueName, normalizeModelHash, queueNameForModel, validateRequestId } from './naming';

type Outcome =
    | { kind: 'completed'; value: unknown }
    | { kind: 'failed'; reason: string }
    | { kind: 'lookup' }
    | { kind: 'unclaimed' };

export interface SealedJobQueueOptions {
    modelHash: string | Uint8Array;
    /** The model queue's 32-byte AES key (the proxy generates it and wraps it to attested workers). */
    queueKey: Uint8Array;
    config?: Partial<QueueConfig>;
}

/**
 * The producer side (the proxy): seals each request with the queue key and adds it under `jobId = requestId`, so a
 * second add of the same request id is ignored by BullMQ; waits for the sealed result through QueueEvents and
 * opens it. Redis never sees inputs, outputs or error messages in clear.
 */
export class SealedJobQueue {
    readonly config: QueueConfig;
    readonly modelHash: string;
    readonly queueName: string;
    readonly queue: Queue;
    readonly ledger: RequestLedger;
    private readonly queueKey: Buffer;
    private readonly events: QueueEvents;
    private readonly redis: Redis;
    private readonly bullConnections: Array<ReturnType<typeof bullConnection>>;
    private eventsStarted: Promise<void> | null = null;

    constructor(options: SealedJobQueueOptions) {
        this.config = loadQueueConfig(options.config);
        this.modelHash = normalizeModelHash(options.modelHash);
        this.queueName = queueNameForModel(this.modelHash);
        assertLength(options.queueKey, SYMMETRIC_KEY_BYTES, 'queue key');
        this.queueKey = Buffer.from(options.queueKey);
        this.bullConnections = [bullConnection(this.config.redisUrl), bullConnection(this.config.redisUrl)];
        this.queue = new Queue(bullQueueName(this.modelHash), {
            connection: this.bullConnections[0].connection,
            prefix: this.config.prefix,
            defaultJobOptions: this.jobOptions(),
        });
        // Every pending waitUntilFinished adds a 'closing' listener to the queue; a proxy waits on many at once.
        this.queue.setMaxListeners(0);
        // Started by the first wait, from the event stream's current end, not from '$' (see startEvents).
        this.events = new QueueEvents(bullQueueName(this.modelHash), {
            connection: this.bullConnections[1].connection,
            prefix: this.config.prefix,
            autorun: false,
        });
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
    }

    /**
     * Resolves once the queue is connected. Its event stream is read from the first `submit` or `waitForResult` on
     * (each starts it before it adds or looks), not before: a queue that only carries generations, answered through
     * their chunk streams, never pays for reading and parsing every job's events.
     */
    async ready(): Promise<void> {
        await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
    }

    /**
     * Starts reading the queue's event stream from the id of its newest event at this moment. BullMQ's default start,
     * '$', means "whatever is newest when the first XREAD reaches Redis", which it sends only after a CLIENT SETNAME on
     * its own connection: a job added right after ready() could be taken and finished before that, its `active` and
     * `completed` events unseen, and the request reported as one no worker took (seen in `--processes` devnet runs:
     * a 503 `overloaded` while both workers consumed). Every later XREAD also goes on from the last id read, never
     * from '$' again after an empty read.
     */
    private startEvents(): Promise<void> {
        this.eventsStarted ??= (async () => {
            const newest = await this.redis.xrevrange(this.queue.keys.events, '+', '-', 'COUNT', 1);
            (this.events.opts as QueueEventsOptions).lastEventId = newest[0]?.[0] ?? '0-0';
            this.events.run().catch((err: Error) => this.events.emit('error', err));
        })();
        return this.eventsStarted;
    }

    /**
     * Seals and enqueues a request. Adding a request id that is already queued, running or kept as completed is a
     * no-op: the queue keeps the first job.
     */
    async add(request: JobRequest, options: { removeOnComplete?: boolean } = {}): Promise<Job> {
        const data = sealJob(this.queueKey, this.modelHash, request);
        const opts: JobsOptions = { jobId: data.requestId };
        if (options.removeOnComplete) opts.removeOnComplete = true;
        return this.queue.add('infer', data, opts);
    }

    /** Seals and enqueues many requests in one round trip (same duplicate rule as `add`). */
    async addBulk(requests: JobRequest[]): Promise<Job[]> {
        return this.queue.addBulk(
            requests.map((request) => {
                const data = sealJob(this.queueKey, this.modelHash, request);
                return { name: 'infer', data, opts: { jobId: data.requestId } };
            }),
        );
    }

    /** Waits for a request's result and opens it; rethrows the worker's failure (opened) or a timeout. */
    async waitForResult<O = unknown>(requestId: string, timeoutMs = this.config.resultTimeoutMs): Promise<O> {
        validateRequestId(requestId);
        await this.startEvents();
        const job = await Job.fromId(this.queue, requestId);
        if (!job) {
            // The job may have been evicted after completing (removeOnComplete): the result record still holds it.
            const stored = await this.ledger.getResult(requestId);
            if (stored === null) {
                throw new JobVanishedError(`the queue holds no job and no result for request ${requestId}`);
            }
            return this.openValue<O>(requestId, stored);
        }
        let sealed: unknown;
        try {
            sealed = await job.waitUntilFinished(this.events, timeoutMs);
        } catch (err) {
            // The job can finish and be evicted between fromId and the wait ("Missing key for job"); a completed job
            // always left its result record first, so look there before reporting a failure.
            if (/Missing key for job/.test((err as Error)?.message ?? '')) {
                const stored = await this.ledger.getResult(requestId);
                if (stored !== null) return this.openValue<O>(requestId, stored);
            }
            throw this.describeFailure(requestId, err as Error, timeoutMs);
        }
        return this.openValue<O>(requestId, sealed);
    }

    /**
     * Deletes what a delivered request left in Redis: its job (the sealed inputs) and its result record. Call once
     * the result has been used (the proxy: after the charge).
     */
    async forget(requestId: string, options: { jobRemoved?: boolean } = {}): Promise<void> {
        if (options.jobRemoved) return this.ledger.deleteResult(requestId);
        await Promise.all([this.queue.remove(requestId).catch(() => 0), this.ledger.deleteResult(requestId)]);
    }

    /**
     * A completed job's value → the opened result: the worker's marker means "read the result record". A record that
     * is gone or does not open with this queue key is a {@link StaleResultError}: the job should run again.
     */
    private async openValue<O>(requestId: string, value: unknown): Promise<O> {
        if (value === STREAMED_RESULT) {
            // A chat's answer went through its chunk stream; waiting on its job is a caller's mistake, not a retry.
            throw new InvalidInputError(`request ${requestId} was answered through its chunk stream: it has no result`);
        }
        const sealed = value === STORED_RESULT ? await this.ledger.getResult(requestId) : value;
        if (sealed === null) throw new StaleResultError(`the result record of ${requestId} is gone`);
        try {
            return openResult<O>(this.queueKey, this.modelHash, requestId, sealed);
        } catch (err) {
            if (err instanceof SealedPayloadError) {
                throw new StaleResultError(`the result of ${requestId} does not open with this queue key`);
            }
            throw err;
        }
    }

    /**
     * Seals, enqueues and waits for the result: add + waitForResult in one round trip to Redis instead of four. The
     * waiter listens to the queue's event stream *before* the add, so the outcome cannot slip past it, and needs no
     * look at the job (`Job.fromId`) nor the "already finished?" script `waitUntilFinished` runs. When BullMQ reports
     * the id as a duplicate (a job of that id is already queued, running or kept), or when no event arrived in time
     * (an event stream trimmed under a long stall), the result is looked up the slow, thorough way.
     *
     * With `queueWaitMs`, the `timeoutMs` of the run starts when a worker takes the job (its `active` event), not at
     * the add: time spent waiting behind other jobs is nobody's fault. A job no worker took within `queueWaitMs` is
     * taken back out of the queue and the call fails with {@link QueueWaitError}.
     *
     * With `removeOnComplete`, the worker's completion deletes the job (the sealed inputs) in the same step, instead
     * of the producer removing it afterwards (one Redis call less per request); `onJobRemoved` is called when the
     * result came from that completion, so that {@link forget} need only delete the result record.
     */
    async submit<O = unknown>(
        request: JobRequest,
        timeoutMs = this.config.resultTimeoutMs,
        options: {
            queueWaitMs?: number;
            onTaken?: () => void;
            removeOnComplete?: boolean;
            onJobRemoved?: () => void;
        } = {},
    ): Promise<O> {
        const requestId = validateRequestId(request.requestId);
        let takenAt: number | null = options.queueWaitMs === undefined ? Date.now() : null;
        const outcome = await new Promise<Outcome>((resolve, reject) => {
            // Per-job event names (`completed:<id>`) are emitted by QueueEvents but not in its typed listener map.
            const events = this.events as unknown as EventEmitter;
            const completed = `completed:${requestId}`;
            const failed = `failed:${requestId}`;
            const duplicated = `duplicated:${requestId}`;
            const active = `active:${requestId}`;
            const done = (o: Outcome | Error) => {
                clearTimeout(timer);
                clearInterval(probe);
                events.removeListener(completed, onCompleted);
                events.removeListener(failed, onFailed);
                events.removeListener(duplicated, onDuplicated);
                events.removeListener(active, onActive);
                if (o instanceof Error) reject(o);
                else resolve(o);
            };
            const onCompleted = (args: { returnvalue: unknown }) =>
                done({ kind: 'completed', value: args.returnvalue });
            const onFailed = (args: { failedReason: string }) => done({ kind: 'failed', reason: args.failedReason });
            const onDuplicated = () => done({ kind: 'lookup' });
            const onActive = () => {
                if (takenAt !== null) return;
                takenAt = Date.now();
                options.onTaken?.();
                clearTimeout(timer);
                timer = setTimeout(() => done({ kind: 'lookup' }), timeoutMs);
            };
            let timer = setTimeout(
                () => done(takenAt === null ? { kind: 'unclaimed' } : { kind: 'lookup' }),
                options.queueWaitMs ?? timeoutMs,
            );
            // While nobody has taken the job, look every `timeoutMs` that it is still there: a job Redis lost (wiped,
            // rolled back, evicted) is reported at once (the thorough lookup says "vanished"), not after the whole wait.
            const probe = setInterval(() => {
                if (takenAt !== null) return;
                Job.fromId(this.queue, requestId).then(
                    (job) => job === undefined && done({ kind: 'lookup' }),
                    () => undefined,
                );
            }, timeoutMs);
            events.on(completed, onCompleted);
            events.on(failed, onFailed);
            events.on(duplicated, onDuplicated);
            if (takenAt === null) events.on(active, onActive);
            this.startEvents()
                .then(() => this.add(request, { removeOnComplete: options.removeOnComplete }))
                .catch((err: Error) => done(err));
        });
        if (outcome.kind === 'completed') {
            // Our own add completed (a duplicate id would have taken the lookup path): BullMQ removed the job.
            if (options.removeOnComplete) options.onJobRemoved?.();
            return this.openValue<O>(requestId, outcome.value);
        }
        if (outcome.kind === 'failed') throw this.describeFailure(requestId, new Error(outcome.reason), timeoutMs);
        if (outcome.kind === 'unclaimed') {
            // Still waiting: take it back (a worker may take it meanwhile; then wait for it after all).
            const removed = await this.queue.remove(requestId).catch(() => 0);
            if (removed === 1) {
                // A job that was run after all (its events unseen) left its result record before it completed.
                const stored = await this.ledger.getResult(requestId);
                if (stored !== null) return this.openValue<O>(requestId, stored);
                throw new QueueWaitError(`request ${requestId} waited ${options.queueWaitMs} ms without a worker`);
            }
            takenAt = Date.now();
        }
        const left = timeoutMs - (Date.now() - (takenAt ?? Date.now()));
        return this.waitForResult<O>(requestId, Math.max(1, left));
    }

    /** True the first time for a request id: the caller that gets true bills it (see RequestLedger). */
    markCharged(requestId: string): Promise<boolean> {
        return this.ledger.markCharged(requestId);
    }

    async close(): Promise<void> {
        await Promise.allSettled([this.events.close(), this.queue.close()]);
        await Promise.all(this.bullConnections.map((c) => c.close()));
        await closeRedisClient(this.redis);
    }

    private jobOptions(): JobsOptions {
        return {
            attempts: this.config.attempts,
            backoff: { type: 'exponential', delay: this.config.backoffDelayMs },
            removeOnComplete: { count: this.config.removeOnCompleteCount },
            removeOnFail: { count: this.config.removeOnFailCount },
            // Stack traces are noise here (and the message part is sealed anyway): keep only the last one.
            stackTraceLimit: 1,
        };
    }

    private describeFailure(requestId: string, err: Error, timeoutMs: number): Error {
        const message = err?.message ?? String(err);
        if (/timed out before finishing/.test(message)) {
            return new JobTimeoutError(`request ${requestId} did not finish within ${timeoutMs} ms`);
        }
        let failure;
        try {
            failure = openFailure(this.queueKey, this.modelHash, requestId, message);
        } catch {
            // The worker sealed its report with another key: it could not have opened the job either.
            return new JobFailedError(
                requestId,
                'SealedPayloadError',
                'the failure report does not open with this queue key (the worker holds a different key)',
                true,
            );
        }
        if (failure.name === 'InvalidInputError') return new InvalidInputError(failure.message);
        return new JobFailedError(requestId, failure.name, failure.message, failure.permanent);
    }
}
