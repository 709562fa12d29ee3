/**
 * The chat engine inside one thread: one ONNX Runtime session of a decoder-only model in the Optimum I/O convention
 * (input_ids, attention_mask, position_ids, past_key_values.{i}.key|value → logits, present.{i}.key|value), shapes
 * from config.json (llama, qwen2 and any architecture with the same I/O), created once. Each request runs its own
 * loop — prefill (reusing a cached prefix), then one token per step with the KV cache — and several requests
 * interleave step by step, yielding to the event loop between steps so that a cancellation is seen at the next step.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { InvalidInputError, UnsupportedModelError } from '../errors';
import { IncrementalText } from './incrementalText';
import { ModelPackage, packageJson } from './modelPackage';
import { KvState, PrefixCache } from './prefixCache';
import { BufferReleaser } from './releaseMemory';
import { requestRandom, sampleToken, validateSampling } from './sampler';
import { createSession, SessionOptions } from './sessionFiles';
import { TextProcessor, loadTextProcessor } from './textProcessor';
import { FinishReason, GenerateRequest, GenerateResult, OnToken } from './types';

export const MAX_STOP_STRINGS = 4;
export const DEFAULT_PREFIX_CACHE_BYTES = 16 * 1024 * 1024;
export const MAX_STOP_STRING_LENGTH = 64;

export interface ChatModelOptions extends SessionOptions {
    /**
     * Bytes of keys/values kept for prefix reuse (default 16 MiB: a served model's memory budget is its file size +
     * 50 MB, and the cache fills up in steady use; 0 turns prefix reuse off).
     */
    prefixCacheBytes?: number;
    /** Prompt tokens per forward pass when the graph returns logits for every position (default 64). */
    prefillChunk?: number;
    /** False recomputes the whole sequence every step (the reference the KV-cache path is checked against). */
    kvCache?: boolean;
}

export interface DecoderLayout {
    modelType: string;
    layers: number;
    kvHeads: number;
    headDim: number;
    vocabSize: number;
    /** Past inputs in layer order: [key name, value name]. */
    pastNames: Array<[string, string]>;
    hasPositionIds: boolean;
    /** The graph takes `num_logits_to_keep` (only the last position's logits are computed). */
    hasLogitsToKeep: boolean;
}

function positiveInt(v: unknown, what: string, root: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
        throw new UnsupportedModelError(`model package ${root}: config.json ${what} must be a positive integer`);
    }
    return v;
}

/** Reads the decoder's shapes from config.json and checks the graph has the matching inputs. */
export function decoderLayout(pkg: ModelPackage, inputNames: readonly string[]): DecoderLayout {
    const c = packageJson(pkg, 'config.json');
    const heads = positiveInt(c.num_attention_heads, 'num_attention_heads', pkg.root);
    const hidden = positiveInt(c.hidden_size, 'hidden_size', pkg.root);
    const layers = positiveInt(c.num_hidden_layers, 'num_hidden_layers', pkg.root);
    const kvHeads = positiveInt(c.num_key_value_heads ?? heads, 'num_key_value_heads', pkg.root);
    const headDim = positiveInt(c.head_dim ?? hidden / heads, 'head_dim', pkg.root);
    const vocabSize = positiveInt(c.vocab_size, 'vocab_size', pkg.root);
    const pastNames: Array<[string, string]> = [];
    for (let i = 0; i < layers; i++) {
        const pair: [string, string] = [`past_key_values.${i}.key`, `past_key_values.${i}.value`];
        for (const n of pair) {
            if (!inputNames.includes(n)) {
                throw new UnsupportedModelError(
                    `model package ${pkg.root}: the graph has no input ${n} (config.json says ${layers} layers; ` +
                        'a decoder export with past key values is needed)',
                );
            }
        }
        pastNames.push(pair);
    }
    for (const n of ['input_ids', 'attention_mask']) {
        if (!inputNames.includes(n))
            throw new UnsupportedModelError(`model package ${pkg.root}: the graph has no input ${n}`);
    }
    return {
        modelType: typeof c.model_type === 'string' ? c.model_type : 'unknown',
        layers,
        kvHeads,
        headDim,
        vocabSize,
        pastNames,
        hasPositionIds: inputNames.includes('position_ids'),
        hasLogitsToKeep: inputNames.includes('num_logits_to_keep'),
    };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function int64(values: number[], dims: number[]): Tensor {
    return new Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
    );
}

export function validateGenerateRequest(req: GenerateRequest, contextLength: number): void {
    if (!req || typeof req !== 'object') throw new InvalidInputError('the request must be an object');
    if ((req.messages === undefined) === (req.prompt === undefined)) {
        throw new InvalidInputError('give exactly one of messages and prompt');
    }
    if (req.prompt !== undefined && typeof req.prompt !== 'string')
        throw new InvalidInputError('prompt must be a string');
    if (!Number.isSafeInteger(req.maxTokens) || req.maxTokens < 1) {
        throw new InvalidInputError(`max_tokens must be an integer ≥ 1, got ${req.maxTokens}`);
    }
    if (contextLength > 0 && req.maxTokens > contextLength) {
        throw new InvalidInputError(`max_tokens ${req.maxTokens} exceeds the context length ${contextLength}`);
    }
    validateSampling(req);
    if (req.seed !== undefined && !Number.isSafeInteger(req.seed))
        throw new InvalidInputError('seed must be an integer');
    const stop = req.stop ?? [];
    if (!Array.isArray(stop) || stop.length > MAX_STOP_STRINGS) {
        throw new InvalidInputError(`stop must be an array of at most ${MAX_STOP_STRINGS} strings`);
    }
    for (const s of stop) {
        if (typeof s !== 'string' || s.length === 0 || s.length > MAX_STOP_STRING_LENGTH) {
            throw new InvalidInputError(`each stop string must be 1 to ${MAX_STOP_STRING_LENGTH} characters`);
        }
    }
    for (const id of req.stopTokenIds ?? []) {
        if (!Number.isSafeInteger(id) || id < 0)
            throw new InvalidInputError(`stop token ids must be integers ≥ 0, got ${id}`);
    }
}

/** Garbage key/value and logits buffers are released in batches of this many bytes (releaseMemory.ts). */
const RELEASE_BATCH_BYTES = 4 * 1024 * 1024;

/** The buffer behind a tensor's data, when the data is all of it (a buffer shared with other data is left alone). */
function ownBuffer(data: Float32Array): ArrayBuffer | undefined {
    return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? (data.buffer as ArrayBuffer)
        : undefined;
}

export class ChatModel {
    private readonly cache: PrefixCache;
    private readonly garbage = new BufferReleaser(RELEASE_BATCH_BYTES);
    private readonly prefillChunk: number;
    private readonly kvCache: boolean;

    private constructor(
        readonly pkg: ModelPackage,
        readonly text: TextProcessor,
        readonly layout: DecoderLayout,
        private readonly session: InferenceSession,
        options: ChatModelOptions,
    ) {
        this.cache = new PrefixCache(options.prefixCacheBytes ?? DEFAULT_PREFIX_CACHE_BYTES);
        this.prefillChunk = options.prefillChunk ?? 64;
        this.kvCache = options.kvCache ?? true;
    }

    static async create(pkg: ModelPackage, options: ChatModelOptions = {}): Promise<ChatModel> {
        const text = loadTextProcessor(pkg);
        const session = await createSession(pkg, options.modelFile ?? 'onnx/model.onnx', options);
        try {
            const layout = decoderLayout(pkg, session.inputNames);
            return new ChatModel(pkg, text, layout, session, options);
        } catch (err) {
            await session.release();
            throw err;
        }
    }

    get prefixCacheSize(): { entries: number; bytes: number } {
        return this.cache.size;
    }

    async release(): Promise<void> {
        this.cache.clear();
        await this.session.release();
    }

    private emptyPast(): KvState {
        const kv: KvState = new Map();
        for (const [k, v] of this.layout.pastNames) {
            for (const n of [k, v])
                kv.set(n, { data: new Float32Array(0), dims: [1, this.layout.kvHeads, 0, this.layout.headDim] });
        }
        return kv;
    }

    /** One forward pass over `ids` after `past` (covering `pastLength` ids); last-position logits and the new cache. */
    private async forward(
        ids: number[],
        past: KvState,
        pastLength: number,
    ): Promise<{ logits: Float32Array; present: KvState }> {
        const total = pastLength + ids.length;
        const feeds: Record<string, Tensor> = {
            input_ids: int64(ids, [1, ids.length]),
            attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
        };
        if (this.layout.hasPositionIds)
            feeds.position_ids = int64(
                ids.map((_, i) => pastLength + i),
                [1, ids.length],
            );
        if (this.layout.hasLogitsToKeep) feeds.num_logits_to_keep = new Tensor('int64', BigInt64Array.of(1n), []);
        for (const [name, t] of past) feeds[name] = new Tensor('float32', t.data, t.dims as number[]);
        const out = await this.session.run(feeds);
        const logitsTensor = out.logits;
        const V = logitsTensor.dims[2];
        const rows = logitsTensor.dims[1];
        const all = logitsTensor.data as Float32Array;
        // Copy the last row so the (possibly large) full tensor can be freed.
        const logits = all.slice((rows - 1) * V, rows * V);
        this.releaseData(all);
        const present: KvState = new Map();
        this.layout.pastNames.forEach(([k, v], i) => {
            for (const [name, outName] of [
                [k, `present.${i}.key`],
                [v, `present.${i}.value`],
            ]) {
                const t = out[outName];
                if (!t)
                    throw new UnsupportedModelError(
                        `model package ${this.pkg.root}: the graph has no output ${outName}`,
                    );
                present.set(name, { data: t.data as Float32Array, dims: t.dims });
            }
        });
        return { logits, present };
    }

    /** Frees a tensor's buffer soon (batched): only for data nothing else holds (never the prefix cache's). */
    private releaseData(data: Float32Array): void {
        const buffer = ownBuffer(data);
        if (buffer) this.garbage.add(buffer);
    }

    private releaseKv(kv: KvState): void {
        for (const t of kv.values()) this.releaseData(t.data);
    }

    /** Runs `ids` after `past`: one pass when the graph keeps only the last logits, else in chunks (bounded memory). */
    private async prefill(ids: number[], past: KvState, pastLength: number) {
        const chunk = this.layout.hasLogitsToKeep ? ids.length : this.prefillChunk;
        let state: { logits: Float32Array; present: KvState } = { logits: new Float32Array(0), present: past };
        let done = 0;
        while (done < ids.length) {
            const part = ids.slice(done, done + chunk);
            const previous = state.present;
            state = await this.forward(part, previous, pastLength + done);
            // An intermediate chunk's cache is replaced by the next one (the caller's `past` may be the cache's own).
            if (previous !== past) this.releaseKv(previous);
            done += part.length;
        }
        return state;
    }

    /** Generates a completion, calling `onToken` as each token is sampled. */
    async generate(req: GenerateRequest, onToken: OnToken = () => {}): Promise<GenerateResult> {
        const contextLength = this.text.contextLength;
        validateGenerateRequest(req, contextLength);
        const promptIds =
            req.messages !== undefined ? this.text.encodeChat(req.messages) : this.text.encode(req.prompt!);
        if (promptIds.length === 0) throw new InvalidInputError('the prompt is empty (no tokens)');
        if (contextLength > 0 && promptIds.length >= contextLength) {
            throw new InvalidInputError(
                `the prompt has ${promptIds.length} tokens; the context length is ${contextLength}`,
            );
        }
        const maxTokens = contextLength > 0 ? Math.min(req.maxTokens, contextLength - promptIds.length) : req.maxTokens;
        const random = requestRandom(req.seed, req.requestId, promptIds.join(','));
        const endIds = new Set([...this.text.eosTokenIds, ...(req.stopTokenIds ?? [])]);
        const stops = req.stop ?? [];
        const holdBack = stops.length ? Math.max(...stops.map((s) => s.length)) - 1 : 0;
        const completion: number[] = [];
        const incremental = new IncrementalText((ids) => this.text.decode(ids));
        let visible = '';
        let streamed = '';
        let finish: FinishReason | undefined;
        let stopAt = -1;
        const interrupted = (): FinishReason | undefined => {
            if (req.signal?.aborted) return 'cancelled';
            if (req.deadlineMs !== undefined && Date.now() >= req.deadlineMs) return 'deadline';
            return undefined;
        };

        let cachedTokens = 0;
        let past = this.emptyPast();
        /** Whether `past` is (or shares buffers with) a prefix cache entry: then it is never released. */
        let pastInPrefixCache = false;
        // The ids `past` holds keys and values for.
        let pastIds: number[] = [];
        if (this.kvCache) {
            const hit = this.cache.lookup(promptIds, promptIds.length - 1);
            if (hit) {
                cachedTokens = hit.length;
                past = hit.kv;
                pastInPrefixCache = true; // a full-length hit shares the entry's buffers
            }
        }
        finish = interrupted();
        let logits: Float32Array = new Float32Array(0);
        if (!finish) {
            const state = this.kvCache
                ? await this.prefill(promptIds.slice(cachedTokens), past, cachedTokens)
                : await this.forward(promptIds, this.emptyPast(), 0);
            logits = state.logits;
            past = state.present;
            pastIds = promptIds;
            if (this.kvCache) this.cache.insert(pastIds, past);
            pastInPrefixCache = this.kvCache;
            await yieldToEventLoop();
        }
        while (!finish) {
            const tokenId = sampleToken(logits, req, random);
            completion.push(tokenId);
            visible += incremental.push(completion);
            if (endIds.has(tokenId)) finish = 'stop';
            else if (completion.length >= maxTokens) finish = 'length';
            if (stops.length) {
                const from = Math.max(0, streamed.length - holdBack);
                let best = -1;
                for (const s of stops) {
                    const at = visible.indexOf(s, from);
                    if (at >= 0 && (best < 0 || at < best)) best = at;
                }
                if (best >= 0) {
                    finish = 'stop';
                    stopAt = best;
                }
            }
            let upTo: number;
            if (stopAt >= 0) upTo = stopAt;
            else if (finish) {
                visible = this.text.decode(completion);
                upTo = visible.length;
            } else upTo = Math.max(streamed.length, visible.length - holdBack);
            const textDelta = visible.slice(streamed.length, upTo);
            streamed += textDelta;
            onToken({ index: completion.length - 1, tokenId, textDelta });
            if (finish) break;
            finish = interrupted();
            if (finish) break;
            const seq = [...promptIds, ...completion];
            const state = this.kvCache
                ? await this.forward([tokenId], past, seq.length - 1)
                : await this.forward(seq, this.emptyPast(), 0);
            logits = state.logits;
            // The cache this step replaced: garbage, unless the prefix cache keeps it.
            if (!pastInPrefixCache) this.releaseKv(past);
            pastInPrefixCache = false;
            past = state.present;
            pastIds = seq;
            await yieldToEventLoop();
            // A cancellation that arrived during this step stops here: the token it computed is never sampled.
            finish = interrupted();
        }
        if (this.kvCache && pastIds.length > promptIds.length) this.cache.insert(pastIds, past);
        const text = stopAt >= 0 ? visible.slice(0, stopAt) : this.text.decode(completion);
        return {
            promptTokenIds: promptIds,
            completionTokenIds: completion,
            text,
            finishReason: finish,
            usage: {
                promptTokens: promptIds.length,
                cachedTokens,
                completionTokens: completion.length,
                reasoningTokens: this.text.countReasoningTokens(promptIds, completion),
            },
        };
    }
}
