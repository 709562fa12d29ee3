/**
 * Keeps each fetched collateral item until it expires (its `nextUpdate`, capped by a maximum age), fetches it anew
 * a while before that, and shares one request among concurrent callers of the same key. A refresh that fails while
 * the cached item is still current serves the cached item, so a PCCS outage does not turn into refused peers
 * before the collateral itself runs out.
 */

export interface Expiring<T> {
    value: T;
    /** Epoch ms after which the item must not be used (its nextUpdate). */
    expiresAt: number;
}

export interface PccsCacheOptions {
    now: () => number;
    /** Fetch anew this long before an item expires. */
    refreshBeforeMs: number;
    /** Fetch anew after this long even when the item says it is good for longer (TCB recoveries, revocations). */
    maxAgeMs: number;
    /** After a failed refresh of a still-current item, wait this long before trying again. */
    retryAfterMs: number;
}

interface Entry<T> {
    value: T;
    expiresAt: number;
    /** Served from the cache before this time, fetched anew from it on. */
    refreshAt: number;
}

export class PccsCache<T> {
    private readonly entries = new Map<string, Entry<T>>();
    private readonly inFlight = new Map<string, Promise<T>>();

    constructor(private readonly options: PccsCacheOptions) {}

    get(key: string, load: () => Promise<Expiring<T>>): Promise<T> {
        const now = this.options.now();
        const entry = this.entries.get(key);
        if (entry && now < entry.refreshAt) return Promise.resolve(entry.value);
        const pending = this.inFlight.get(key);
        if (pending) return pending;
        const request = this.load(key, load, entry).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, request);
        return request;
    }

    /** Forgets an item, so the next get fetches it anew (an in-flight request is left to finish). */
    invalidate(key: string): void {
        this.entries.delete(key);
    }

    private async load(key: string, load: () => Promise<Expiring<T>>, previous?: Entry<T>): Promise<T> {
        try {
            const { value, expiresAt } = await load();
            const now = this.options.now();
            // The floor keeps an item the server sends already (nearly) expired from costing a request per call;
            // serving it is harmless because the verifier checks issueDate/nextUpdate itself.
            const refreshAt = Math.max(
                Math.min(expiresAt - this.options.refreshBeforeMs, now + this.options.maxAgeMs),
                now + this.options.retryAfterMs,
            );
            this.entries.set(key, { value, expiresAt, refreshAt });
            return value;
        } catch (err) {
            const now = this.options.now();
            if (previous && now <= previous.expiresAt) {
                previous.refreshAt = Math.min(now + this.options.retryAfterMs, previous.expiresAt);
                return previous.value;
            }
            this.entries.delete(key);
            throw err;
        }
    }
}
