/**
 * Reservations and per-kind counters on real Redis: concurrent requests that together exceed an account's budget are
 * admitted one at a time until it is spent; charged tokens of every kind count against the budget with the vouchers'
 * rounding; the billed kinds of a generation are disjoint.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { billingUnits } from '../../worker-runtime/src/protocol/voucher';
import { UsageCounters } from '../../worker-runtime/src/roles/proxy';
import { Reservations } from '../../worker-runtime/src/roles/proxy/reservations';
import { proxyKeys } from '../../worker-runtime/src/roles/proxy/redisKeys';
import { billedCounts, maxChatUnits } from '../../worker-runtime/src/roles/proxy/generative/metering';
import { cleanPrefix, REDIS_URL, testPrefix } from './harness';

const redis = new Redis(REDIS_URL);
const prefix = testPrefix('reservations');
const multipliers = { prompt: 10000n, cached: 2500n, completion: 30000n, reasoning: 30000n };

afterAll(async () => {
    await cleanPrefix(redis, prefix);
    await redis.quit();
});

const id = () => randomBytes(32).toString('hex');

test('20 concurrent reservations of 10 units against a budget of 55: exactly 5 pass, and releasing frees one', async () => {
    const reservations = new Reservations(redis, prefix, proxyKeys(prefix).clientTokens, multipliers);
    const ids = Array.from({ length: 20 }, id);
    const outcomes = await Promise.all(ids.map((r) => reservations.reserve('acct-a', r, 10n, 55n)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(await reservations.reservedUnits('acct-a')).toBe(50n);
    const admitted = ids.filter((_, i) => outcomes[i].ok);
    expect((await reservations.reserve('acct-a', id(), 10n, 55n)).ok).toBe(false);
    await reservations.release('acct-a', admitted[0]);
    expect((await reservations.reserve('acct-a', id(), 10n, 55n)).ok).toBe(true);
    expect(await redis.ttl(reservations.key('acct-a'))).toBeGreaterThan(0);
});

test('charged tokens of every kind count against the budget with the vouchers rounding', async () => {
    const counters = new UsageCounters(redis, prefix);
    const reservations = new Reservations(redis, prefix, proxyKeys(prefix).clientTokens, multipliers);
    const counts = { prompt: 7n, cached: 3n, completion: 5n, reasoning: 1n };
    const outcome = await counters.charge({
        requestId: id(),
        client: 'acct-b',
        workerOwner: 'w',
        counts,
        record: '{}',
    });
    expect(outcome.clientCounts).toEqual(counts);
    expect(outcome.workerCounts).toEqual(counts);
    expect(await counters.clientCounts('acct-b')).toEqual(counts);
    // 7×1 + 3×0.25 + 5×3 + 1×3 = 25.75 → 25 units
    const metered = billingUnits(counts, multipliers);
    expect(metered).toBe(25n);
    const r = await reservations.reserve('acct-b', id(), 5n, 30n);
    expect(r).toEqual({ ok: true, metered: 25n, reserved: 5n });
    expect((await reservations.reserve('acct-b', id(), 1n, 30n)).ok).toBe(false);
    // Every account's totals of every kind, as the close settles them (fields `<account>#<kind>` grouped back).
    const all = await counters.allClientTokens();
    expect(all.get('acct-b')).toEqual(counts);
    // A tensor charge (prompt kind only) still reads as before.
    const tensor = await counters.charge({
        requestId: id(),
        client: 'acct-c',
        workerOwner: 'w',
        tokens: 4n,
        record: '{}',
    });
    expect(tensor.clientTokens).toBe(4n);
    expect(tensor.clientCounts).toEqual({ prompt: 4n, cached: 0n, completion: 0n, reasoning: 0n });
});

test('billed kinds are disjoint (cached within prompt, reasoning within completion) and capped', () => {
    expect(billedCounts({ promptTokens: 10, cachedTokens: 4, completionTokens: 6, reasoningTokens: 2 })).toEqual({
        prompt: 6n,
        cached: 4n,
        completion: 4n,
        reasoning: 2n,
    });
    expect(billedCounts({ promptTokens: 10, cachedTokens: 99, completionTokens: 1, reasoningTokens: 5 })).toEqual({
        prompt: 0n,
        cached: 10n,
        completion: 0n,
        reasoning: 1n,
    });
    // prompt + max_tokens at the dearest multiplier, rounded up
    expect(maxChatUnits(10, 5, { ...multipliers, completion: 30001n })).toBe(46n); // 15 × 3.0001 = 45.0015
});
