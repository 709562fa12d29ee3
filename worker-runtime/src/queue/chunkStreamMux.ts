import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ChrysalisError } from '../errors';
import { ChunkStreamReaderOptions, ChunkVerifier, OpenedChunk, streamKeys } from './chunkStream';
import { normalizeModelHash } from './naming';

type Entry = [id: string, fields: string[]];

interface Subscription {
    key: string;
    /** The last entry id fetched (XREAD's cursor for this stream). */
    lastId: string;
    /** Fetched, not yet taken by the reader. */
    entries: Entry[];
    /** Set when the shared XREAD failed: the reader throws it. */
    error: Error | null;
    /** Resolves the reader's wait (new entries, an error, its abort). */
    wake: (() => void) | null;
}

export interface ChunkStreamMuxOptions {
    /** Key prefix (the wake stream lives under it, like the chunk streams). */
    prefix: string;
    /** Longest single XREAD block (a reader's silence limits are timed locally, not by the block). */
    blockMs?: number;
    /** Entries fetched per stream per XREAD (XREAD COUNT). */
    batch?: number;
    /** A stream whose reader holds this many fetched entries is left out of the XREAD until it takes them. */
    maxBuffered?: number;
}

/**
 * The proxy's chunk-stream reader for every request it is streaming at once (docs/queue.md, "Streams"): ONE blocking
 * XREAD over all open streams on one connection, instead of one blocking XREAD (and one connection, one round trip,
 * one socket write) per stream per chunk. Under load one reply carries the chunks of several streams.
 *
 * A stream opened while the XREAD is blocked is added by waking it: the XREAD also watches a wake stream of this
 * reader's own (random name, expiring), to which `read` adds an entry. Unlike CLIENT UNBLOCK this cannot race with
 * the XREAD reaching Redis: the XREAD reads the wake stream from the last id it saw, so an entry added before it
 * arrives makes it return at once. The entries carry nothing; one forged by Redis only costs an extra XREAD.
 *
 * Every check stays per stream (ChunkVerifier: authenticated, bound to the request, exactly the next sequence
 * number) and every silence limit per reader. Memory is bounded: a reader that does not take its entries stops being
 * fetched for (maxBuffered). A single Redis only: XREAD over many keys needs them in one slot, so a cluster keeps one
 * readChunkStream per stream.
 */
export class ChunkStreamMux {
    private readonly subs = new Map<string, Subscription>();
    private readonly wakeKey: string;
    private readonly blockMs: number;
    private readonly batch: number;
    private readonly maxBuffered: number;
    private wakeLastId = '0-0';
    private running = false;
    private inFlight = false;
    private wakeSent = false;
    private closed = false;

    /**
     * @param reader a connection of its own (the XREAD blocks it)
     * @param writer any other connection (adds the wake entries)
     */
    constructor(
        private readonly reader: Redis,
        private readonly writer: Redis,
        options: ChunkStreamMuxOptions,
    ) {
        this.wakeKey = `${options.prefix}:chrysalis:streams-wake:${randomBytes(8).toString('hex')}`;
        this.blockMs = options.blockMs ?? 5000;
        this.batch = options.batch ?? 256;
        this.maxBuffered = options.maxBuffered ?? 1024;
    }

    /** Streams being read now. */
    get open(): number {
        return this.subs.size;
    }

    async close(): Promise<void> {
        this.closed = true;
        for (const s of this.subs.values()) this.fail(s, new ChrysalisError('the stream reader was closed'));
        // Not QUIT: it would wait behind the blocked XREAD (up to blockMs). Not a connection that has ended already
        // (broken, or closed by its owner): disconnect() on it leaves a 2 s timer behind (see closeRedisClient).
        if (this.reader.status !== 'end') this.reader.disconnect();
    }

    /**
     * Yields the stream's opened chunks in order, all that were fetched together in one batch, and stops after the
     * final one: the same checks and errors as readChunkStream (StreamIntegrityError,
     * StreamTruncatedError), and returns quietly once `options.signal` aborts.
     */
    async *batches<I = unknown, F = unknown>(options: ChunkStreamReaderOptions): AsyncGenerator<OpenedChunk<I, F>[]> {
        if (this.closed) throw new ChrysalisError('the stream reader is closed');
        const verifier = new ChunkVerifier<I, F>(options);
        const key = streamKeys(options.prefix, normalizeModelHash(options.modelHash), options.requestId).stream;
        if (this.subs.has(key)) throw new ChrysalisError(`the stream of ${options.requestId} is being read already`);
        const sub: Subscription = { key, lastId: '0-0', entries: [], error: null, wake: null };
        this.subs.set(key, sub);
        const onAbort = () => sub.wake?.();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        this.kick();
        let silentSince = Date.now();
        try {
            for (;;) {
                if (options.signal?.aborted) return;
                if (sub.error) throw sub.error;
                if (sub.entries.length === 0) {
                    const limit = verifier.silenceLimitMs(options);
                    const left = silentSince + limit - Date.now();
                    if (left <= 0) throw verifier.truncated(limit);
                    await new Promise<void>((resolve) => {
                        const timer = setTimeout(resolve, left);
                        sub.wake = () => {
                            clearTimeout(timer);
                            resolve();
                        };
                    });
                    sub.wake = null;
                    continue;
                }
                silentSince = Date.now();
                const entries = sub.entries;
                sub.entries = [];
                // It was left out of the XREAD while its backlog was full: back in.
                if (entries.length >= this.maxBuffered) this.kick();
                const chunks: OpenedChunk<I, F>[] = [];
                for (const [, fields] of entries) {
                    const chunk = verifier.accept(fields);
                    chunks.push(chunk);
                    if (chunk.kind === 'final') break;
                }
                yield chunks;
                if (chunks.at(-1)?.kind === 'final') return;
            }
        } finally {
            options.signal?.removeEventListener('abort', onAbort);
            this.subs.delete(key);
        }
    }

    /** {@link batches}, one chunk at a time. */
    async *read<I = unknown, F = unknown>(options: ChunkStreamReaderOptions): AsyncGenerator<OpenedChunk<I, F>> {
        for await (const batch of this.batches<I, F>(options)) yield* batch;
    }

    /** Starts the XREAD loop, or makes the blocked XREAD return so that the next one covers the current streams. */
    private kick(): void {
        if (!this.running) {
            void this.loop();
            return;
        }
        if (!this.inFlight || this.wakeSent) return;
        this.wakeSent = true;
        // MAXLEN 1: it holds at most one entry; it expires when this reader is gone.
        this.writer
            .pipeline()
            .xadd(this.wakeKey, 'MAXLEN', '1', '*', 'w', '1')
            .expire(this.wakeKey, Math.ceil((this.blockMs * 2) / 1000) + 60)
            .exec()
            .catch(() => undefined);
    }

    private fail(sub: Subscription, err: Error): void {
        sub.error = err;
        sub.wake?.();
    }

    private async loop(): Promise<void> {
        this.running = true;
        try {
            while (!this.closed && this.subs.size > 0) {
                const watched = [...this.subs.values()].filter((s) => s.entries.length < this.maxBuffered);
                this.inFlight = true;
                this.wakeSent = false;
                let res: [string, Entry[]][] | null;
                try {
                    res = (await this.reader.xread(
                        'COUNT',
                        this.batch,
                        'BLOCK',
                        this.blockMs,
                        'STREAMS',
                        this.wakeKey,
                        ...watched.map((s) => s.key),
                        this.wakeLastId,
                        ...watched.map((s) => s.lastId),
                    )) as [string, Entry[]][] | null;
                } catch (err) {
                    // The connection broke: every reader waiting on it hears it (as a lone XREAD would throw).
                    for (const s of watched) if (this.subs.get(s.key) === s) this.fail(s, err as Error);
                    await new Promise((r) => setTimeout(r, 50)); // not a hot loop while Redis is away
                    continue;
                } finally {
                    this.inFlight = false;
                }
                for (const [key, entries] of res ?? []) {
                    if (entries.length === 0) continue;
                    const last = entries[entries.length - 1][0];
                    if (key === this.wakeKey) {
                        this.wakeLastId = last;
                        continue;
                    }
                    const sub = this.subs.get(key);
                    if (!sub) continue; // its reader is gone
                    for (const e of entries) sub.entries.push(e);
                    sub.lastId = last;
                    sub.wake?.();
                }
                // After a reply, the next XREAD leaves at the end of this event-loop turn (the readers just woken
                // forward their chunks first, and the worker's writes of this turn reach Redis), so under load it
                // fetches more per round trip; its reply could not be handled before the next turn anyway.
                if (res) await new Promise((resolve) => setImmediate(resolve));
            }
        } finally {
            this.running = false;
        }
    }
}
