import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { validateRequestId } from './naming';

/** A short, public name of a queue key (its version, in effect): the first 16 hex digits of SHA-256(key). */
export function queueKeyId(queueKey: Uint8Array): string {
    return createHash('sha256').update(queueKey).digest('hex').slice(0, 16);
}

/**
 * Per-request records that make redelivery harmless:
 *
 * - the *result record* holds the first sealed result of a request (SET NX): a worker that receives a request
 *   whose result already exists returns that result instead of computing again, and when two deliveries race,
 *   both return the record that won, so the producer only ever sees one result;
 * - the *charge marker* (SET NX) lets exactly one caller bill a request, however many times it was delivered,
 *   completed or awaited.
 *
 * Keys: `<prefix>:chrysalis:<queue>:result:<requestId>:<keyId>` and `…:charged:<requestId>`; the values are sealed
 * results and a timestamp, never plaintext. A result record is keyed by the queue key it is sealed under
 * ({@link queueKeyId}): after a key rotation, a result an old-key worker left behind is never returned to a producer
 * that cannot open it (the job simply runs again under the new key). The producer deletes the record once it has
 * delivered the result (`deleteResult`).
 */
export class RequestLedger {
    constructor(
        private readonly redis: Redis,
        private readonly prefix: string,
        private readonly queueName: string,
        private readonly ttl: { resultSeconds: number; chargeSeconds: number },
        /** {@link queueKeyId} of the queue key this party seals and opens with. */
        private readonly keyId: string,
    ) {}

    resultKey(requestId: string): string {
        return `${this.prefix}:chrysalis:${this.queueName}:result:${validateRequestId(requestId)}:${this.keyId}`;
    }

    /** Forgets a delivered result (its payload has no further use: the charge marker keeps the request billed once). */
    async deleteResult(requestId: string): Promise<void> {
        await this.redis.del(this.resultKey(requestId));
    }

    chargedKey(requestId: string): string {
        return `${this.prefix}:chrysalis:${this.queueName}:charged:${validateRequestId(requestId)}`;
    }

    async getResult(requestId: string): Promise<string | null> {
        return this.redis.get(this.resultKey(requestId));
    }

    /** Stores `sealedResult` unless a result exists; returns the stored one (the first writer wins). */
    async putResult(requestId: string, sealedResult: string): Promise<string> {
        const key = this.resultKey(requestId);
        const stored = await this.redis.set(key, sealedResult, 'EX', this.ttl.resultSeconds, 'NX');
        if (stored === 'OK') return sealedResult;
        const existing = await this.redis.get(key);
        // The record can only vanish between the two calls by expiring; then ours is as good as any.
        return existing ?? sealedResult;
    }

    /** True exactly once per request id (until the marker expires): the caller that gets true bills the request. */
    async markCharged(requestId: string): Promise<boolean> {
        const stored = await this.redis.set(
            this.chargedKey(requestId),
            String(Date.now()),
            'EX',
            this.ttl.chargeSeconds,
            'NX',
        );
        return stored === 'OK';
    }

    async isCharged(requestId: string): Promise<boolean> {
        return (await this.redis.exists(this.chargedKey(requestId))) === 1;
    }
}
