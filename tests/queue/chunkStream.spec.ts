/**
 * The sealed chunk stream over a real Redis Stream: Redis (untrusted) may move, replay, reorder, drop or cut chunks;
 * the reader refuses each, and nothing stays behind.
 */
import { Redis } from 'ioredis';
import { createQueueKey } from '../../worker-runtime/src/queue';
import {
    ChunkStreamWriter,
    DEFAULT_STREAM_TTL_SECONDS,
    OpenedChunk,
    readChunkStream,
    StreamIntegrityError,
    streamKeys,
    StreamTruncatedError,
} from '../../worker-runtime/src/queue/chunkStream';
import { CancelWatcher, requestCancel } from '../../worker-runtime/src/queue/cancel';
import { deleteKeysUnder, keysUnder, randomModelHash, REDIS_URL, requestId, uniquePrefix } from './helpers';
import { rejection } from '../fixtures/rejection';

const prefix = uniquePrefix('chunks');
const redis = new Redis(REDIS_URL);
const reader = new Redis(REDIS_URL);
const modelHash = randomModelHash();
const queueKey = createQueueKey();

afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
    await reader.quit();
});

type Item = { id: number };
const timeouts = { firstChunkTimeoutMs: 2000, idleTimeoutMs: 400 };

function writer(id: string, extra: { maxLen?: number } = {}) {
    return new ChunkStreamWriter<Item, { done: true }>(redis, { prefix, modelHash, requestId: id, queueKey, ...extra });
}

async function readAll(id: string, key = queueKey): Promise<OpenedChunk<Item, { done: true }>[]> {
    const chunks: OpenedChunk<Item, { done: true }>[] = [];
    for await (const c of readChunkStream<Item, { done: true }>(reader, {
        prefix,
        modelHash,
        requestId: id,
        queueKey: key,
        ...timeouts,
    })) {
        chunks.push(c);
    }
    return chunks;
}

/** Writes three item chunks (one item each, waiting for each write) and the final chunk. */
async function writeThree(id: string) {
    const w = writer(id);
    for (let i = 0; i < 3; i++) {
        w.push({ id: i });
        await w.flushed();
    }
    await w.finish({ done: true });
    return w;
}

test('chunks arrive in order, items coalesce while a write is in flight, and the final chunk ends the stream', async () => {
    const id = requestId('order');
    const w = writer(id);
    const reading = readAll(id);
    for (let i = 0; i < 50; i++) w.push({ id: i }); // pushed synchronously: the first write carries item 0 only
    await w.finish({ done: true });
    const chunks = await reading;
    const items = chunks.flatMap((c) => (c.kind === 'items' ? c.items.map((x) => x.id) : []));
    expect(items).toEqual([...Array(50).keys()]);
    expect(chunks.map((c) => c.seq)).toEqual([...Array(chunks.length).keys()]);
    expect(chunks.length).toBeLessThan(50); // coalesced
    expect(chunks.at(-1)).toEqual({ seq: chunks.length - 1, kind: 'final', final: { done: true } });
    const ttl = await redis.ttl(streamKeys(prefix, modelHash, id).stream);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(DEFAULT_STREAM_TTL_SECONDS);
});

test('after the first chunk, the items pushed in one event-loop turn go in one chunk', async () => {
    const id = requestId('turn');
    const w = writer(id);
    const reading = readAll(id);
    w.push({ id: 0 }); // the first chunk leaves at once, alone
    await w.flushed();
    for (let i = 1; i <= 10; i++) w.push({ id: i }); // one turn: one chunk
    await w.flushed();
    w.push({ id: 11 });
    await new Promise((r) => setImmediate(r)); // a later turn: its own chunk
    w.push({ id: 12 });
    await w.finish({ done: true });
    const chunks = await reading;
    expect(chunks.map((c) => (c.kind === 'items' ? c.items.map((x) => x.id) : 'final'))).toEqual([
        [0],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        [11],
        [12],
        'final',
    ]);
});

test('later chunks are one XADD each: the expiry is pushed back once a quarter of it has passed, and on the final', async () => {
    const id = requestId('ttl');
    const key = streamKeys(prefix, modelHash, id).stream;
    const w = new ChunkStreamWriter<Item, { done: true }>(redis, {
        prefix,
        modelHash,
        requestId: id,
        queueKey,
        ttlSeconds: 4,
    });
    w.push({ id: 0 });
    await w.flushed();
    const first = await redis.pttl(key);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(4000);
    await new Promise((r) => setTimeout(r, 1100)); // past a quarter of the TTL
    w.push({ id: 1 });
    await w.flushed();
    // Without the refresh the key would have ≤ 2.9 s left.
    expect(await redis.pttl(key)).toBeGreaterThan(3000);
    // The final chunk pushes it back too (a TTL of ≤ 2.9 s left before it).
    await new Promise((r) => setTimeout(r, 1100));
    await w.finish({ done: true });
    expect(await redis.pttl(key)).toBeGreaterThan(3000);
    expect((await readAll(id)).map((c) => c.kind)).toEqual(['items', 'items', 'final']);
});

test('a chunk does not open under another request id (moved between streams) nor under another key', async () => {
    const a = requestId('a');
    const b = requestId('b');
    await writeThree(a);
    // Redis copies a's entries into b's stream.
    for (const [, fields] of await redis.xrange(streamKeys(prefix, modelHash, a).stream, '-', '+')) {
        await redis.xadd(streamKeys(prefix, modelHash, b).stream, '*', ...fields);
    }
    const err = await rejection(readAll(b));
    expect(err).toBeInstanceOf(StreamIntegrityError);
    expect((err as StreamIntegrityError).problem).toBe('foreign');
    const wrongKey = await rejection(readAll(a, createQueueKey()));
    expect((wrongKey as StreamIntegrityError).problem).toBe('foreign');
    expect((await readAll(a)).length).toBe(4);
});

test('a renumbered chunk (clear seq changed) or a chunk marked final does not authenticate', async () => {
    const id = requestId('renumber');
    const key = streamKeys(prefix, modelHash, id).stream;
    const source = requestId('src');
    await writeThree(source);
    const entries = await redis.xrange(streamKeys(prefix, modelHash, source).stream, '-', '+');
    const c1 = entries[1][1];
    // chunk 1 presented as chunk 0 of its own request (copy the source stream, but renumber its second entry)
    await redis.xadd(key, '*', 's', '0', 'f', '0', 'c', c1[5]);
    const err = await rejection(readAll(id));
    expect((err as StreamIntegrityError).problem).toBe('foreign');
    // chunk 0 of the source, presented under the source id but flagged final
    const target = streamKeys(prefix, modelHash, source).stream;
    await redis.del(target);
    await redis.xadd(target, '*', 's', '0', 'f', '1', 'c', entries[0][1][5]);
    expect(((await rejection(readAll(source))) as StreamIntegrityError).problem).toBe('foreign');
});

test('a replayed chunk is refused', async () => {
    const id = requestId('replay');
    await writeThree(id);
    const key = streamKeys(prefix, modelHash, id).stream;
    const entries = await redis.xrange(key, '-', '+');
    // Rebuild the stream as 0, 1, 1(replayed), 2, final.
    await redis.del(key);
    for (const i of [0, 1, 1, 2, 3]) await redis.xadd(key, '*', ...entries[i][1]);
    const err = await rejection(readAll(id));
    expect(err).toBeInstanceOf(StreamIntegrityError);
    expect((err as StreamIntegrityError).problem).toBe('replayed');
});

test('reordered chunks are refused', async () => {
    const id = requestId('reorder');
    await writeThree(id);
    const key = streamKeys(prefix, modelHash, id).stream;
    const entries = await redis.xrange(key, '-', '+');
    await redis.del(key);
    for (const i of [0, 2, 1, 3]) await redis.xadd(key, '*', ...entries[i][1]);
    const err = await rejection(readAll(id));
    expect((err as StreamIntegrityError).problem).toBe('gap');
});

test('a dropped chunk (deleted, or trimmed by MAXLEN before it was read) is refused', async () => {
    const id = requestId('drop');
    await writeThree(id);
    const key = streamKeys(prefix, modelHash, id).stream;
    const entries = await redis.xrange(key, '-', '+');
    await redis.xdel(key, entries[1][0]);
    expect(((await rejection(readAll(id))) as StreamIntegrityError).problem).toBe('gap');

    // A stream whose reader fell behind its bound: the oldest unread entries are gone, which reads as a gap.
    const trimmed = requestId('trim');
    const w = writer(trimmed, { maxLen: 1 });
    for (let i = 0; i < 300; i++) {
        w.push({ id: i });
        await w.flushed();
    }
    await w.finish({ done: true });
    const tkey = streamKeys(prefix, modelHash, trimmed).stream;
    expect(await redis.xlen(tkey)).toBeLessThan(301);
    expect(((await rejection(readAll(trimmed))) as StreamIntegrityError).problem).toBe('gap');
});

test('a stream cut before its final chunk (worker gone, or entries dropped at the end) is reported as truncated', async () => {
    const id = requestId('cut');
    const w = writer(id);
    w.push({ id: 0 });
    w.push({ id: 1 });
    await w.flushed();
    const started = Date.now();
    const err = await rejection(readAll(id));
    expect(err).toBeInstanceOf(StreamTruncatedError);
    expect((err as StreamTruncatedError).received).toBe(w.chunks);
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeouts.idleTimeoutMs);

    // Final chunk dropped by Redis: same outcome.
    const id2 = requestId('cut2');
    await writeThree(id2);
    const key = streamKeys(prefix, modelHash, id2).stream;
    const entries = await redis.xrange(key, '-', '+');
    await redis.xdel(key, entries[3][0]);
    expect(await rejection(readAll(id2))).toBeInstanceOf(StreamTruncatedError);

    // No stream at all: truncated after the first-chunk timeout, with nothing received.
    const none = await rejection(readAll(requestId('none')));
    expect((none as StreamTruncatedError).received).toBe(0);
});

test('commands given to finish run in one transaction just before the final chunk, or not at all with it', async () => {
    // Accepted: the key is there once the final chunk is, whether the stream had items before or not.
    for (const items of [2, 0]) {
        const id = requestId(`before${items}`);
        const marker = `${prefix}:marker:${id}`;
        const w = writer(id);
        for (let i = 0; i < items; i++) w.push({ id: i });
        await w.finish({ done: true }, (tx) => tx.set(marker, 'remembered', 'EX', 60));
        expect(await redis.get(marker)).toBe('remembered');
        const chunks = await readAll(id);
        expect(chunks.flatMap((c) => (c.kind === 'items' ? c.items.map((x) => x.id) : []))).toEqual([
            ...Array(items).keys(),
        ]);
        expect(chunks.at(-1)!.kind).toBe('final');
    }

    // A command Redis refuses as it is queued (here: a wrong argument count) discards the whole transaction: no
    // final chunk without what had to come before it, and the writer says so.
    const id = requestId('refused');
    const marker = `${prefix}:marker:${id}`;
    const w = writer(id);
    w.push({ id: 0 });
    await w.flushed();
    const err = await rejection(
        w.finish({ done: true }, (tx) => {
            tx.set(marker, 'remembered');
            tx.call('SET', marker);
        }),
    );
    expect(err).toBeTruthy();
    expect(await redis.exists(marker)).toBe(0);
    expect(await rejection(readAll(id))).toBeInstanceOf(StreamTruncatedError);
});

test('items still pending at finish share the final chunk round trip: one transaction, both or neither', async () => {
    // Items 1 and 2 arrive while chunk 0 is in flight: finish waits for that write only, then sends their chunk and
    // the final one together.
    const ok = requestId('tail');
    const w = writer(ok);
    const reading = readAll(ok);
    w.push({ id: 0 });
    w.push({ id: 1 });
    w.push({ id: 2 });
    await w.finish({ done: true });
    expect((await reading).map((c) => (c.kind === 'items' ? c.items.map((x) => x.id) : 'final'))).toEqual([
        [0],
        [1, 2],
        'final',
    ]);

    // The same with a transaction Redis refuses: the pending items' chunk is discarded with the final one.
    const refused = requestId('tail-refused');
    const r = writer(refused);
    r.push({ id: 0 });
    r.push({ id: 1 });
    r.push({ id: 2 });
    expect(await rejection(r.finish({ done: true }, (tx) => tx.call('SET', `${prefix}:x`)))).toBeTruthy();
    const cut = await rejection(readAll(refused));
    expect(cut).toBeInstanceOf(StreamTruncatedError);
    expect((cut as StreamTruncatedError).received).toBe(1); // chunk 0 only
});

test('a garbage entry is refused as malformed', async () => {
    const id = requestId('garbage');
    await redis.xadd(streamKeys(prefix, modelHash, id).stream, '*', 'x', 'y');
    expect(((await rejection(readAll(id))) as StreamIntegrityError).problem).toBe('malformed');
});

test('cancellation reaches a watcher by pub/sub, and a cancel sent before watching is seen at once', async () => {
    const watcher = new CancelWatcher(redis);
    try {
        const id = requestId('cancel');
        const keys = streamKeys(prefix, modelHash, id);
        const { signal, stop } = await watcher.watch(keys.cancel);
        expect(signal.aborted).toBe(false);
        const aborted = new Promise<number>((resolve) => signal.addEventListener('abort', () => resolve(Date.now())));
        const sent = Date.now();
        await requestCancel(redis, keys.cancel);
        expect((await aborted) - sent).toBeLessThan(200);
        await stop();

        const early = streamKeys(prefix, modelHash, requestId('early')).cancel;
        await requestCancel(redis, early);
        const late = await watcher.watch(early);
        expect(late.signal.aborted).toBe(true);
        await late.stop();
        expect(await redis.ttl(early)).toBeGreaterThan(0);
    } finally {
        await watcher.close();
    }
});

test('every key a writer or a cancel writes expires', async () => {
    const id = requestId('ttl');
    await writeThree(id);
    const keys = streamKeys(prefix, modelHash, id);
    await requestCancel(redis, keys.cancel);
    for (const key of [keys.stream, keys.cancel]) expect(await redis.ttl(key)).toBeGreaterThan(0);
});
