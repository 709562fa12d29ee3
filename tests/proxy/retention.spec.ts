/**
 * What a served request leaves in Redis (issue 15, item 12): once the result is delivered and charged, the proxy
 * deletes the job (the sealed inputs) and the result record (the sealed outputs); the worker keeps no copy in the job's
 * return value or the queue's event stream. What stays is the charged record (the receipt) and BullMQ's bounded
 * event-stream entries. Measured with MEMORY USAGE over this spec's own keys, on the shared Redis.
 */
import { randomBytes } from 'node:crypto';
import { toNano } from '@ton/core';
import { Redis } from 'ioredis';
import { signRequest, SignedRequest } from '../../worker-runtime/src/protocol/request';
import { toWireMap } from '../../worker-runtime/src/inference';
import { keysUnder } from '../fixtures/redis';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { createHarness, Harness, mlpInputs } from './harness';

jest.setTimeout(240_000);

let h: Harness;

beforeAll(async () => {
    h = await createHarness({
        area: 'proxy-retention',
        // Room for 1,000 requests before the SDK would have to commit a voucher.
        network: { clientStake: toNano('20'), clientDeposit: toNano('30') },
        proxyConfig: { accountCacheMs: 60_000 },
    });
});

afterAll(async () => {
    await h?.close();
});

/** Bytes Redis holds for every key under `prefix`, split into charged records (receipts) and everything else. */
async function memoryUnder(redis: Redis, prefix: string): Promise<{ receipts: number; other: number }> {
    let receipts = 0;
    let other = 0;
    for (const key of await keysUnder(redis, prefix)) {
        const bytes = Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
        if (key.startsWith(proxyKeys(prefix).charged(''))) receipts += bytes;
        else other += bytes;
    }
    return { receipts, other };
}

async function signedBodies(count: number, rows: number): Promise<SignedRequest[]> {
    const c = h.net.client;
    const validUntil = (await h.chain.now()) + 3000;
    return Array.from({ length: count }, (_, i) =>
        signRequest(
            {
                requestId: randomBytes(32).toString('hex'),
                model: h.model.hash,
                inputs: toWireMap(mlpInputs(rows, i)),
                account: c.account.address.toString(),
                validUntil,
            },
            c.keyPair.secretKey,
        ),
    );
}

/** Sends every body, `concurrency` at a time; the count served, and each refusal by status and error code. */
async function postAll(bodies: SignedRequest[], concurrency: number): Promise<{ ok: number; refused: string[] }> {
    let next = 0;
    let ok = 0;
    const refused: string[] = [];
    await Promise.all(
        Array.from({ length: concurrency }, async () => {
            while (next < bodies.length) {
                const b = bodies[next++];
                const res = await fetch(`${h.url}/v1/infer`, { method: 'POST', headers: b.headers, body: b.body });
                const text = await res.text();
                if (res.ok) ok++;
                else refused.push(`${res.status} ${text.slice(0, 200)}`);
            }
        }),
    );
    return { ok, refused: [...new Set(refused)] };
}

test('a large request leaves no payload behind: no job, no result record, nothing but its receipt', async () => {
    const before = await memoryUnder(h.redis, h.prefix);
    // 5,000 rows × 16 features: 430 KB of sealed inputs and 330 KB of sealed outputs while it runs.
    expect(await postAll(await signedBodies(1, 5000), 1)).toEqual({ ok: 1, refused: [] });
    const after = await memoryUnder(h.redis, h.prefix);
    const keys = await keysUnder(h.redis, h.prefix);
    expect(keys.filter((k) => /:result:/.test(k))).toEqual([]);
    expect(after.other - before.other).toBeLessThan(8 * 1024);
});

test('after 1,000 requests, Redis holds at most 2 KB per request beyond its receipt', async () => {
    const bodies = await signedBodies(1000, 1);
    const before = await memoryUnder(h.redis, h.prefix);
    expect(await postAll(bodies, 16)).toEqual({ ok: 1000, refused: [] });
    const after = await memoryUnder(h.redis, h.prefix);
    const perRequest = (after.other - before.other) / 1000;
    const receiptPerRequest = (after.receipts - before.receipts) / 1000;
    console.log(
        `Redis memory per request after 1,000 requests: ${perRequest.toFixed(0)} B beyond the receipt ` +
            `(receipt: ${receiptPerRequest.toFixed(0)} B)`,
    );
    expect(perRequest).toBeLessThanOrEqual(2048);
    // Nothing is reserved or queued any more.
    const keys = await keysUnder(h.redis, h.prefix);
    expect(keys.filter((k) => /:result:|:reserved:/.test(k))).toEqual([]);
});
