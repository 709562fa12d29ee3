/**
 * The generative engines as the worker role, the CLI and the benchmarks use them: each holds one worker thread with
 * one model session, created once; calls from the main thread never block on ONNX Runtime.
 *
 *   const chat = await ChatEngine.create(dir, { registry });          // refuses a folder whose hash is not listed
 *   const result = await chat.generate({ messages, maxTokens: 64 }, (t) => stream(t.textDelta));
 *   await chat.close();
 *
 * Bad requests reject with InvalidInputError (nothing generated); a thread that dies rejects everything in flight
 * and later calls with InferenceUnavailableError.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InvalidInputError } from '../../errors';
import { InferenceUnavailableError, ModelNotAllowedError, UnsupportedModelError } from '../errors';
import { ModelRegistry } from '../registry';
import { ChatModelOptions } from './chatModel';
import { EmbeddingModelOptions } from './embeddingModel';
import { EngineInit, EngineKind, ThreadInit, ThreadMessage, ThreadRequest } from './engineProtocol';
import { ModelPackage, loadAllowedPackage, readModelPackage } from './modelPackage';
import { WavFormatError } from './wav';
import {
    EmbedResult,
    GenerateRequest,
    GenerateResult,
    OnToken,
    TokenEvent,
    TranscribeOptions,
    TranscribeResult,
} from './types';

const THREAD_ENTRY = path.join(__dirname, 'engineThreadBootstrap.js');

export interface EngineOptions {
    /** The allow-list the package's hash must be on; `null` skips the check (the CLI's try-before-registering). */
    registry: ModelRegistry | null;
    /** ONNX Runtime threads inside one operator (default 1). */
    intraOpThreads?: number;
    /** Execution providers in order (default ['cpu']). */
    executionProviders?: string[];
}

function rebuildError(e: { name: string; message: string }): Error {
    const known: Record<string, new (m: string) => Error> = {
        InvalidInputError,
        WavFormatError,
        UnsupportedModelError,
        ModelNotAllowedError,
    };
    const Ctor = known[e.name];
    if (Ctor) return new Ctor(e.message);
    const err = new Error(e.message);
    err.name = e.name;
    return err;
}

interface Pending {
    resolve(v: unknown): void;
    reject(e: Error): void;
    onToken?: OnToken;
}

/** One worker thread holding one model; requests by id. */
class EngineThread {
    private readonly pending = new Map<number, Pending>();
    private nextId = 1;
    private dead: Error | undefined;
    private exited = false;
    private closing: Promise<void> | undefined;

    private constructor(private readonly worker: Worker) {
        worker.on('message', (m: ThreadMessage) => this.onMessage(m));
        worker.on('error', (err) => this.fail(err));
        worker.on('exit', (code) => {
            this.exited = true;
            this.fail(new Error(`engine thread exited with code ${code}`));
        });
    }

    static async start(engine: EngineKind, pkg: ModelPackage, options: EngineInit['options']): Promise<EngineThread> {
        // The hashed graph bytes move to the thread (transferred, not copied: a model's size is not held twice) and
        // leave the caller's package; the small text files are copied, so the caller can still load its tokenizer.
        // They go in a message, not in `workerData`: the thread keeps what came as workerData alive for its whole
        // life, so the graph bytes would stay resident beside ONNX Runtime's own copy of the weights.
        const moved = [...pkg.contents.entries()].filter(([rel]) => /\.onnx(_data)?$/.test(rel));
        const init: EngineInit = { engine, pkg, options };
        const worker = new Worker(THREAD_ENTRY);
        worker.postMessage(
            { type: 'init', init } satisfies ThreadInit,
            moved.map(([, b]) => b.buffer as ArrayBuffer),
        );
        for (const [rel] of moved) pkg.contents.delete(rel);
        await new Promise<void>((resolve, reject) => {
            const onMessage = (m: ThreadMessage) => {
                if (m.type === 'ready') resolve();
                else if (m.type === 'fatal') reject(rebuildError(m.error));
                else return;
                worker.off('message', onMessage);
                worker.off('exit', onExit);
            };
            const onExit = (code: number) =>
                reject(new UnsupportedModelError(`engine thread exited with code ${code} while loading`));
            worker.on('message', onMessage);
            worker.on('exit', onExit);
        }).catch(async (err) => {
            await worker.terminate();
            throw err;
        });
        return new EngineThread(worker);
    }

    private onMessage(m: ThreadMessage): void {
        if (m.type === 'ready' || m.type === 'fatal') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        if (m.type === 'token') {
            p.onToken?.(m.event);
            return;
        }
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve(m.result);
        else p.reject(rebuildError(m.error));
    }

    private fail(err: Error): void {
        if (this.dead) return;
        this.dead = new InferenceUnavailableError(`engine thread is gone: ${err.message}`);
        for (const p of this.pending.values()) p.reject(this.dead);
        this.pending.clear();
    }

    call<T>(
        build: (id: number) => ThreadRequest,
        onToken?: OnToken,
        transfer: ArrayBuffer[] = [],
    ): { id: number; done: Promise<T> } {
        const id = this.nextId++;
        if (this.dead) return { id, done: Promise.reject(this.dead) };
        const done = new Promise<T>((resolve, reject) => {
            this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onToken });
        });
        this.worker.postMessage(build(id), transfer);
        return { id, done };
    }

    cancel(id: number): void {
        if (!this.dead && this.pending.has(id)) this.worker.postMessage({ type: 'cancel', id } satisfies ThreadRequest);
    }

    /**
     * Rejects every call in flight at once; the thread cancels its generations at their next step, waits for the
     * ONNX Runtime run in progress (terminating a thread inside a run aborts the whole process), releases the model
     * and exits. Resolves when it has.
     */
    close(): Promise<void> {
        this.closing ??= new Promise<void>((resolve) => {
            if (this.exited) return resolve();
            this.worker.once('exit', () => resolve());
            this.worker.postMessage({ type: 'close' } satisfies ThreadRequest);
        });
        this.dead ??= new InferenceUnavailableError('engine closed');
        for (const p of this.pending.values()) p.reject(this.dead);
        this.pending.clear();
        return this.closing;
    }
}

function openPackage(source: string | ModelPackage, registry: ModelRegistry | null): ModelPackage {
    if (typeof source !== 'string') return source;
    return registry ? loadAllowedPackage(source, registry) : readModelPackage(source);
}

function packageInfo(pkg: ModelPackage) {
    return { root: pkg.root, hash: pkg.hash, files: pkg.files, manifest: pkg.manifest };
}

export type PackageInfo = ReturnType<typeof packageInfo>;

export class ChatEngine {
    private constructor(
        private readonly thread: EngineThread,
        readonly info: PackageInfo,
    ) {}

    static async create(source: string | ModelPackage, options: EngineOptions & ChatModelOptions): Promise<ChatEngine> {
        const pkg = openPackage(source, options.registry);
        const info = packageInfo(pkg);
        const { registry: _registry, ...rest } = options;
        return new ChatEngine(await EngineThread.start('chat', pkg, rest), info);
    }

    /** Generates a completion; `onToken` sees each token as it is sampled. Abort `req.signal` to stop it. */
    generate(req: GenerateRequest, onToken?: OnToken): Promise<GenerateResult> {
        const { signal, ...rest } = req;
        if (signal?.aborted) {
            return Promise.reject(new InvalidInputError('the request was cancelled before it started'));
        }
        const { id, done } = this.thread.call<GenerateResult>((id) => ({ type: 'generate', id, req: rest }), onToken);
        if (signal) {
            const onAbort = () => this.thread.cancel(id);
            signal.addEventListener('abort', onAbort, { once: true });
            void done.finally(() => signal.removeEventListener('abort', onAbort)).catch(() => {});
        }
        return done;
    }

    close(): Promise<void> {
        return this.thread.close();
    }
}

export class EmbeddingEngine {
    private constructor(
        private readonly thread: EngineThread,
        readonly info: PackageInfo,
    ) {}

    static async create(
        source: string | ModelPackage,
        options: EngineOptions & EmbeddingModelOptions,
    ): Promise<EmbeddingEngine> {
        const pkg = openPackage(source, options.registry);
        const info = packageInfo(pkg);
        const { registry: _registry, ...rest } = options;
        return new EmbeddingEngine(await EngineThread.start('embedding', pkg, rest), info);
    }

    embed(inputs: string[]): Promise<EmbedResult> {
        return this.thread.call<EmbedResult>((id) => ({ type: 'embed', id, inputs })).done;
    }

    close(): Promise<void> {
        return this.thread.close();
    }
}

export class SpeechEngine {
    private constructor(
        private readonly thread: EngineThread,
        readonly info: PackageInfo,
    ) {}

    static async create(source: string | ModelPackage, options: EngineOptions): Promise<SpeechEngine> {
        const pkg = openPackage(source, options.registry);
        const info = packageInfo(pkg);
        const { registry: _registry, ...rest } = options;
        return new SpeechEngine(await EngineThread.start('speech', pkg, rest), info);
    }

    /** Transcribes 16 kHz mono samples (decode a WAV with parseWav first). */
    transcribe(pcm: Float32Array, options: TranscribeOptions = {}): Promise<TranscribeResult> {
        return this.thread.call<TranscribeResult>((id) => ({ type: 'transcribe', id, pcm, options })).done;
    }

    close(): Promise<void> {
        return this.thread.close();
    }
}

export type { TokenEvent };
