/**
 * A pool of worker threads, each holding one ONNX Runtime session of the same model, created once and reused.
 * `run()` validates on the calling thread (cheap, and bad input never reaches a thread), then hands typed arrays to
 * an idle thread; the main event loop never waits on ONNX Runtime. A thread that dies fails only its own job (with a
 * transient error) and is replaced.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InvalidInputError } from '../errors';
import { rawMapToWire, rawToJson, WireTensorMap } from './codec';
import { InferenceUnavailableError, UnsupportedModelError } from './errors';
import { loadModel, LoadedModel } from './modelFile';
import { ModelKind } from './metering';
import { ModelRegistry } from './registry';
import { SessionThreads } from './session';
import { RunReply, RunRequest, ThreadInit, ThreadReady, transferList } from './threadProtocol';
import { JsonTensorMap, RawTensorMap } from './types';
import { DEFAULT_INPUT_LIMITS, InputLimits, validateInputs } from './validate';

const THREAD_ENTRY = path.join(__dirname, 'threadBootstrap.js');

export interface InferencePoolOptions extends SessionThreads {
    /** A model already loaded (and allowed) with {@link loadModel}; or give `modelPath` and `registry`. */
    model?: LoadedModel;
    modelPath?: string;
    registry?: ModelRegistry;
    kind?: ModelKind;
    /** Worker threads, each with its own session (default 1). */
    poolSize?: number;
    /** Size limits applied to every request (default {@link DEFAULT_INPUT_LIMITS}). */
    limits?: Partial<InputLimits>;
    /** Requests waiting for a thread beyond this are refused with a transient error (default 10,000). */
    maxQueued?: number;
}

interface Job {
    inputs: RawTensorMap;
    transfer: boolean;
    resolve(outputs: RawTensorMap): void;
    reject(err: Error): void;
}

interface Slot {
    worker: Worker;
    /** False until the thread's session is created, and again once the thread has exited. */
    ready: boolean;
    job?: Job;
    jobId?: number;
}

function rebuildError(error: { name: string; message: string }): Error {
    if (error.name === 'InvalidInputError') return new InvalidInputError(error.message);
    if (error.name === 'UnsupportedModelError') return new UnsupportedModelError(error.message);
    const err = new Error(error.message);
    err.name = error.name;
    return err;
}

export class InferencePool {
    private readonly slots: Slot[] = [];
    private readonly queue: Job[] = [];
    private readonly limits: InputLimits;
    private readonly maxQueued: number;
    private nextId = 1;
    private closing = false;
    private idleWaiters: Array<() => void> = [];

    private constructor(
        readonly model: LoadedModel,
        private readonly threads: SessionThreads,
        options: InferencePoolOptions,
    ) {
        this.limits = { ...DEFAULT_INPUT_LIMITS, ...options.limits };
        this.maxQueued = options.maxQueued ?? 10_000;
    }

    /** Loads the model (checking the registry unless `model` is given) and starts every thread's session. */
    static async create(options: InferencePoolOptions): Promise<InferencePool> {
        let model = options.model;
        if (!model) {
            if (!options.modelPath || !options.registry) {
                throw new TypeError('InferencePool.create needs `model`, or `modelPath` together with `registry`');
            }
            model = await loadModel(options.modelPath, options.registry, { kind: options.kind });
        }
        const size = options.poolSize ?? 1;
        if (!Number.isInteger(size) || size < 1)
            throw new TypeError(`poolSize must be a positive integer, got ${size}`);
        const pool = new InferencePool(
            model,
            { intraOpThreads: options.intraOpThreads ?? 1, interOpThreads: options.interOpThreads ?? 1 },
            options,
        );
        try {
            await Promise.all(Array.from({ length: size }, () => pool.startSlot()));
        } catch (err) {
            await pool.terminateAll();
            throw err;
        }
        return pool;
    }

    get size(): number {
        return this.slots.length;
    }

    /** Threads whose session is up and that can take jobs (below `size` while a dead thread is being replaced). */
    get readyThreads(): number {
        return this.slots.filter((s) => s.ready).length;
    }

    /** Jobs waiting for a thread (not counting those running). */
    get queued(): number {
        return this.queue.length;
    }

    /**
     * Validates and runs one request. Bad input rejects with {@link InvalidInputError} and leaves the pool as it was.
     */
    async run(inputs: unknown): Promise<JsonTensorMap> {
        const raw = validateInputs(this.model.inputs, inputs, this.limits);
        const outputs = await this.enqueue(raw, true);
        return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, rawToJson(t)]));
    }

    /**
     * Validates and runs one request; returns the validated inputs and the outputs in the wire form (what receipts
     * hash: every float exactly, NaN included). The inputs are encoded before their buffers move to the thread.
     */
    async runWire(inputs: unknown): Promise<{ inputs: WireTensorMap; outputs: WireTensorMap }> {
        const raw = validateInputs(this.model.inputs, inputs, this.limits);
        const wireInputs = rawMapToWire(raw);
        return { inputs: wireInputs, outputs: rawMapToWire(await this.enqueue(raw, true)) };
    }

    /** Runs already-validated typed arrays (the caller keeps its buffers: they are copied, not moved). */
    runRaw(inputs: RawTensorMap): Promise<RawTensorMap> {
        return this.enqueue(inputs, false);
    }

    /** Refuses new work, fails queued jobs (transient: they can run elsewhere), lets running ones finish, stops. */
    async close(): Promise<void> {
        if (this.closing) return;
        this.closing = true;
        for (const job of this.queue.splice(0)) job.reject(new InferenceUnavailableError('inference pool closed'));
        await new Promise<void>((resolve) => {
            if (this.slots.every((s) => !s.job)) resolve();
            else this.idleWaiters.push(resolve);
        });
        await this.terminateAll();
    }

    private enqueue(inputs: RawTensorMap, transfer: boolean): Promise<RawTensorMap> {
        if (this.closing) return Promise.reject(new InferenceUnavailableError('inference pool closed'));
        if (this.queue.length >= this.maxQueued) {
            return Promise.reject(
                new InferenceUnavailableError(`inference pool busy: ${this.queue.length} jobs queued`),
            );
        }
        return new Promise((resolve, reject) => {
            this.queue.push({ inputs, transfer, resolve, reject });
            this.dispatch();
        });
    }

    private dispatch(): void {
        for (const slot of this.slots) {
            if (this.queue.length === 0) return;
            if (slot.job || !slot.ready) continue;
            const job = this.queue.shift()!;
            const id = this.nextId++;
            slot.job = job;
            slot.jobId = id;
            const msg: RunRequest = { id, inputs: job.inputs };
            slot.worker.postMessage(msg, job.transfer ? transferList(job.inputs) : []);
        }
    }

    private finish(slot: Slot): Job | undefined {
        const job = slot.job;
        slot.job = undefined;
        slot.jobId = undefined;
        if (this.closing && this.slots.every((s) => !s.job)) {
            for (const wake of this.idleWaiters.splice(0)) wake();
        }
        return job;
    }

    private startSlot(replacing?: Slot): Promise<void> {
        const init: ThreadInit = { bytes: this.model.bytes, threads: this.threads };
        const worker = new Worker(THREAD_ENTRY, { workerData: init });
        const slot: Slot = replacing ?? { worker, ready: false };
        slot.worker = worker;
        if (!replacing) this.slots.push(slot);
        return new Promise((resolve, reject) => {
            let ready = false;
            worker.on('message', (msg: ThreadReady | RunReply) => {
                if (!ready) {
                    const r = msg as ThreadReady;
                    if (r.type === 'ready') {
                        ready = true;
                        slot.ready = true;
                        resolve();
                        this.dispatch();
                    } else {
                        reject(new UnsupportedModelError(r.type === 'fatal' ? r.message : 'inference thread failed'));
                    }
                    return;
                }
                const reply = msg as RunReply;
                if (reply.id !== slot.jobId) return;
                const job = this.finish(slot);
                if (reply.ok) job?.resolve(reply.outputs);
                else job?.reject(rebuildError(reply.error));
                this.dispatch();
            });
            // 'error' (an uncaught exception in the thread) is always followed by 'exit'; handle both there.
            let lastError: Error | undefined;
            worker.on('error', (err) => (lastError = err));
            worker.on('exit', (code) => {
                if (slot.worker !== worker) return;
                slot.ready = false;
                const why = lastError?.message ?? `exit code ${code}`;
                if (!ready) {
                    reject(new UnsupportedModelError(`inference thread failed to start: ${why}`));
                    return;
                }
                const job = this.finish(slot);
                job?.reject(new InferenceUnavailableError(`inference thread died mid-run: ${why}`));
                if (!this.closing) {
                    // Replace the thread; jobs wait in the queue meanwhile. If no thread is left to take them (the
                    // replacement failed too), fail them rather than let them wait forever.
                    this.startSlot(slot).catch((err: Error) => {
                        if (this.readyThreads > 0) return;
                        for (const queued of this.queue.splice(0)) {
                            queued.reject(new InferenceUnavailableError(`no inference thread left: ${err.message}`));
                        }
                    });
                }
            });
        });
    }

    private async terminateAll(): Promise<void> {
        this.closing = true;
        await Promise.all(this.slots.map((s) => s.worker.terminate()));
    }
}
