/**
 * Verdict cache keyed by (quote hash, presented key, nonce): a peer's quote is checked cryptographically once per
 * connection, not per request. Entries expire after a TTL and never outlive the certificates or collateral they
 * were checked against. Only successful verifications are stored; the policy's registry checks (allow-lists, test
 * network) are re-applied on every hit because the registry can change under a cached entry.
 */
import { createHash } from 'node:crypto';

export interface VerdictCacheOptions {
    maxEntries?: number;
    ttlMs?: number;
}

export class VerdictCache<T> {
    private readonly entries = new Map<string, { value: T; expiresAt: number }>();
    readonly maxEntries: number;
    readonly ttlMs: number;

    constructor(options: VerdictCacheOptions = {}) {
        this.maxEntries = options.maxEntries ?? 1024;
        this.ttlMs = options.ttlMs ?? 10 * 60 * 1000;
    }

    static key(kind: string, quote: Uint8Array, publicKey: Uint8Array, nonce?: Uint8Array): string {
        const quoteHash = createHash('sha256').update(quote).digest('hex');
        return `${kind}:${quoteHash}:${Buffer.from(publicKey).toString('hex')}:${nonce ? Buffer.from(nonce).toString('hex') : ''}`;
    }

    get(key: string, now: number): T | undefined {
        const entry = this.entries.get(key);
        if (!entry) return undefined;
        if (now > entry.expiresAt) {
            this.entries.delete(key);
            return undefined;
        }
        // Re-insert to keep Map order = least recently used first.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return entry.value;
    }

    set(key: string, value: T, now: number, notAfter = Infinity): void {
        this.entries.delete(key);
        this.entries.set(key, { value, expiresAt: Math.min(now + this.ttlMs, notAfter) });
        while (this.entries.size > this.maxEntries) {
            this.entries.delete(this.entries.keys().next().value as string);
        }
    }

    get size(): number {
        return this.entries.size;
    }

    clear(): void {
        this.entries.clear();
    }
}
