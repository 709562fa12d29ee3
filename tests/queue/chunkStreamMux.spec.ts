/**
 * The proxy's multiplexed chunk-stream reader (one blocking XREAD over every open stream) on a real Redis: many
 * streams at once, one opened while the XREAD blocks, one abandoned mid-stream, a reader that falls behind, the same
 * refusals as a lone reader, and a connection that breaks.
 */
import { Redis } from 'ioredis';
import { createQueueKey } from '../../worker-runtime/src/queue';
import {
    ChunkStreamWriter,
    OpenedChunk,
    StreamIntegrityError,
    streamKeys,
    StreamTruncatedError,
} from '../../worker-runtime/src/queue/chunkStream';
import { ChunkStreamMux } from '../../worker-runtime/src/queue/chunkStreamMux';
import { deleteKeysUnder, keysUnder, randomModelHash, REDIS_URL, requestId, uniquePrefix } from './helpers';
import { rejection } from '../fixtures/rejection';

const prefix = uniquePrefix('chunkmux');
const redis = new Redis(REDIS_URL);
const modelHash = randomModelHash();
const queueKey = createQueueKey();
const timeouts = { firstChunkTimeoutMs: 3000, idleTimeoutMs: 500 };
const muxes: ChunkStreamMux[] = [];

function newMux(options: { blockMs?: number; maxBuffered?: number } = {}) {
    const mux = new ChunkStreamMux(new Redis(REDIS_URL), redis, { prefix, ...options });
    muxes.push(mux);
    return mux;
}

afterAll(async () => {
    await Promise.all(muxes.map((m) => m.close()));
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
});

type Item = { id: number };
type Final = { done: true };
const writer = (id: string) =>
    new ChunkStreamWriter<Item, Final>(redis, { prefix, modelHash, requestId: id, queueKey });

async function readAll(mux: ChunkStreamMux, id: string, signal?: AbortSignal): Promise<OpenedChunk<Item, Final>[]> {
    const chunks: OpenedChunk<Item, Final>[] = [];
    for await (const c of mux.read<Item, Final>({ prefix, modelHash, requestId: id, queueKey, signal, ...timeouts })) {
        chunks.push(c);
    }
    return chunks;
}

const itemsOf = (chunks: OpenedChunk<Item, Final>[]) =>
    chunks.flatMap((c) => (c.kind === 'items' ? c.items.map((x) => x.id) : []));

/** Writes `n` items, one chunk each (waiting for each write), then the final chunk. */
async function writeItems(id: string, n: number, pause = 0) {
    const w = writer(id);
    for (let i = 0; i < n; i++) {
        w.push({ id: i });
        await w.flushed();
        if (pause) await new Promise((r) => setTimeout(r, pause));
    }
    await w.finish({ done: true });
}

test('many streams at once through one connection: each gets its own chunks, in order, then its final', async () => {
    const mux = newMux();
    const ids = Array.from({ length: 40 }, (_, i) => requestId(`many${i}`));
    const reading = ids.map((id) => readAll(mux, id));
    expect(mux.open).toBe(40);
    await Promise.all(ids.map((id, i) => writeItems(id, 5 + (i % 7))));
    const results = await Promise.all(reading);
    results.forEach((chunks, i) => {
        expect(itemsOf(chunks)).toEqual([...Array(5 + (i % 7)).keys()]);
        expect(chunks.map((c) => c.seq)).toEqual([...Array(chunks.length).keys()]);
        expect(chunks.at(-1)).toMatchObject({ kind: 'final', final: { done: true } });
    });
    expect(mux.open).toBe(0);
});

test('a stream opened while the XREAD blocks is read at once, not after the block', async () => {
    const mux = newMux({ blockMs: 20_000 });
    const idle = requestId('idle');
    const abandon = new AbortController();
    const idleReading = readAll(mux, idle, abandon.signal); // the XREAD now blocks on this stream alone
    await new Promise((r) => setTimeout(r, 100));
    const late = requestId('late');
    const started = Date.now();
    const reading = readAll(mux, late);
    await writeItems(late, 3);
    expect(itemsOf(await reading)).toEqual([0, 1, 2]);
    expect(Date.now() - started).toBeLessThan(5_000); // woken, not after the 20 s block
    abandon.abort();
    expect(await idleReading).toEqual([]);
    // The wake stream is this reader's own and expires.
    const wake = (await keysUnder(redis, prefix)).filter((k) => k.includes('streams-wake'));
    expect(wake.length).toBeGreaterThan(0);
    for (const k of wake) expect(await redis.ttl(k)).toBeGreaterThan(0);
});

test('a reader that leaves mid-stream (its client gone) stops at once; the others go on', async () => {
    const mux = newMux();
    const gone = requestId('gone');
    const stay = requestId('stay');
    const controller = new AbortController();
    const seen: number[] = [];
    const leaving = (async () => {
        for await (const c of mux.read<Item, Final>({
            prefix,
            modelHash,
            requestId: gone,
            queueKey,
            signal: controller.signal,
            ...timeouts,
        })) {
            if (c.kind === 'items') seen.push(...c.items.map((x) => x.id));
            if (seen.length >= 2) controller.abort();
        }
    })();
    const staying = readAll(mux, stay);
    const goneWriter = writeItems(gone, 20, 5);
    await writeItems(stay, 20, 5);
    await leaving;
    expect(seen.slice(0, 2)).toEqual([0, 1]);
    expect(seen.length).toBeLessThan(20);
    expect(itemsOf(await staying)).toEqual([...Array(20).keys()]);
    await goneWriter;
    expect(mux.open).toBe(0);
});

test('a reader that falls behind is fetched no further than its bound, and still gets everything in order', async () => {
    const mux = newMux({ maxBuffered: 2 });
    const slow = requestId('slow');
    const fast = requestId('fast');
    const w = writer(slow);
    for (let i = 0; i < 30; i++) {
        w.push({ id: i });
        await w.flushed();
    }
    await w.finish({ done: true });
    const got: number[] = [];
    const slowReading = (async () => {
        for await (const c of mux.read<Item, Final>({ prefix, modelHash, requestId: slow, queueKey, ...timeouts })) {
            if (c.kind === 'items') got.push(...c.items.map((x) => x.id));
            await new Promise((r) => setTimeout(r, 5)); // slow consumer
        }
    })();
    const fastReading = readAll(mux, fast);
    await writeItems(fast, 10);
    expect(itemsOf(await fastReading)).toEqual([...Array(10).keys()]);
    await slowReading;
    expect(got).toEqual([...Array(30).keys()]);
});

test('through the multiplexed reader, moved, replayed, reordered, dropped and cut streams are refused as by a lone reader', async () => {
    const mux = newMux();
    /** Genuine chunks 0, 1, 2 and the final (3) of `from`, laid out in `id`'s stream in `order`. */
    const rebuild = async (id: string, order: number[], from = id) => {
        await writeItems(from, 3);
        const entries = await redis.xrange(streamKeys(prefix, modelHash, from).stream, '-', '+');
        const target = streamKeys(prefix, modelHash, id).stream;
        await redis.del(target);
        for (const i of order) await redis.xadd(target, '*', ...entries[i][1]);
    };
    const ids = ['moved', 'replayed', 'reordered', 'dropped', 'cut', 'good'].map((n) => requestId(n));
    await rebuild(ids[0], [0, 1, 2, 3], requestId('other'));
    await rebuild(ids[1], [0, 1, 1, 2, 3]);
    await rebuild(ids[2], [0, 2, 1, 3]);
    await rebuild(ids[3], [0, 2, 3]);
    await rebuild(ids[4], [0, 1]);
    const bad = ids.slice(0, 5).map((id) => rejection(readAll(mux, id)));
    const good = readAll(mux, ids[5]);
    await writeItems(ids[5], 4);
    const [moved, replayed, reordered, dropped, cut] = await Promise.all(bad);
    expect((moved as StreamIntegrityError).problem).toBe('foreign');
    expect((replayed as StreamIntegrityError).problem).toBe('replayed');
    expect((reordered as StreamIntegrityError).problem).toBe('gap');
    expect((dropped as StreamIntegrityError).problem).toBe('gap');
    expect(cut).toBeInstanceOf(StreamTruncatedError);
    expect((cut as StreamTruncatedError).received).toBe(2);
    expect(itemsOf(await good)).toEqual([0, 1, 2, 3]);
    expect(mux.open).toBe(0);
});

test('a broken connection fails the streams being read instead of leaving them waiting', async () => {
    const conn = new Redis(REDIS_URL);
    const mux = new ChunkStreamMux(conn, redis, { prefix });
    const id = requestId('broken');
    const reading = rejection(readAll(mux, id));
    await new Promise((r) => setTimeout(r, 50));
    conn.disconnect();
    const err = await reading;
    expect(err).not.toBeInstanceOf(StreamTruncatedError);
    expect(mux.open).toBe(0);
    await mux.close();
});
