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
const digest = () => randomBytes(32).toString('hex');
const reserve = (r: Reservations, account: string, requestId: string, units: bigint, budget: bigint) =>
    r.reserve({ account, requestId, digest: digest(), units, budget });
const ok = (o: { kind: string }) => o.kind === 'reserved';

test('20 concurrent reservations of 10 units against a budget of 55: exactly 5 pass, and releasing frees one', async () => {
    const reservations = new Reservations(redis, prefix, multipliers);
    const ids = Array.from({ length: 20 }, id);
    const outcomes = await Promise.all(ids.map((r) => reserve(reservations, 'acct-a', r, 10n, 55n)));
    expect(outcomes.filter(ok)).toHaveLength(5);
    expect(await reservations.reservedUnits('acct-a')).toBe(50n);
    const admitted = ids.filter((_, i) => ok(outcomes[i]));
    expect((await reserve(reservations, 'acct-a', id(), 10n, 55n)).kind).toBe('insufficient');
    await reservations.release('acct-a', admitted[0]);
    expect((await reserve(reservations, 'acct-a', id(), 10n, 55n)).kind).toBe('reserved');
    expect(await redis.ttl(reservations.key('acct-a'))).toBeGreaterThan(0);
});

test('charged tokens of every kind count against the budget with the vouchers rounding', async () => {
    const counters = new UsageCounters(redis, prefix);
    const reservations = new Reservations(redis, prefix, multipliers);
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
    const r = await reserve(reservations, 'acct-b', id(), 5n, 30n);
    expect(r).toEqual({ kind: 'reserved', metered: 25n, reserved: 5n });
    expect(await reserve(reservations, 'acct-b', id(), 1n, 30n)).toEqual({
        kind: 'insufficient',
        metered: 25n,
        reserved: 5n,
    });
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

test('one id, one body: a second body in flight is told apart, the charge releases the reservation, a served id is refused', async () => {
    const counters = new UsageCounters(redis, prefix);
    const reservations = new Reservations(redis, prefix, multipliers);
    const requestId = id();
    const body = digest();
    const first = await reservations.reserve({ account: 'acct-d', requestId, digest: body, units: 8n, budget: 100n });
    expect(first.kind).toBe('reserved');
    // The same id again, whatever its body: in flight, with the first body's digest (the caller compares).
    expect(
        await reservations.reserve({ account: 'acct-d', requestId, digest: digest(), units: 8n, budget: 100n }),
    ).toEqual({ kind: 'in_flight', digest: body });
    expect(await reservations.reservedUnits('acct-d')).toBe(8n);
    // The charge script releases the reservation in the same step that adds the real tokens (weighted by kind).
    await counters.charge({
        requestId,
        client: 'acct-d',
        workerOwner: 'w',
        counts: { prompt: 2n, cached: 0n, completion: 1n, reasoning: 0n },
        record: '{}',
    });
    expect(await reservations.reservedUnits('acct-d')).toBe(0n);
    expect(await reservations.reserve({ account: 'acct-d', requestId, digest: body, units: 8n, budget: 100n })).toEqual(
        {
            kind: 'served',
        },
    );
    // 2×1 + 1×3 = 5 units metered now count against the budget.
    expect(await reserve(reservations, 'acct-d', id(), 95n, 100n)).toEqual({
        kind: 'reserved',
        metered: 5n,
        reserved: 95n,
    });
});

test('an expired reservation (a proxy that died holding it) no longer counts', async () => {
    const reservations = new Reservations(redis, prefix, multipliers, 50);
    expect((await reserve(reservations, 'acct-e', id(), 10n, 10n)).kind).toBe('reserved');
    expect((await reserve(reservations, 'acct-e', id(), 10n, 10n)).kind).toBe('insufficient');
    await new Promise((r) => setTimeout(r, 120));
    expect(await reserve(reservations, 'acct-e', id(), 10n, 10n)).toEqual({
        kind: 'reserved',
        metered: 0n,
        reserved: 10n,
    });
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
