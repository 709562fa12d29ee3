import { Redis } from 'ioredis';

/**
 * A Redis client for the queue's own keys (the idempotency ledger). `maxRetriesPerRequest: null` is what BullMQ
 * requires of the connections it blocks on, and it keeps our commands waiting through a brief Redis restart
 * instead of failing a job that has already been computed.
 */
export function createRedisClient(redisUrl: string): Redis {
    return new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** Connection options for BullMQ: each Queue/Worker/QueueEvents opens (and closes) its own connections. */
export function bullConnection(redisUrl: string): { url: string; maxRetriesPerRequest: null } {
    return { url: redisUrl, maxRetriesPerRequest: null };
}

/**
 * QUIT rather than disconnect(): ioredis keeps a 2 s timer alive after disconnect(), which delays process exit. A
 * client that is closed already is left alone: disconnect() on it starts that timer too (its old socket never closes
 * again to clear it), which kept test processes alive after a worker had been killed.
 */
export async function closeRedisClient(redis: Redis): Promise<void> {
    if (redis.status === 'end') return;
    try {
        await redis.quit();
    } catch {
        redis.disconnect(); // already closed or unreachable: nothing left to flush
    }
}

/** Deletes every key under `prefix:` (SCAN, not KEYS, so a large Redis is not blocked); nothing outside it. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
    } while (cursor !== '0');
}
