/**
 * The proxy's generative request path (docs/proxy.md, "Generative endpoints"), independent of HTTP: admit (shape,
 * signature, funds — the same as /v1/infer), check the inputs, count the prompt, reserve the maximum cost, queue the
 * sealed job, read the sealed chunk stream (forwarding each token as it arrives), check the worker's receipt and the
 * usage against its own counts, charge, release the reservation.
 */
import { Address } from '@ton/core';
import { Redis } from 'ioredis';
import { Logger } from '../../../observability';
import {
    FinishReason,
    GenerationFinal,
    generationOutputHash,
    generationSummary,
    StreamedToken,
} from '../../../protocol/generation';
import { Receipt } from '../../../protocol/receipt';
import { TokenCounts } from '../../../protocol/voucher';
import { requestCancel } from '../../../queue/cancel';
import {
    ChunkStreamReaderOptions,
    OpenedChunk,
    readChunkStream,
    StreamIntegrityError,
    streamKeys,
    StreamTruncatedError,
} from '../../../queue/chunkStream';
import { ChunkStreamMux } from '../../../queue/chunkStreamMux';
import { isCluster } from '../../../queue/connection';
import { ChatJobInputs, EmbedJobInputs, GenerateInputs, TranscribeJobInputs } from '../../worker/generative';
import { requestIdToUint256 } from '../../worker/jobProcessor';
import { hashJson } from '../../../protocol/canonical';
import { speechWindows } from '../../../inference/generative/speechModel';
import { AccountSnapshot } from '../accounts';
import { ProxyConfig } from '../config';
import { Dispatcher } from '../dispatcher';
import { ProxyRefusal, refuse } from '../errors';
import { Reservations } from '../reservations';
import type { SignedBody } from './routes';
import { InferenceService, ServedModel } from '../service';
import { VoucherJson, VoucherSigner } from '../vouchers';
import { checkReceipt, ReceiptJson, WorkerAdmissionPort } from '../workers';
import { parseEmbedInputs, parseGenerateInputs, parseTranscribeInputs } from './inputs';
import {
    billedCounts,
    GenerativeModelInfo,
    maxChatUnits,
    maxUnitsOf,
    MeteredUsage,
    promptTokenIds,
    reasoningTokens,
} from './metering';

/** Usage as the endpoints report it (OpenAI's totals: cached ⊂ prompt, reasoning ⊂ completion). */
export interface UsageJson {
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    reasoningTokens: number;
    totalTokens: number;
}

/** What a generation's billing says, in every answer (a failed stream's error event too). */
export interface BillingJson {
    usage: UsageJson;
    /** Billing units this request added to the account's cumulative voucher (decimal string). */
    units: string;
    /** units × the price per unit, in nanoTON (decimal string). */
    costNanoton: string;
    voucher: VoucherJson;
}

export interface GenerateResponse extends BillingJson {
    requestId: string;
    model: string;
    text: string;
    completionTokenIds: number[];
    finishReason: FinishReason;
    receipt: ReceiptJson;
    workerKey: string;
}

export interface GenerateError {
    error: string;
    message: string;
    /** Present when tokens had been delivered: what was billed for them. */
    billing?: BillingJson;
}

export interface DeltaJson {
    /** Index of the first token in the completion. */
    index: number;
    tokenIds: number[];
    text: string;
}

/** Where a generation's tokens go while they arrive (SSE, or nothing for a JSON answer). */
export interface GenerationSink {
    stream: boolean;
    onDelta(delta: DeltaJson): void;
    /** Fires when the client has gone: the worker is told to stop. */
    clientGone?: AbortSignal;
}

export type GenerateOutcome =
    { ok: true; response: GenerateResponse } | { ok: false; error: GenerateError; status: number };

export interface GenerativeDeps {
    service: InferenceService;
    dispatcher: Dispatcher;
    admission: WorkerAdmissionPort;
    reservations: Reservations;
    signer: VoucherSigner;
    redis: Redis;
    config: ProxyConfig;
    logger: Logger;
    /** The registry of this proxy's Proxy contract: worker receipts must be bound to it. */
    registry: Address;
    /** Served generative models, by hash, with what the proxy loaded of each (tokenizer, template). */
    info: Map<string, GenerativeModelInfo>;
}

const toUsage = (u: MeteredUsage): UsageJson => ({ ...u, totalTokens: u.promptTokens + u.completionTokens });

export class GenerativeService {
    /** Cluster only: connections for one blocking reader per stream. */
    private readonly readers: Redis[] = [];
    /** A single Redis: one blocking XREAD for every stream this proxy reads (created on first use). */
    private muxReader: ChunkStreamMux | null | undefined;

    constructor(private readonly d: GenerativeDeps) {}

    private get mux(): ChunkStreamMux | null {
        if (this.muxReader === undefined) {
            this.muxReader = isCluster(this.d.redis)
                ? null
                : new ChunkStreamMux(this.d.redis.duplicate(), this.d.redis, { prefix: this.d.config.prefix });
        }
        return this.muxReader;
    }

    async close(): Promise<void> {
        await Promise.allSettled([
            ...this.readers.splice(0).map((r) => r.quit()),
            ...(this.muxReader ? [this.muxReader.close()] : []),
        ]);
    }

    /**
     * Everything that can refuse a generation before it starts (shape, signature, funds, inputs, context, the
     * reservation). Throws ProxyRefusal; on success the reservation is held and `run` must follow.
     */
    async prepare(body: SignedBody) {
        const { req, model, account, log, digest } = await this.d.service.admit(body.raw, body.auth, {
            generative: true,
        });
        const info = this.info(model, 'chat');
        const inputs = parseGenerateInputs(req.inputs);
        // The deadline runs from acceptance: the queue wait counts against it.
        const deadlineAt = inputs.timeout_ms !== undefined ? Date.now() + inputs.timeout_ms : undefined;
        const prompt = promptTokenIds(info, inputs);
        if (prompt.length >= info.contextLength) {
            refuse('prompt_too_long', `the prompt is ${prompt.length} tokens; the context is ${info.contextLength}`);
        }
        if (prompt.length + inputs.max_tokens > info.contextLength) {
            refuse(
                'bad_max_tokens',
                `prompt (${prompt.length}) + max_tokens (${inputs.max_tokens}) exceeds the context (${info.contextLength})`,
            );
        }
        await this.reserve(
            req.requestId,
            account,
            digest,
            maxChatUnits(prompt.length, inputs.max_tokens, this.d.signer.multipliersBps),
        );
        return { req, model, info, inputs, prompt, account, log, deadlineAt };
    }

    async run(
        prepared: Awaited<ReturnType<GenerativeService['prepare']>>,
        sink: GenerationSink,
    ): Promise<GenerateOutcome> {
        const { req, account } = prepared;
        try {
            return await this.generate(prepared, sink);
        } finally {
            // Not waited for: the answer goes out one round trip earlier. It is sent before anything this proxy sends
            // for the account's next request, and commands on one connection run in order, so the next reservation
            // here never counts this one; meanwhile the reservation only makes the budget look smaller, never larger.
            void this.d.reservations.release(account.address.toRawString(), req.requestId).catch(() => undefined);
        }
    }

    private async generate(
        p: Awaited<ReturnType<GenerativeService['prepare']>>,
        sink: GenerationSink,
    ): Promise<GenerateOutcome> {
        const { req, model, info, inputs, prompt, account, log, deadlineAt } = p;
        const attempts = sink.stream ? 1 : this.d.config.maxAttempts;
        let lastProblem = 'no worker took the request';
        for (let attempt = 1; attempt <= attempts; attempt++) {
            const streamId = `${req.requestId}.${attempt}`;
            const job: ChatJobInputs = { task: 'chat', requestId: req.requestId, inputs, deadlineAt };
            const { queueKey } = await this.d.dispatcher.enqueue(model.hash, streamId, job);
            const keys = streamKeys(this.d.config.prefix, model.hash, streamId);
            const onGone = () => void requestCancel(this.d.redis, keys.cancel).catch(() => undefined);
            if (sink.clientGone?.aborted) onGone();
            else sink.clientGone?.addEventListener('abort', onGone, { once: true });
            const ids: number[] = [];
            let text = '';
            let final: GenerationFinal | null = null;
            let problem: Error | null = null;
            let silentWorker: string | null = null;
            try {
                for await (const batch of this.chunks<StreamedToken, GenerationFinal>({
                    prefix: this.d.config.prefix,
                    modelHash: model.hash,
                    requestId: streamId,
                    queueKey,
                    firstChunkTimeoutMs: this.d.config.resultTimeoutMs,
                    idleTimeoutMs: this.d.config.streamIdleTimeoutMs,
                })) {
                    // The chunks fetched together go to the client as one delta (fewer, larger events under load);
                    // what was accepted before a bad chunk is still delivered (and billed), a bad chunk not at all.
                    const first = ids.length;
                    let deltaText = '';
                    try {
                        for (const chunk of batch) {
                            if (chunk.kind === 'final') {
                                final = chunk.final;
                                break;
                            }
                            chunk.items.forEach((t, k) => {
                                if (t.i !== ids.length + k || !Number.isInteger(t.id) || typeof t.t !== 'string') {
                                    throw new StreamIntegrityError(
                                        'malformed',
                                        `token ${t.i} arrived where ${ids.length + k} was due`,
                                    );
                                }
                            });
                            for (const t of chunk.items) {
                                ids.push(t.id);
                                deltaText += t.t;
                            }
                        }
                    } finally {
                        text += deltaText;
                        if (ids.length > first) {
                            sink.onDelta({ index: first, tokenIds: ids.slice(first), text: deltaText });
                        }
                    }
                    if (final) break;
                }
            } catch (err) {
                if (!(err instanceof StreamIntegrityError || err instanceof StreamTruncatedError)) throw err;
                problem = err;
            } finally {
                sink.clientGone?.removeEventListener('abort', onGone);
            }
            // Cleanup only (the stream expires anyway, and a retry streams under another id): not waited for.
            void this.d.redis.del(keys.stream).catch(() => undefined);

            if (final?.ok) {
                const checked = await this.checkFinal(p, final, ids, text);
                if (checked.ok) {
                    if (final.text.length > text.length) {
                        sink.onDelta({ index: ids.length, tokenIds: [], text: final.text.slice(text.length) });
                    }
                    const usage: MeteredUsage = {
                        promptTokens: prompt.length,
                        cachedTokens: Math.min(final.usage.cachedTokens, prompt.length),
                        completionTokens: ids.length,
                        reasoningTokens: reasoningTokens(info, prompt, ids),
                    };
                    const billing = await this.bill(
                        model,
                        req.requestId,
                        account,
                        checked.owner,
                        checked.receipt,
                        final.workerKey,
                        usage,
                        { finishReason: final.finishReason },
                    );
                    log.info({ tokens: ids.length, finishReason: final.finishReason }, 'generation served');
                    return {
                        ok: true,
                        response: {
                            requestId: req.requestId,
                            model: model.hash,
                            text: final.text,
                            completionTokenIds: ids,
                            finishReason: final.finishReason,
                            receipt: checked.receipt,
                            workerKey: final.workerKey,
                            ...billing,
                        },
                    };
                }
                lastProblem = checked.problem;
                await this.d.service.penalise(final.workerKey, 'failure', 0, lastProblem, log);
            } else if (final && !final.ok) {
                lastProblem = `${final.name}: ${final.message}`;
                if (final.permanent && ids.length === 0) {
                    return { ok: false, status: 400, error: { error: 'invalid_input', message: lastProblem } };
                }
            } else {
                lastProblem = problem?.message ?? 'the stream ended without a final chunk';
                // Who took the job (BullMQ's processedBy), read before the job is taken back and removed.
                silentWorker = await this.d.dispatcher.takenBy(model.hash, streamId).catch(() => null);
                await this.d.dispatcher.abandon(model.hash, streamId).catch(() => undefined);
                if (silentWorker) await this.d.service.penalise(silentWorker, 'failure', 0, lastProblem, log);
            }
            if (ids.length > 0 || sink.stream) {
                // Tokens reached the client (or may have): never replayed elsewhere; billed for what was delivered.
                const worker = final?.workerKey ?? silentWorker;
                const billing =
                    ids.length > 0 && worker
                        ? await this.billDelivered(p, worker, ids, lastProblem).catch(() => undefined)
                        : undefined;
                return {
                    ok: false,
                    status: 502,
                    error: {
                        error: 'worker_failed',
                        message: `the generation broke off: ${lastProblem}`,
                        ...(billing ? { billing } : {}),
                    },
                };
            }
            log.warn({ attempt, problem: lastProblem }, 'generation attempt failed, retrying');
        }
        return {
            ok: false,
            status: 503,
            error: {
                error: 'no_worker',
                message: `the request could not be served after ${attempts} attempt(s): ${lastProblem}`,
            },
        };
    }

    /** The final chunk against what the proxy saw and counted; the receipt it signed, recomputed and verified. */
    private async checkFinal(
        p: Awaited<ReturnType<GenerativeService['prepare']>>,
        final: Extract<GenerationFinal, { ok: true }>,
        ids: number[],
        text: string,
    ): Promise<{ ok: true; receipt: ReceiptJson; owner: Address } | { ok: false; problem: string }> {
        const { model, info, inputs, prompt, req } = p;
        if (final.completionTokenIds.length !== ids.length || final.completionTokenIds.some((id, i) => id !== ids[i])) {
            return { ok: false, problem: 'the final chunk names other completion ids than were streamed' };
        }
        // The streamed text is a prefix of the final one (a stopped generation may hold back a partial character).
        if (!final.text.startsWith(text)) return { ok: false, problem: 'the streamed text is not the final text' };
        const decoded = info.processor!.decode(ids);
        if (decoded !== final.text && !(inputs.stop && decoded.startsWith(final.text))) {
            return { ok: false, problem: 'the text does not decode from the streamed ids' };
        }
        if (final.promptTokens !== prompt.length) {
            return {
                ok: false,
                problem: `the worker ran a prompt of ${final.promptTokens} tokens, not ${prompt.length}`,
            };
        }
        if (final.usage.completionTokens !== ids.length || final.usage.promptTokens !== prompt.length) {
            return { ok: false, problem: 'the usage does not count the prompt and the streamed ids' };
        }
        // The signed usage is the usage the client gets: reasoning as the proxy counts it, cached within the prompt.
        if (final.usage.reasoningTokens !== reasoningTokens(info, prompt, ids)) {
            return { ok: false, problem: 'the reported reasoning tokens differ from the think span count' };
        }
        if (final.usage.cachedTokens < 0 || final.usage.cachedTokens > prompt.length) {
            return { ok: false, problem: 'the reported cached tokens exceed the prompt' };
        }
        const admitted = await this.d.admission.admittedWorker(final.workerKey);
        if (!admitted || admitted.modelHash !== model.hash) {
            return {
                ok: false,
                problem: `worker ${final.workerKey.slice(0, 16)}… holds no current grant for this model`,
            };
        }
        const summary = generationSummary({
            promptTokens: final.promptTokens,
            completionTokenIds: ids,
            // The signed text: a cancelled or timed-out generation may end with a tail the deltas held back (a
            // partial character), which the proxy forwards as a last delta.
            text: final.text,
            finishReason: final.finishReason,
            usage: final.usage,
        });
        const receipt: Receipt = {
            requestId: requestIdToUint256(req.requestId),
            modelHash: BigInt('0x' + model.hash),
            registry: this.d.registry,
            inputHash: hashJson(req.inputs),
            outputHash: generationOutputHash(summary),
        };
        const json = checkReceipt(receipt, { outputs: {}, workerKey: final.workerKey, signature: final.signature });
        if (!json) return { ok: false, problem: 'the receipt does not verify' };
        return { ok: true, receipt: json, owner: admitted.owner };
    }

    private async billDelivered(
        p: Awaited<ReturnType<GenerativeService['prepare']>>,
        workerKey: string,
        ids: number[],
        problem: string,
    ) {
        const admitted = await this.d.admission.admittedWorker(workerKey);
        if (!admitted) return undefined;
        const usage: MeteredUsage = {
            promptTokens: p.prompt.length,
            cachedTokens: 0,
            completionTokens: ids.length,
            reasoningTokens: reasoningTokens(p.info, p.prompt, ids),
        };
        return this.bill(p.model, p.req.requestId, p.account, admitted.owner, null, workerKey, usage, {
            broken: true,
            problem,
        });
    }

    private async bill(
        model: ServedModel,
        requestId: string,
        account: AccountSnapshot,
        owner: Address,
        receipt: ReceiptJson | null,
        workerKey: string,
        usage: MeteredUsage,
        extra: Record<string, unknown> = {},
    ): Promise<BillingJson> {
        const counts = billedCounts(usage);
        const charged = await this.d.service.charge(
            model,
            requestId,
            account.address,
            owner,
            receipt,
            workerKey,
            counts,
            account.price,
            {
                usage: toUsage(usage),
                ...extra,
            },
        );
        return {
            usage: toUsage(usage),
            units: charged.units.toString(),
            costNanoton: charged.costNanoton.toString(),
            voucher: charged.voucher,
        };
    }

    /** POST /v1/embed: the proxy counts the input tokens itself; the worker's receipt covers the embeddings. */
    async embed(body: SignedBody) {
        const { req, model, account, log, digest } = await this.d.service.admit(body.raw, body.auth, {
            generative: true,
        });
        const info = this.info(model, 'text-embedding');
        const inputs = parseEmbedInputs(req.inputs, this.d.config.maxEmbedInputs);
        const counts = inputs.input.map((s) => info.processor!.encode(s).length);
        const longest = Math.max(...counts);
        if (longest > info.contextLength) {
            refuse('prompt_too_long', `an input is ${longest} tokens; the model takes ${info.contextLength}`);
        }
        const promptTokens = counts.reduce((a, b) => a + b, 0);
        const tokenCounts: TokenCounts = { prompt: BigInt(promptTokens), cached: 0n, completion: 0n, reasoning: 0n };
        await this.reserve(req.requestId, account, digest, maxUnitsOf(tokenCounts, this.d.signer.multipliersBps));
        try {
            const job: EmbedJobInputs = { task: 'embed', requestId: req.requestId, inputs };
            const { result, receipt, owner } = await this.d.service.run(model, req.requestId, job, log, inputs);
            const outputs = result.outputs as unknown as { embeddings: number[][] };
            const billing = await this.bill(model, req.requestId, account, owner, receipt, result.workerKey, {
                promptTokens,
                cachedTokens: 0,
                completionTokens: 0,
                reasoningTokens: 0,
            });
            return {
                requestId: req.requestId,
                model: model.hash,
                embeddings: outputs.embeddings,
                receipt,
                workerKey: result.workerKey,
                ...billing,
            };
        } finally {
            await this.d.reservations.release(account.address.toRawString(), req.requestId).catch(() => undefined);
        }
    }

    /** POST /v1/transcribe: billed ⌈audio seconds⌉ (the proxy's own count of samples) + the output ids. */
    async transcribe(body: SignedBody) {
        const { req, model, account, log, digest } = await this.d.service.admit(body.raw, body.auth, {
            generative: true,
        });
        this.info(model, 'speech-to-text');
        const { inputs, audio } = parseTranscribeInputs(req.inputs, this.d.config.maxAudioSeconds);
        const seconds = Math.ceil(audio.durationS);
        const maxTokens = inputs.max_tokens ?? 448;
        const ceiling: TokenCounts = {
            prompt: BigInt(seconds),
            cached: 0n,
            // At most max_tokens per window; overlapping windows merge into no more ids than they generated.
            completion: BigInt(maxTokens * speechWindows(audio.pcm.length).length),
            reasoning: 0n,
        };
        await this.reserve(req.requestId, account, digest, maxUnitsOf(ceiling, this.d.signer.multipliersBps));
        try {
            const pcm = Buffer.from(audio.pcm.buffer, audio.pcm.byteOffset, audio.pcm.byteLength).toString('base64');
            const job: TranscribeJobInputs = { task: 'transcribe', requestId: req.requestId, inputs, pcm };
            const { result, receipt, owner } = await this.d.service.run(model, req.requestId, job, log, inputs);
            const outputs = result.outputs as unknown as { tokenIds: number[]; text: string; durationS: number };
            const billing = await this.bill(model, req.requestId, account, owner, receipt, result.workerKey, {
                promptTokens: seconds,
                cachedTokens: 0,
                completionTokens: outputs.tokenIds.length,
                reasoningTokens: 0,
            });
            return {
                requestId: req.requestId,
                model: model.hash,
                text: outputs.text,
                tokenIds: outputs.tokenIds,
                durationS: audio.durationS,
                audioSeconds: seconds,
                receipt,
                workerKey: result.workerKey,
                ...billing,
            };
        } finally {
            await this.d.reservations.release(account.address.toRawString(), req.requestId).catch(() => undefined);
        }
    }

    private info(model: ServedModel, task: GenerativeModelInfo['task']): GenerativeModelInfo {
        const info = this.d.info.get(model.hash);
        if (!info || info.task !== task) {
            refuse('wrong_task', `model ${model.hash} is a ${info?.task ?? model.kind} model, not ${task}`);
        }
        return info;
    }

    /**
     * Reserves `units` against charged + ⌊balance / price⌋ (the one reservations ledger the tensor path uses too), or
     * refuses: 402 when the account cannot pay, 409 when the request id is in flight already. A generation is not
     * joined as a repeated tensor request is: its chunks stream to the connection that started it.
     */
    private async reserve(requestId: string, account: AccountSnapshot, digest: string, units: bigint): Promise<void> {
        const reserved = await this.d.service.reserve(requestId, account.address, account, digest, units);
        if (!reserved) {
            refuse('request_id_conflict', `request id ${requestId} is in flight already: use a new id`);
        }
    }

    /**
     * A stream's chunks, in batches: through the one multiplexed reader on a single Redis, or (a cluster: XREAD over
     * many keys needs one slot) one readChunkStream on a pooled connection of its own.
     */
    private async *chunks<I, F>(options: ChunkStreamReaderOptions): AsyncGenerator<OpenedChunk<I, F>[]> {
        if (this.mux) {
            yield* this.mux.batches<I, F>(options);
            return;
        }
        const reader = this.readers.pop() ?? this.d.redis.duplicate();
        try {
            for await (const chunk of readChunkStream<I, F>(reader, options)) yield [chunk];
        } finally {
            if (this.readers.length < 64) this.readers.push(reader);
            else void reader.quit().catch(() => undefined);
        }
    }
}
