/**
 * The worker's processors for generative models (docs/inference.md). A chat request streams its tokens to the proxy
 * as sealed chunks (queue/chunkStream.ts) and ends with a final chunk carrying the signed receipt; embeddings and
 * transcriptions answer through the sealed result like tensor models, with a receipt over their outputs.
 *
 * An honest worker never signs two different receipts for one request (that is slashable equivocation): sampling is
 * seeded from the request (the client's seed, else one derived from the request id), the worker keeps what it signed
 * (sealed under a key only it holds, bounded by an expiry) and answers a repeat with the stored answer, and a
 * streamed request that another worker has started is refused rather than run twice.
 */
import { Address } from '@ton/core';
import { Redis } from 'ioredis';
import { deriveSubkey, open, seal } from '../../crypto';
import { ed25519Signer } from '../../crypto/ed25519';
import { InvalidInputError, PermanentError } from '../../errors';
import { hashJson } from '../../protocol/canonical';
import {
    FinishReason,
    GenerationFinal,
    generationOutputHash,
    generationSummary,
    GenerationUsage,
    StreamedToken,
} from '../../protocol/generation';
import { buildReceiptCell, Receipt } from '../../protocol/receipt';
import { ANSWERED_BY_STREAM, JobRequest, ProcessContext } from '../../queue';
import { CancelWatcher } from '../../queue/cancel';
import { ChunkStreamWriter } from '../../queue/chunkStream';
import { requestIdToUint256 } from './jobProcessor';

/** The chat engine request (gen-engine's `generate(req, onToken)`). */
export interface EngineChatRequest {
    messages?: { role: string; content: string }[];
    prompt?: string;
    maxTokens: number;
    temperature?: number;
    topP?: number;
    topK?: number;
    seed?: number;
    stop?: string[];
    stopTokenIds?: number[];
    /** Seeds the sampler when `seed` is absent (the engine derives the seed from it). */
    requestId?: string;
    /** Absolute time (Date.now() milliseconds) after which generation stops at the next step. */
    deadlineMs?: number;
    signal?: AbortSignal;
}

export interface EngineChatResult {
    promptTokenIds: number[];
    completionTokenIds: number[];
    text: string;
    finishReason: FinishReason;
    usage: GenerationUsage;
}

export interface ChatEngineLike {
    generate(
        req: EngineChatRequest,
        onToken: (t: { index: number; tokenId: number; textDelta: string }) => void,
    ): Promise<EngineChatResult>;
}

export interface EmbedEngineLike {
    embed(inputs: string[]): Promise<{ embeddings: number[][]; promptTokens: number }>;
}

export interface TranscribeEngineLike {
    transcribe(
        pcm: Float32Array,
        opts: { maxTokens?: number },
    ): Promise<{ tokenIds: number[]; text: string; durationS: number }>;
}

/** What a client signs as the `inputs` of a generate request (snake_case, as the OpenAI API spells them). */
export interface GenerateInputs {
    messages?: { role: string; content: string }[];
    prompt?: string;
    max_tokens: number;
    temperature?: number;
    top_p?: number;
    top_k?: number;
    seed?: number;
    stop?: string[];
    stream?: boolean;
    /** Generation stops at the first step past this many ms after the proxy accepted the request ('deadline'). */
    timeout_ms?: number;
}

/** The sealed job of a chat request: the client's signed inputs and where to stream. */
export interface ChatJobInputs {
    task: 'chat';
    /** The client's request id (the receipt's); the job id is the stream id `<requestId>.<attempt>`. */
    requestId: string;
    inputs: GenerateInputs;
    /** Per-request deadline (unix ms) after which generation stops with finish reason 'deadline'. */
    deadlineAt?: number;
}

export interface EmbedJobInputs {
    task: 'embed';
    requestId: string;
    inputs: { input: string[] };
}

export interface TranscribeJobInputs {
    task: 'transcribe';
    requestId: string;
    /** The client's signed inputs: `{audio: base64 WAV, max_tokens?}`. */
    inputs: { audio: string; max_tokens?: number };
    /** The PCM the proxy decoded from the WAV (16 kHz mono float32, base64 little-endian). */
    pcm: string;
}

export type GenerativeJobInputs = ChatJobInputs | EmbedJobInputs | TranscribeJobInputs;

/** A streamed request that another worker already started: never run twice. */
export class StreamClaimedError extends PermanentError {}

export interface GenerativeProcessorDeps {
    redis: Redis;
    /**
     * The connection chunks are written on (default `redis`): one with auto-pipelining sends the chunks of every
     * stream written in one event-loop turn in one socket write.
     */
    streamRedis?: Redis;
    prefix: string;
    modelHash: string;
    /** The registry this worker follows (its WorkerStake's): every receipt is bound to it. */
    registry: Address;
    workerKey: { publicKey: Buffer; secretKey: Buffer };
    /** The queue key in use (chunks are sealed with it). */
    queueKey: () => Buffer;
    cancel: CancelWatcher;
    chat?: ChatEngineLike;
    embed?: EmbedEngineLike;
    transcribe?: TranscribeEngineLike;
    /** How long the worker remembers what it signed (default 7 days). */
    signedTtlSeconds?: number;
    /** How long a stream claim lasts (default 1 day). */
    claimTtlSeconds?: number;
}

export function engineRequest(inputs: GenerateInputs, requestId: string): EngineChatRequest {
    return {
        ...(inputs.messages ? { messages: inputs.messages } : { prompt: inputs.prompt ?? '' }),
        maxTokens: inputs.max_tokens,
        temperature: inputs.temperature ?? 0,
        topP: inputs.top_p,
        topK: inputs.top_k,
        // No seed: the engine derives one from the request id, so a repeat samples the same tokens.
        seed: inputs.seed,
        requestId,
        stop: inputs.stop,
    };
}

export function createGenerativeProcessor(deps: GenerativeProcessorDeps) {
    const workerKeyHex = deps.workerKey.publicKey.toString('hex');
    const sign = ed25519Signer(deps.workerKey.secretKey);
    // A key only this worker holds: what it stored of its signatures is useless to Redis.
    const storeKey = deriveSubkey(deps.workerKey.secretKey.subarray(0, 32), 'chrysalis/worker/signed-store/v1');
    const base = `${deps.prefix}:chrysalis:worker:${workerKeyHex}`;
    const signedKey = (requestId: string) => `${base}:signed:${requestId}`;
    const claimKey = (requestId: string) => `${deps.prefix}:chrysalis:claim:${deps.modelHash}:${requestId}`;
    const signedTtl = deps.signedTtlSeconds ?? 7 * 86400;

    function signReceipt(requestId: string, inputs: unknown, outputHash: bigint): string {
        const receipt: Receipt = {
            requestId: requestIdToUint256(requestId),
            modelHash: BigInt('0x' + deps.modelHash),
            registry: deps.registry,
            inputHash: hashJson(inputs),
            outputHash,
        };
        return sign(buildReceiptCell(receipt).hash()).toString('hex');
    }

    function openRemembered<T>(requestId: string, raw: Buffer | null): T | null {
        if (!raw) return null;
        return JSON.parse(open(storeKey, raw, Buffer.from(requestId)).toString('utf8')) as T;
    }

    async function remembered<T>(requestId: string): Promise<T | null> {
        return openRemembered<T>(requestId, await deps.redis.getBuffer(signedKey(requestId)));
    }

    const sealRemembered = (requestId: string, value: unknown) =>
        seal(storeKey, Buffer.from(JSON.stringify(value), 'utf8'), Buffer.from(requestId));

    async function remember(requestId: string, value: unknown): Promise<void> {
        await deps.redis.set(signedKey(requestId), sealRemembered(requestId, value), 'EX', signedTtl);
    }

    /**
     * Remembers a signed answer, then writes its final chunk: nobody sees the receipt before it is remembered, so a
     * crash after that point answers a repeat the same way. On one Redis both go in one transaction (one round trip
     * off the end of every stream); a cluster keeps them apart (the keys are in different slots), one after the
     * other.
     */
    async function rememberAndFinish(
        requestId: string,
        final: Extract<GenerationFinal, { ok: true }>,
        writer: ChunkStreamWriter<StreamedToken, GenerationFinal>,
    ): Promise<void> {
        if ((deps.streamRedis ?? deps.redis).isCluster) {
            await remember(requestId, final);
            await writer.finish(final);
            return;
        }
        const sealed = sealRemembered(requestId, final);
        await writer.finish(final, (tx) => tx.set(signedKey(requestId), sealed, 'EX', signedTtl));
    }

    async function chat(job: ChatJobInputs, streamId: string): Promise<typeof ANSWERED_BY_STREAM> {
        if (!deps.chat) throw new InvalidInputError('this worker serves no chat model');
        const writer = new ChunkStreamWriter<StreamedToken, GenerationFinal>(deps.streamRedis ?? deps.redis, {
            prefix: deps.prefix,
            modelHash: deps.modelHash,
            requestId: streamId,
            queueKey: deps.queueKey(),
        });
        // The cancel watch first (a local registration), then in one round trip: what it signed before, its claim on
        // the stream (SET NX GET: the previous holder) and the cancel key (a cancel sent before the watch began).
        // The generation starts while that round trip is in flight, so it hides behind tokenisation and prefill: its
        // tokens are held until the answers allow this worker to run the request, and it is dropped (never signed,
        // nothing written) when they do not.
        const watch = await deps.cancel.subscribe(writer.keys.cancel);
        // A stream that can no longer be written (Redis gone) stops the generation too: nobody can receive it.
        const broken = new AbortController();
        const refused = new AbortController();
        const send = (item: StreamedToken) => {
            if (!writer.push(item)) broken.abort();
        };
        let held: StreamedToken[] | null = [];
        const outcome = deps.chat
            .generate(
                {
                    ...engineRequest(job.inputs, job.requestId),
                    signal: AbortSignal.any([watch.signal, broken.signal, refused.signal]),
                    deadlineMs: job.deadlineAt,
                },
                (t) => {
                    const item = { i: t.index, id: t.tokenId, t: t.textDelta };
                    if (held) held.push(item);
                    else send(item);
                },
            )
            .then(
                (result) => ({ result }),
                (error: unknown) => ({ error }),
            );
        const drop = async () => {
            refused.abort();
            await outcome;
            await watch.stop();
        };
        let replies: [Error | null, unknown][] | null;
        try {
            replies = await deps.redis
                .pipeline()
                .getBuffer(signedKey(job.requestId))
                .set(claimKey(job.requestId), workerKeyHex, 'EX', deps.claimTtlSeconds ?? 86400, 'NX', 'GET')
                .exists(writer.keys.cancel)
                .exec();
        } catch (err) {
            await drop();
            throw err;
        }
        const failed = replies?.find(([err]) => err);
        if (!replies || failed) {
            await drop();
            throw failed?.[0] ?? new Error('Redis refused the stream setup');
        }
        const previous = openRemembered<Extract<GenerationFinal, { ok: true }>>(
            job.requestId,
            replies[0][1] as Buffer | null,
        );
        const holder = replies[1][1] as string | null;
        const cancelledBefore = replies[2][1] === 1;
        if (previous) {
            await drop();
            // A repeat: the answer this worker signed, token by token, never a second generation.
            previous.completionTokenIds.forEach((id, i) => writer.push({ i, id, t: i === 0 ? previous.text : '' }));
            await writer.finish({ ...previous, repeated: true });
            return ANSWERED_BY_STREAM;
        }
        if (holder !== null && holder !== workerKeyHex) {
            await drop();
            const err = new StreamClaimedError(`request ${job.requestId} was started by another worker`);
            await writer.finish({
                ok: false,
                name: err.name,
                message: err.message,
                permanent: true,
                workerKey: workerKeyHex,
            });
            throw err;
        }
        if (cancelledBefore) refused.abort();
        try {
            if (cancelledBefore) {
                await outcome;
                throw new InvalidInputError('the request was cancelled before it started');
            }
            for (const item of held) send(item);
            held = null;
            const settled = await outcome;
            if ('error' in settled) throw settled.error;
            const { result } = settled;
            if (broken.signal.aborted) await writer.flushed(); // throws the write failure
            const summary = generationSummary({
                promptTokens: result.promptTokenIds.length,
                completionTokenIds: result.completionTokenIds,
                text: result.text,
                finishReason: result.finishReason,
                usage: result.usage,
            });
            const final: Extract<GenerationFinal, { ok: true }> = {
                ok: true,
                promptTokens: result.promptTokenIds.length,
                completionTokenIds: result.completionTokenIds,
                text: result.text,
                finishReason: result.finishReason,
                usage: summary.usage,
                workerKey: workerKeyHex,
                signature: signReceipt(job.requestId, job.inputs, generationOutputHash(summary)),
            };
            await rememberAndFinish(job.requestId, final, writer);
            return ANSWERED_BY_STREAM;
        } catch (err) {
            const e = err as Error & { permanent?: boolean };
            await writer
                .finish({
                    ok: false,
                    name: e.name ?? 'Error',
                    message: e.message ?? String(err),
                    permanent: e.permanent === true,
                    workerKey: workerKeyHex,
                })
                .catch(() => undefined);
            throw err;
        } finally {
            await watch.stop();
        }
    }

    async function embed(job: EmbedJobInputs) {
        if (!deps.embed) throw new InvalidInputError('this worker serves no embedding model');
        const previous = await remembered<Record<string, unknown>>(job.requestId);
        if (previous) return previous;
        const out = await deps.embed.embed(job.inputs.input);
        const outputs = { embeddings: out.embeddings, promptTokens: out.promptTokens };
        const result = {
            outputs,
            workerKey: workerKeyHex,
            signature: signReceipt(job.requestId, job.inputs, hashJson(outputs)),
        };
        await remember(job.requestId, result);
        return result;
    }

    async function transcribe(job: TranscribeJobInputs) {
        if (!deps.transcribe) throw new InvalidInputError('this worker serves no speech-to-text model');
        const previous = await remembered<Record<string, unknown>>(job.requestId);
        if (previous) return previous;
        const bytes = Buffer.from(job.pcm, 'base64');
        const pcm = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        const out = await deps.transcribe.transcribe(pcm, { maxTokens: job.inputs.max_tokens });
        const outputs = { tokenIds: out.tokenIds, text: out.text, durationS: out.durationS };
        const result = {
            outputs,
            workerKey: workerKeyHex,
            signature: signReceipt(job.requestId, job.inputs, hashJson(outputs)),
        };
        await remember(job.requestId, result);
        return result;
    }

    return async (request: JobRequest<unknown>, context: ProcessContext): Promise<unknown> => {
        const job = request.inputs as GenerativeJobInputs;
        if (!job || typeof job !== 'object' || typeof job.requestId !== 'string') {
            throw new InvalidInputError('a generative job carries {task, requestId, inputs}');
        }
        if (job.task === 'chat') return chat(job, context.requestId);
        if (job.task === 'embed') return embed(job);
        if (job.task === 'transcribe') return transcribe(job);
        throw new InvalidInputError(`unknown generative task ${String((job as { task?: unknown }).task)}`);
    };
}
