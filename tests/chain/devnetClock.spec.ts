/**
 * The devnet clock reading a TonChain keeps (chain/devnetClock.ts): kept DEVNET_CLOCK_CACHE_MS from when it was asked
 * for, shared by concurrent callers, read again once older. Time is given explicitly, so nothing here waits.
 */
import { CachedDevnetClock, DEVNET_CLOCK_CACHE_MS } from '../../worker-runtime/src/chain/devnetClock';

/** A chain clock that answers `value` and counts how often it was read; each read resolves when released. */
function source() {
    const s = {
        value: 1000,
        reads: 0,
        pending: [] as Array<() => void>,
        read: () => {
            s.reads++;
            const value = s.value;
            return new Promise<number>((resolve) => s.pending.push(() => resolve(value)));
        },
        release: () => s.pending.splice(0).forEach((f) => f()),
    };
    return s;
}

test('one read serves concurrent callers and the kept reading, until it is as old as the cache allows', async () => {
    const s = source();
    let ms = 0;
    const clock = new CachedDevnetClock(s.read, () => ms);
    const a = clock.now();
    const b = clock.now();
    s.release();
    expect(await Promise.all([a, b])).toEqual([1000, 1000]);
    expect(s.reads).toBe(1);
    s.value = 1600;
    ms = DEVNET_CLOCK_CACHE_MS - 1;
    expect(await clock.now()).toBe(1000);
    expect(s.reads).toBe(1);
    ms = DEVNET_CLOCK_CACHE_MS;
    const c = clock.now();
    s.release();
    expect(await c).toBe(1600);
    expect(s.reads).toBe(2);
});

test('a read in flight for longer than the cache allows is not joined; a late old answer never replaces a newer one', async () => {
    const s = source();
    let ms = 0;
    const clock = new CachedDevnetClock(s.read, () => ms);
    const slow = clock.now(); // asked at 0, answers last
    const slowRelease = s.pending.splice(0);
    ms = DEVNET_CLOCK_CACHE_MS;
    s.value = 2000;
    const fresh = clock.now();
    expect(s.reads).toBe(2);
    s.release();
    expect(await fresh).toBe(2000);
    slowRelease.forEach((f) => f());
    expect(await slow).toBe(1000);
    expect(await clock.now()).toBe(2000);
    expect(s.reads).toBe(2);
});
