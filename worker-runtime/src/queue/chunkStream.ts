import { ChainableCommander, Redis } from 'ioredis';
import { open, seal } from '../crypto';
import { ChrysalisError, SealedPayloadError } from '../errors';
import { assertLength, SYMMETRIC_KEY_BYTES } from '../crypto/keys';
import { normalizeModelHash, queueNameForModel, validateRequestId } from './naming';

/**
 * A sealed, sequence-numbered, authenticated chunk stream from one worker to the proxy for one request, over a
 * per-request Redis Stream (docs/queue.md, "Streams"). Each entry is
 *
 *   s = sequence number (0, 1, 2, …)   f = 1 on the final chunk, else 0   c = base64 seal(queueKey, JSON body, AAD)
 *   AAD = "chrysalis/stream/v1" ‖ 0x00 ‖ modelHash ‖ 0x00 ‖ requestId ‖ 0x00 ‖ seq ‖ 0x00 ‖ final
 *
 * The clear `s` and `f` only say which AAD to try: a chunk moved to another request, renumbered or turned into a
 * final one fails authentication. The reader accepts exactly seq = previous + 1, so a replayed (seq ≤ previous),
 * reordered or dropped (seq > previous + 1) chunk is refused, and a stream that stops without its final chunk is
 * reported as truncated. Memory is bounded: entries are trimmed to `maxLen` (a trimmed, unread chunk shows up as a
 * gap, never as silence) and the key expires `ttlSeconds` after its last write.
 */

export class StreamIntegrityError extends ChrysalisError {
    constructor(
        readonly problem: 'foreign' | 'replayed' | 'gap' | 'malformed' | 'after_final',
        message: string,
    ) {
        super(message);
    }
}

/** The stream ended (idle for too long, or gone) before its final chunk. */
export class StreamTruncatedError extends ChrysalisError {
    constructor(
        message: string,
        /** Chunks accepted before the stream went silent. */
        readonly received: number,
    ) {
        super(message);
    }
}

export interface StreamKeys {
    stream: string;
    cancel: string;
}

/** Redis keys of one request's stream and cancel flag (the cancel key doubles as the pub/sub channel name). */
export function streamKeys(prefix: string, modelHash: string, requestId: string): StreamKeys {
    const base = `${prefix}:chrysalis:${queueNameForModel(modelHash)}`;
    const id = validateRequestId(requestId);
    return { stream: `${base}:stream:${id}`, cancel: `${base}:cancel:${id}` };
}

export function chunkAad(modelHash: string, requestId: string, seq: number, final: boolean): Buffer {
    return Buffer.from(`chrysalis/stream/v1\0${modelHash}\0${requestId}\0${seq}\0${final ? 1 : 0}`, 'utf8');
}

export interface StreamBinding {
    modelHash: string;
    requestId: string;
    queueKey: Uint8Array;
}

export interface ChunkStreamWriterOptions extends StreamBinding {
    prefix: string;
    /** Entries kept (approximate MAXLEN): bounds the memory a stream can take if its reader is gone. */
    maxLen?: number;
    /** The stream key expires this long after its last write. */
    ttlSeconds?: number;
}

export const DEFAULT_STREAM_MAX_LEN = 4096;
export const DEFAULT_STREAM_TTL_SECONDS = 600;

/**
 * The worker's side. `push(item)` queues an item and returns at once; items are written as soon as the previous
 * write has finished (after the first chunk: and the event-loop turn they arrived in has ended), all items that
 * arrived meanwhile in one chunk (so a token leaves the worker within one Redis round trip, and a Redis or an event
 * loop slower than the model costs fewer, larger chunks instead of a growing backlog). `finish(body)` writes the
 * pending items (a chunk of their own) and the final chunk in one round trip.
 */
export class ChunkStreamWriter<I = unknown, F = unknown> {
    readonly keys: StreamKeys;
    private readonly modelHash: string;
    private readonly queueKey: Buffer;
    private readonly maxLen: number;
    private readonly ttlSeconds: number;
    private seq = 0;
    private pending: I[] = [];
    private writing: Promise<void> | null = null;
    private failure: Error | null = null;
    private finished = false;
    private expiresRefreshedAt = 0;

    constructor(
        private readonly redis: Redis,
        private readonly options: ChunkStreamWriterOptions,
    ) {
        this.modelHash = normalizeModelHash(options.modelHash);
        assertLength(options.queueKey, SYMMETRIC_KEY_BYTES, 'queue key');
        this.queueKey = Buffer.from(options.queueKey);
        this.keys = streamKeys(options.prefix, this.modelHash, options.requestId);
        this.maxLen = options.maxLen ?? DEFAULT_STREAM_MAX_LEN;
        this.ttlSeconds = options.ttlSeconds ?? DEFAULT_STREAM_TTL_SECONDS;
    }

    /** Chunks written so far. */
    get chunks(): number {
        return this.seq;
    }

    /**
     * Queues an item; false once a write has failed (the stream is broken: the producer should stop), never throws,
     * since it is called from token callbacks that have no one to throw to. `finish` reports the failure.
     */
    push(item: I): boolean {
        if (this.finished) throw new ChrysalisError('push after finish on a chunk stream');
        if (this.failure) return false;
        this.pending.push(item);
        // The first chunk leaves at once (time to first token). Later ones wait for the end of this event-loop turn
        // (setImmediate: the auto-pipelined XADD would not leave before then anyway), so the tokens that arrived in
        // one turn, as when the event loop was busy, go in one chunk instead of one token and then the rest.
        if (!this.writing) this.writing = this.seq === 0 ? this.drain() : this.afterTurn().then(() => this.drain());
        return true;
    }

    /**
     * Writes what is pending, then the final chunk; resolves once Redis has it. `before` adds commands that Redis
     * runs in the same transaction, just before the final chunk's XADD, in one round trip (MULTI/EXEC: nothing runs
     * between them, and a command refused as it is queued, e.g. out of memory, discards all of it): what must be in
     * Redis before anyone can read the final chunk. Their keys must live with the stream's (a single Redis, not a
     * cluster: a transaction cannot span slots).
     */
    async finish(body: F, before?: (tx: ChainableCommander) => void): Promise<void> {
        this.finished = true;
        // The write in flight ends the drain (it takes no more pending items once finished); what is still pending
        // goes in the final chunk's round trip, as a chunk of its own just before it: the end of a stream costs one
        // round trip, not two.
        while (this.writing) await this.writing;
        if (this.failure) throw this.failure;
        const items = this.pending;
        this.pending = [];
        await this.write(
            [...(items.length > 0 ? [{ body: { items }, final: false }] : []), { body: { final: body }, final: true }],
            before,
        );
    }

    /** Resolves when every pushed item is in Redis. */
    async flushed(): Promise<void> {
        while (this.writing) await this.writing;
        if (this.failure) throw this.failure;
    }

    private afterTurn(): Promise<void> {
        return new Promise((resolve) => setImmediate(resolve));
    }

    private async drain(): Promise<void> {
        try {
            while (this.pending.length > 0 && !this.finished) {
                const items = this.pending;
                this.pending = [];
                await this.write([{ body: { items }, final: false }]);
            }
        } catch (err) {
            this.failure = err as Error;
        } finally {
            this.writing = null;
        }
    }

    /**
     * Writes chunks in order in one round trip. `before` runs just before the last one's XADD, in the same
     * transaction. A single chunk that neither starts the stream nor is due an expiry refresh is a lone XADD.
     */
    private async write(
        chunks: { body: unknown; final: boolean }[],
        before?: (tx: ChainableCommander) => void,
    ): Promise<void> {
        const first = this.seq === 0;
        const entries = chunks.map(({ body, final }) => {
            const seq = this.seq++;
            const aad = chunkAad(this.modelHash, this.options.requestId, seq, final);
            const sealed = seal(this.queueKey, Buffer.from(JSON.stringify(body), 'utf8'), aad).toString('base64');
            return ['MAXLEN', '~', this.maxLen, '*', 's', String(seq), 'f', final ? '1' : '0', 'c', sealed] as const;
        });
        const final = chunks[chunks.length - 1].final;
        const now = Date.now();
        // The first chunk creates the key with its expiry in one transaction (a stream never exists without a TTL);
        // later chunks are one XADD each, and push the expiry back in the same round trip once a quarter of it has
        // passed and on the final chunk.
        if (first || final || entries.length > 1 || now - this.expiresRefreshedAt >= (this.ttlSeconds * 1000) / 4) {
            // Several entries go in one command batch (never split: an auto-pipelined XADD could leave after it).
            const tx = first || before ? this.redis.multi() : this.redis.pipeline();
            entries.forEach((entry, i) => {
                if (i === entries.length - 1) before?.(tx);
                tx.xadd(this.keys.stream, ...entry);
            });
            const res = await tx.expire(this.keys.stream, this.ttlSeconds).exec();
            const failed = res?.find(([err]) => err);
            if (!res || failed) throw failed?.[0] ?? new ChrysalisError('Redis refused a stream write');
            this.expiresRefreshedAt = now;
            return;
        }
        await this.redis.xadd(this.keys.stream, ...entries[0]);
    }
}

export type OpenedChunk<I, F> = { seq: number; kind: 'items'; items: I[] } | { seq: number; kind: 'final'; final: F };

export interface ChunkStreamReaderOptions extends StreamBinding {
    prefix: string;
    /** How long to wait for the first chunk (the job may still be queued). */
    firstChunkTimeoutMs: number;
    /** How long the stream may stay silent after its first chunk before it counts as truncated. */
    idleTimeoutMs: number;
    /** Entries read per XREAD. */
    batch?: number;
    /** Stops waiting (e.g. the client left). */
    signal?: AbortSignal;
}

/**
 * The proxy's side: yields opened chunks in order and stops after the final one. `redis` must be a connection of
 * its own (XREAD BLOCK holds it). Throws {@link StreamIntegrityError} on the first chunk that is foreign, replayed,
 * out of order or after a gap, and {@link StreamTruncatedError} when the stream goes silent before its final chunk.
 */
export async function* readChunkStream<I = unknown, F = unknown>(
    redis: Redis,
    options: ChunkStreamReaderOptions,
): AsyncGenerator<OpenedChunk<I, F>> {
    const verifier = new ChunkVerifier<I, F>(options);
    const keys = streamKeys(options.prefix, normalizeModelHash(options.modelHash), options.requestId);
    let lastId = '0-0';
    let silentSince = Date.now();
    // Short blocks, so an abort or a deadline is noticed without a second connection to interrupt the XREAD.
    const slice = Math.max(1, Math.min(250, options.idleTimeoutMs));
    for (;;) {
        if (options.signal?.aborted) return;
        const res = (await redis.xread(
            'COUNT',
            options.batch ?? 256,
            'BLOCK',
            slice,
            'STREAMS',
            keys.stream,
            lastId,
        )) as [string, [string, string[]][]][] | null;
        const entries = res?.[0]?.[1] ?? [];
        if (entries.length === 0) {
            const limit = verifier.silenceLimitMs(options);
            if (Date.now() - silentSince >= limit) throw verifier.truncated(limit);
            continue;
        }
        silentSince = Date.now();
        for (const [id, fields] of entries) {
            lastId = id;
            const chunk = verifier.accept(fields);
            yield chunk;
            if (chunk.kind === 'final') return;
        }
    }
}

/**
 * The reader's checks on one stream, whoever fetched its entries (readChunkStream, or the proxy's multiplexed reader,
 * chunkStreamMux.ts): each entry must authenticate as exactly the next chunk of this request.
 */
export class ChunkVerifier<I, F> {
    /** The sequence number due next (= chunks accepted). */
    expected = 0;
    private readonly modelHash: string;

    constructor(private readonly binding: StreamBinding) {
        this.modelHash = normalizeModelHash(binding.modelHash);
        assertLength(binding.queueKey, SYMMETRIC_KEY_BYTES, 'queue key');
    }

    /** Opens an entry's fields; throws {@link StreamIntegrityError} unless it is the next chunk of this stream. */
    accept(fields: string[]): OpenedChunk<I, F> {
        const chunk = openEntry<I, F>(this.binding, this.modelHash, fields);
        if (chunk.seq < this.expected) {
            throw new StreamIntegrityError('replayed', `chunk ${chunk.seq} of ${this.binding.requestId} came again`);
        }
        if (chunk.seq > this.expected) {
            throw new StreamIntegrityError(
                'gap',
                `chunk ${this.expected} of ${this.binding.requestId} is missing (next was ${chunk.seq}): dropped or reordered`,
            );
        }
        this.expected++;
        return chunk;
    }

    /** How long the stream may stay silent now: before its first chunk, and after. */
    silenceLimitMs(t: { firstChunkTimeoutMs: number; idleTimeoutMs: number }): number {
        return this.expected === 0 ? t.firstChunkTimeoutMs : t.idleTimeoutMs;
    }

    truncated(limitMs: number): StreamTruncatedError {
        return new StreamTruncatedError(
            `the stream of ${this.binding.requestId} was silent for ${limitMs} ms after ${this.expected} chunk(s) ` +
                'without its final chunk (worker gone or Redis lost the stream)',
            this.expected,
        );
    }
}

function openEntry<I, F>(binding: StreamBinding, modelHash: string, fields: string[]): OpenedChunk<I, F> {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
    const seqText = map.get('s') ?? '';
    const finalText = map.get('f');
    const sealed = map.get('c');
    if (!/^\d{1,9}$/.test(seqText) || (finalText !== '0' && finalText !== '1') || sealed === undefined) {
        throw new StreamIntegrityError('malformed', `a stream entry of ${binding.requestId} is not a sealed chunk`);
    }
    const seq = Number(seqText);
    const final = finalText === '1';
    let plaintext: Buffer;
    try {
        plaintext = open(
            binding.queueKey,
            Buffer.from(sealed, 'base64'),
            chunkAad(modelHash, binding.requestId, seq, final),
        );
    } catch (err) {
        if (!(err instanceof SealedPayloadError)) throw err;
        throw new StreamIntegrityError(
            'foreign',
            `chunk ${seq} does not authenticate as chunk ${seq} of ${binding.requestId} (another request's, renumbered or tampered)`,
        );
    }
    const body = JSON.parse(plaintext.toString('utf8')) as { items?: I[]; final?: F };
    if (final) return { seq, kind: 'final', final: body.final as F };
    if (!Array.isArray(body.items)) {
        throw new StreamIntegrityError('malformed', `chunk ${seq} of ${binding.requestId} carries no items`);
    }
    return { seq, kind: 'items', items: body.items };
}

/** Deletes a finished stream (the reader's job once it has everything; otherwise it expires). */
export async function deleteChunkStream(redis: Redis, prefix: string, modelHash: string, requestId: string) {
    await redis.del(streamKeys(prefix, normalizeModelHash(modelHash), requestId).stream);
}
