/**
 * One attempt of a request on the model's sealed queue, and what happened: a result, a worker failure, a timeout, or
 * bad input. The proxy runs its own retries (jobs are queued with attempts = 1) because it must know which worker
 * failed before deciding where the request goes next, and because a demotion rotates the queue key, so a retried job
 * has to be sealed again under the new key. BullMQ records the consuming worker's name (`processedBy`); workers name
 * themselves by their worker key, which is how a failure or a timeout is attributed.
 */
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
    InvalidInputError,
    JobFailedError,
    JobTimeoutError,
    JobVanishedError,
    QueueWaitError,
    StaleResultError,
} from '../../errors';
import { SealedJobQueue } from '../../queue';
import { WorkerAdmissionPort } from './workers';

export type AttemptResult =
    /** `forget` deletes the job and the result record from Redis: call it once the result is delivered. */
    | { kind: 'result'; raw: unknown; ms: number; queueVersion: number; forget: () => Promise<void> }
    /** `staleKey`: the worker could not open the job (it holds another queue key version, e.g. mid-rotation). */
    | { kind: 'failure'; worker: string | null; message: string; ms: number; staleKey: boolean }
    | { kind: 'timeout'; worker: string | null; ms: number }
    | { kind: 'invalid_input'; message: string }
    /** No worker took the job within the queue-wait bound (a backlog): nobody's fault, the job was taken back. */
    | { kind: 'unclaimed'; ms: number }
    /** The result could not be used (its record is gone or sealed under another key version): run the job again. */
    | { kind: 'stale_result'; message: string }
    /** Redis lost the job and holds no result (wiped, rolled back, evicted): nobody's fault, the request can be queued again. */
    | { kind: 'vanished'; message: string; ms: number };

interface VersionedQueue {
    version: number;
    queue: SealedJobQueue;
    key: Buffer;
}

export class Dispatcher {
    private readonly current = new Map<string, VersionedQueue>();
    private readonly retired: SealedJobQueue[] = [];
    private readonly opening = new Map<string, Promise<VersionedQueue>>();
    /** Per model: when each job still waiting for a worker was queued (admission control reads the oldest). */
    private readonly waiting = new Map<string, Map<string, number>>();

    constructor(
        private readonly admission: WorkerAdmissionPort,
        private readonly redis: Redis,
        private readonly queueConfig: { redisUrl: string; prefix: string },
    ) {}

    /**
     * Queues the request (sealed under the model's current key) and waits for its outcome: up to `queueWaitMs` for a
     * worker to take it, then up to `timeoutMs` from that moment for the result (a worker is timed on its own work,
     * never on the queue in front of it).
     */
    async attempt(
        modelHash: string,
        requestId: string,
        inputs: unknown,
        timeoutMs: number,
        retry = false,
        queueWaitMs = timeoutMs,
    ): Promise<AttemptResult> {
        const { queue, version } = await this.queueFor(modelHash);
        // Only a retry can find an earlier attempt's job under this id (a new id is checked against the charge records).
        if (retry) await this.clearPrevious(queue, requestId);
        let started = Date.now();
        const waiting = this.waitingOf(modelHash);
        waiting.set(requestId, started);
        let jobRemoved = false;
        try {
            // A first attempt queues the id for the first time: the worker need not look for an earlier result.
            const raw = await queue.submit({ requestId, inputs, fresh: !retry }, timeoutMs, {
                queueWaitMs,
                onTaken: () => {
                    waiting.delete(requestId);
                    started = Date.now();
                },
                // The worker's completion deletes the job (the sealed inputs); forget then deletes the result only.
                removeOnComplete: true,
                onJobRemoved: () => (jobRemoved = true),
            });
            const forget = () => queue.forget(requestId, { jobRemoved });
            return { kind: 'result', raw, ms: Date.now() - started, queueVersion: version, forget };
        } catch (err) {
            const ms = Date.now() - started;
            if (err instanceof InvalidInputError) return { kind: 'invalid_input', message: err.message };
            if (err instanceof QueueWaitError) return { kind: 'unclaimed', ms };
            if (err instanceof StaleResultError) {
                await queue.forget(requestId);
                return { kind: 'stale_result', message: err.message };
            }
            if (err instanceof JobVanishedError) return { kind: 'vanished', message: err.message, ms };
            const job = await Job.fromId(queue.queue, requestId);
            const worker = job?.processedBy ?? null;
            if (err instanceof JobTimeoutError) {
                if (job) await this.reclaim(queue, job);
                return { kind: 'timeout', worker, ms };
            }
            const message = err instanceof JobFailedError ? err.message : String((err as Error)?.message ?? err);
            const staleKey = err instanceof JobFailedError && err.remoteName === 'SealedPayloadError';
            return { kind: 'failure', worker, message, ms, staleKey };
        } finally {
            waiting.delete(requestId);
        }
    }

    /** How long the oldest job of this model still waiting for a worker has waited (0 when none waits). */
    oldestWaitMs(modelHash: string): number {
        const waiting = this.waiting.get(modelHash);
        if (!waiting || waiting.size === 0) return 0;
        // Insertion order is queue order: the first entry is the oldest.
        const first = waiting.values().next().value as number;
        return Date.now() - first;
    }

    private waitingOf(modelHash: string): Map<string, number> {
        let waiting = this.waiting.get(modelHash);
        if (!waiting) this.waiting.set(modelHash, (waiting = new Map()));
        return waiting;
    }

    /**
     * Queues a job without waiting for its result (a generation answers through its chunk stream); returns the queue
     * key it was sealed with, which the worker also seals its chunks with. The worker's completion deletes the job:
     * nobody reads a finished generation's job (its answer went through the stream), and its sealed prompt leaves
     * Redis at once instead of waiting to be trimmed. A failed one is kept (`takenBy` names the worker).
     */
    async enqueue(modelHash: string, jobId: string, inputs: unknown): Promise<{ queueKey: Buffer; version: number }> {
        const { queue, version, key } = await this.queueFor(modelHash);
        await queue.add({ requestId: jobId, inputs }, { removeOnComplete: true });
        return { queueKey: key, version };
    }

    /** The worker key that took a job (BullMQ's `processedBy`), or null when none did (yet). */
    async takenBy(modelHash: string, jobId: string): Promise<string | null> {
        const { queue } = await this.queueFor(modelHash);
        const job = await Job.fromId(queue.queue, jobId);
        return job?.processedBy ?? null;
    }

    /** Takes back a job nobody should finish any more (a generation whose worker went silent). */
    async abandon(modelHash: string, jobId: string): Promise<void> {
        const { queue } = await this.queueFor(modelHash);
        const job = await Job.fromId(queue.queue, jobId);
        if (job) await this.reclaim(queue, job);
    }

    /** BullMQ metrics of every model queue, in Prometheus text form. */
    async prometheus(): Promise<string> {
        const parts = await Promise.all([...this.current.values()].map((q) => q.queue.queue.exportPrometheusMetrics()));
        return parts.join('\n');
    }

    async close(): Promise<void> {
        const all = [...[...this.current.values()].map((q) => q.queue), ...this.retired];
        this.current.clear();
        await Promise.allSettled(all.map((q) => q.close()));
    }

    private async queueFor(modelHash: string): Promise<VersionedQueue> {
        const { key, version } = await this.admission.queueKey(modelHash);
        const existing = this.current.get(modelHash);
        if (existing && existing.version === version) return existing;
        const pending = this.opening.get(modelHash);
        if (pending) return pending;
        const opened = (async () => {
            const queue = new SealedJobQueue({
                modelHash,
                queueKey: key,
                config: { ...this.queueConfig, attempts: 1 },
            });
            await queue.ready();
            const entry = { version, queue, key };
            // The old producer may still have waits in flight; it is closed with the dispatcher.
            if (existing) this.retired.push(existing.queue);
            this.current.set(modelHash, entry);
            return entry;
        })();
        this.opening.set(modelHash, opened);
        try {
            return await opened;
        } finally {
            this.opening.delete(modelHash);
        }
    }

    /** A previous attempt of this request id leaves a failed (or reclaimed) job behind: remove it to queue anew. */
    private async clearPrevious(queue: SealedJobQueue, requestId: string): Promise<void> {
        const job = await Job.fromId(queue.queue, requestId);
        if (!job) return;
        const state = await job.getState();
        if (state === 'failed' || state === 'completed') await job.remove();
        else if (state === 'active') await this.reclaim(queue, job);
        else await job.remove().catch(() => undefined);
    }

    /**
     * Takes a job back from a worker that holds it past the timeout: fail it under the worker's own lock token (so the
     * worker's late completion is refused as "missing lock") and remove it.
     */
    private async reclaim(queue: SealedJobQueue, job: Job): Promise<void> {
        const token = await this.redis.get(`${queue.queue.toKey(job.id!)}:lock`);
        try {
            if (token) await job.moveToFailed(new Error('reclaimed by the proxy after a timeout'), token, false);
        } catch {
            // the worker finished or released it meanwhile
        }
        await job.remove().catch(() => undefined);
    }
}
